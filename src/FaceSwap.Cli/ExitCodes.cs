using FaceSwap.Engine;

namespace FaceSwap.Cli;

/// <summary>Process exit codes: one per class of failure, so scripts can tell them apart.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;
    /// <summary>An unexpected error.</summary>
    public const int Failure = 1;
    /// <summary>A file or folder named on the command line does not exist.</summary>
    public const int NotFound = 2;
    /// <summary>The server refused the API key: none given or unknown (401), or its role is too low (403).</summary>
    public const int Auth = 3;
    /// <summary>
    /// A usage error: the command line's values (an unknown option, a value out of range) or, for remote commands, the
    /// server refused the request's values (400). The message names each bad option or field.
    /// </summary>
    public const int Usage = 4;
    /// <summary>The server could not be reached (connection refused, name not found, no answer in time).</summary>
    public const int Unreachable = 5;
    /// <summary>`verify`: a file carries neither the metadata mark nor the watermark.</summary>
    public const int Unmarked = 6;
    /// <summary>The disk is full: the job's state or outputs could not be written.</summary>
    public const int DiskFull = 7;

    /// <summary>The job was cancelled (Ctrl+C, SIGINT).</summary>
    public const int Cancelled = 130;

    /// <summary>The job was stopped by SIGTERM (128 + 15, as shells report it): stopped cleanly, its summary written.</summary>
    public const int Terminated = 143;

    /// <summary>
    /// The exit code for a job's (or a 422's) error code: that of the engine failure it names, else <see cref="Failure"/>.
    /// </summary>
    public static int ForCode(string? code) => FaceSwapException.FromCode(code) is { } kind ? For(kind) : Failure;

    /// <summary>The exit code for an engine failure.</summary>
    public static int For(FaceSwapErrorKind kind) => kind switch
    {
        FaceSwapErrorKind.NotAnImage => 10,
        FaceSwapErrorKind.TruncatedImage => 11,
        FaceSwapErrorKind.CorruptImage => 12,
        FaceSwapErrorKind.ImageTooLarge => 13,
        FaceSwapErrorKind.NoFace => 14,
        FaceSwapErrorKind.PoorSource => 15,
        FaceSwapErrorKind.UnsupportedFormat => 16,
        FaceSwapErrorKind.EmptyFile => 10,
        FaceSwapErrorKind.ContentMismatch => 17,
        FaceSwapErrorKind.HeaderMismatch => 18,
        FaceSwapErrorKind.AnimatedImage => 19,
        FaceSwapErrorKind.ModelMissing => 20,
        FaceSwapErrorKind.ModelCorrupt => 21,
        FaceSwapErrorKind.ModelContract => 22,
        FaceSwapErrorKind.ModelError => 23,
        _ => Failure,
    };
}
