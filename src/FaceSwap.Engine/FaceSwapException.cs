namespace FaceSwap.Engine;

/// <summary>What went wrong, in terms a user (and a per-image outcome) can act on.</summary>
public enum FaceSwapErrorKind
{
    /// <summary>The bytes are not an image in a supported format.</summary>
    NotAnImage,
    /// <summary>The image ends before its data does (a truncated upload or copy).</summary>
    TruncatedImage,
    /// <summary>The image's data is damaged.</summary>
    CorruptImage,
    /// <summary>The image has more pixels than the configured limit.</summary>
    ImageTooLarge,
    /// <summary>No face was found where one is needed.</summary>
    NoFace,
    /// <summary>The source face is unusable (profile, occluded, too small).</summary>
    PoorSource,
    /// <summary>A model file is missing.</summary>
    ModelMissing,
    /// <summary>A model file does not match its recorded hash.</summary>
    ModelCorrupt,
    /// <summary>A model's inputs or outputs differ from the contract the engine was written for.</summary>
    ModelContract,
    /// <summary>A model failed while running.</summary>
    ModelError,
    /// <summary>The output format cannot be written.</summary>
    UnsupportedFormat,
    /// <summary>The file is empty.</summary>
    EmptyFile,
    /// <summary>The file's content is an image of another format than its extension names (a PNG named .jpg).</summary>
    ContentMismatch,
    /// <summary>The header declares more pixels than the file could possibly hold (a lying header).</summary>
    HeaderMismatch,
    /// <summary>The image has several frames (an animated WebP); the engine would keep only the first.</summary>
    AnimatedImage,
}

/// <summary>An expected failure of the face pipeline, with a message meant for users.</summary>
public sealed class FaceSwapException(FaceSwapErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The class of failure.</summary>
    public FaceSwapErrorKind Kind { get; } = kind;

    /// <summary>For <see cref="FaceSwapErrorKind.NoFace"/>: whether the image's analysis came from the repeat-image cache.</summary>
    public bool AnalysisCacheHit { get; init; }

    /// <summary>The kind as the snake_case name used in reports and per-image outcomes.</summary>
    public string Code => ToCode(Kind);

    /// <summary>The kind whose <see cref="Code"/> is <paramref name="code"/>; null for a code that names no kind (storage_error, ...).</summary>
    public static FaceSwapErrorKind? FromCode(string? code) =>
        Enum.GetValues<FaceSwapErrorKind>().Where(kind => ToCode(kind) == code).Select(kind => (FaceSwapErrorKind?)kind).FirstOrDefault();

    /// <summary>snake_case name of a failure kind (not_an_image, no_face, ...).</summary>
    public static string ToCode(FaceSwapErrorKind kind) =>
        string.Concat(kind.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
