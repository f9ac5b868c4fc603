using FaceSwap.Engine.Quality;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// How much of the source's own light and colour a swapped face keeps inside its features, and the detail level it is
/// brought to. The default keeps the most identity; <see cref="Corrected"/> trades some of it for realism where a
/// rendering measured outside the thresholds of <see cref="RealismFigures"/>.
/// </summary>
/// <param name="FeatureLightScale">Sigma, in eye distances, above which the features' shading is the target's.</param>
/// <param name="FeatureColour">Share of the source's own colour kept in the eyes, brows and lips (0-1).</param>
/// <param name="DetailAim">The target's detail level is multiplied by this before matching.</param>
/// <param name="Presence">Opacity of the swapped face over the target (0-1).</param>
public sealed record FaceLook(float FeatureLightScale, float FeatureColour, double DetailAim, float Presence = 1f)
{
    /// <summary>Margins inside the thresholds that a rendering aims for (the written output is re-detected and re-encoded).</summary>
    private const float TintAim = RealismFigures.MaxTint * 0.9f;
    private const float ShadeAim = RealismFigures.MaxShade * 0.85f;
    private const float MinDetailAim = 0.86f;
    private const float MaxDetailAim = 1.1f;

    /// <summary>
    /// The first rendering: features keep their shading up to a quarter of the eye distance, and their colour, and the
    /// target's detail level.
    /// </summary>
    public static FaceLook Default { get; } = new(0.25f, 1f, 1.0);

    /// <summary>How far <paramref name="figures"/> are outside the aims (0 when inside).</summary>
    public static float Miss(RealismFigures figures) =>
        Math.Max(0, figures.Tint - TintAim) + Math.Max(0, figures.Shade - ShadeAim)
        + 10 * Math.Max(0, Math.Max(MinDetailAim - figures.Detail, figures.Detail - MaxDetailAim));

    /// <summary>The next rendering for a face measured at <paramref name="figures"/>.</summary>
    public FaceLook Corrected(RealismFigures figures)
    {
        var look = this;
        if (figures.Shade > ShadeAim)
        {
            // First the features' own broad shading goes; then the target shows through a little (a dark liner, a deep
            // shadow of the source that landed on the target's skin).
            look = FeatureLightScale > AppearanceMatch.LightingScale
                ? look with { FeatureLightScale = Math.Max(AppearanceMatch.LightingScale, FeatureLightScale * 0.6f) }
                : look with { Presence = Presence * 0.8f };
        }

        if (figures.Tint > TintAim)
        {
            look = look with { FeatureColour = FeatureColour * 0.4f };
        }

        if (figures.Detail is > MaxDetailAim or < MinDetailAim && figures.Detail > 0)
        {
            // Squared: a lossy encoder takes back much of the grain added (and a blur's effect is weaker than its aim), so
            // a plain ratio creeps towards the target over several renderings.
            look = look with { DetailAim = Math.Clamp(DetailAim / (figures.Detail * figures.Detail), 0.4, 2.5) };
        }

        return look;
    }
}
