using FaceSwap.Engine.Imaging;

namespace FaceSwap.Engine.Pipeline;

/// <summary>Which target faces to swap.</summary>
public enum FaceSelection
{
    /// <summary>Every detected face.</summary>
    All,
    /// <summary>Only the largest face.</summary>
    Largest,
}

/// <summary>How one target image is swapped and written.</summary>
public sealed record SwapRequest
{
    /// <summary>Which faces to replace.</summary>
    public FaceSelection Faces { get; init; } = FaceSelection.All;

    /// <summary>Encoding of the output.</summary>
    public ImageFormat OutputFormat { get; init; } = ImageFormat.Jpeg;

    /// <summary>JPEG/WebP quality.</summary>
    public int Quality { get; init; } = 92;

    /// <summary>Measure identity similarity after the swap on the written output (fresh detection and landmarks).</summary>
    public bool MeasureAfter { get; init; } = true;

    /// <summary>The job the output belongs to, recorded in its XMP (and carried by the watermark); null for none.</summary>
    public string? JobId { get; init; }

    /// <summary>Embed the invisible watermark carrying the job id (needs <see cref="JobId"/>).</summary>
    public bool Watermark { get; init; }

    /// <summary>The input's name: when set, content of another format than its extension names is refused.</summary>
    public string? InputName { get; init; }
}

/// <summary>What happened to one target face.</summary>
public sealed record FaceReport(int[] Box, float Score, float SimilarityBefore, float? SimilarityAfter, bool Swapped);

/// <summary>The result of swapping one image.</summary>
public sealed record SwapResult(byte[] Output, int Width, int Height, IReadOnlyList<FaceReport> Faces, IReadOnlyDictionary<string, double> TimingsMs);
