using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>How a generated face crop is put back into the frame.</summary>
public sealed record PasteOptions
{
    /// <summary>
    /// Default share of the generated face in the result: all of it, as FaceFusion pastes (a lower ratio leaves a ghost
    /// of the target's own face inside the mask).
    /// </summary>
    public const float DefaultBlendRatio = 1f;

    /// <summary>Share of the generated face inside the mask, 0 to 1.</summary>
    public float BlendRatio { get; init; } = DefaultBlendRatio;

    /// <summary>Blend with Poisson (seamlessClone) inside the mask instead of alpha blending.</summary>
    public bool Poisson { get; init; }

    /// <summary>Feathering of the box mask as a fraction of the crop (FaceFusion's face_mask_blur, 0.3).</summary>
    public float MaskBlur { get; init; } = 0.3f;

    /// <summary>Sides of the crop left out of the mask (FaceFusion's face_mask_padding, default none).</summary>
    public MaskPadding MaskPadding { get; init; }
}

/// <summary>
/// Percent (0 to 100) of the crop's side kept out of the box mask at the top, right, bottom and left (FaceFusion's
/// face_mask_padding): e.g. a bottom padding keeps the target's own mouth and chin.
/// </summary>
public readonly record struct MaskPadding(int Top, int Right, int Bottom, int Left)
{
    /// <summary>From one value (all sides), two (top and bottom, left and right), or four (top, right, bottom, left), as FaceFusion reads them.</summary>
    public static MaskPadding From(IReadOnlyList<int> values) => values.Count switch
    {
        0 => default,
        1 => new(values[0], values[0], values[0], values[0]),
        2 => new(values[0], values[1], values[0], values[1]),
        3 => new(values[0], values[1], values[2], values[1]),
        _ => new(values[0], values[1], values[2], values[3]),
    };

    /// <summary>Every side within 0 to 100.</summary>
    public bool IsValid => new[] { Top, Right, Bottom, Left }.All(v => v is >= 0 and <= 100);

    /// <summary>The four values, top first.</summary>
    public int[] ToArray() => [Top, Right, Bottom, Left];
}
