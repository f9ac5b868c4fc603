using System.Security.Cryptography;
using System.Text;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Blending;
using FaceSwap.Grains.Inference;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// What shapes a job's outputs, recorded with every output so that a later run skips only outputs made the same way:
/// the source's ETag, then a hash of the options (in reference mode with each reference's version and the distance),
/// then the source set's photos and versions. Built and read only here; it is persisted and sent as its <see cref="Value"/>.
/// </summary>
/// <remarks>
/// Parts added for newer options appear only when those options are not at their defaults, so that outputs of jobs
/// from before them still match.
/// </remarks>
public readonly record struct SpecHash(string Value)
{
    /// <summary>The source's ETag (':' written as '_'), which inference workers key their source cache by.</summary>
    public string SourceETag => Value.IndexOf(':') is var colon and >= 0 ? Value[..colon] : Value;

    /// <summary>The hash of <paramref name="spec"/> with the current versions of its source, references and source set.</summary>
    public static async Task<SpecHash> BuildAsync(IBlobStore store, JobSpec spec, CancellationToken cancellationToken = default)
    {
        var source = await store.GetPropertiesAsync(spec.Source, cancellationToken);
        var referenceVersions = new List<string>();
        if (spec.Options.Faces == FaceMode.Reference)
        {
            foreach (var reference in spec.Options.References ?? [])
            {
                referenceVersions.Add($"{reference}@{(await store.GetPropertiesAsync(reference, cancellationToken))?.ETag ?? "none"}");
            }
        }

        return Of(spec, source?.ETag ?? "none", referenceVersions, await SourcesPartAsync(store, spec, cancellationToken));
    }

    /// <summary>The hash from versions already read: <paramref name="sourcesPart"/> as <see cref="SourcesPartAsync"/> gives it.</summary>
    public static SpecHash Of(JobSpec spec, string sourceETag, IReadOnlyList<string> referenceVersions, string sourcesPart)
    {
        var o = spec.Options;
        var text = $"{spec.Source}|{o.Faces}|{o.Quality}|engine=morph-1{(o.Watermark ? "" : "|no-watermark")}"
            + (o.MinFace > 0 ? $"|min-face={o.MinFace}" : "")
            + (o.StripGps ? "|strip-gps" : "") + (o.CopyUnswapped ? "|copy-unswapped" : "")
            + ModelPart(o)
            + (o.Faces == FaceMode.Reference
                ? FormattableString.Invariant($"|distance={o.ReferenceDistance:R}|references={string.Join(",", referenceVersions)}")
                : "");
        return new SpecHash(sourceETag.Replace(":", "_", StringComparison.Ordinal) + ":"
            + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16] + sourcesPart);
    }

    /// <summary>
    /// What the hash adds for the model options: nothing at the defaults (so earlier outputs still match), else the
    /// swapper, enhancer and detector, and for neural swappers the paste-back settings (pixel boost and mask padding only
    /// where set, so earlier neural outputs keep their hash).
    /// </summary>
    public static string ModelPart(JobOptions o)
    {
        if (NeuralJobs.SelectionOf(o).IsDefault)
        {
            return "";
        }

        var padding = MaskPadding.From(o.MaskPadding ?? []);
        var paste = o.Swapper == PublicModels.Morph ? "" : FormattableString.Invariant(
            $"|blend={o.BlendRatio:R}{(o.Poisson ? "|poisson" : "")}{(o.PixelBoost == 0 ? "" : $"|boost={o.PixelBoost}")}{(padding == default ? "" : $"|padding={string.Join(",", padding.ToArray())}")}");
        var landmarker = o.Landmarker == PublicModels.DefaultLandmarker ? "" : $"|landmarker={o.Landmarker}";
        return $"|swapper={o.Swapper}|enhancer={o.Enhancer}|detector={o.Detector}{landmarker}{paste}";
    }

    /// <summary>
    /// What the hash adds for the sources: nothing for a job with only <see cref="JobSpec.Source"/> (so its outputs still
    /// match those of jobs from before source sets), else the mode and every photo's path and version.
    /// </summary>
    public static async Task<string> SourcesPartAsync(IBlobStore store, JobSpec spec, CancellationToken cancellationToken = default)
    {
        if (!SourceMatrix.HasSources(spec))
        {
            return "";
        }

        var identities = await SourceMatrix.ResolveAsync(store, spec, cancellationToken);
        return $"|sources={spec.Options.SourcesMode}:" + string.Join(";", identities.Select(i =>
            $"{i.Name}=" + string.Join(",", i.Images.Select(image => $"{image.Path}@{image.ETag}"))));
    }

    /// <inheritdoc />
    public override string ToString() => Value;
}
