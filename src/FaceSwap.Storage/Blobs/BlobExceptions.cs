namespace FaceSwap.Storage;

/// <summary>A blob that was asked for does not exist.</summary>
public sealed class BlobNotFoundException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public BlobNotFoundException(string path, Exception? innerException = null)
        : base($"Blob '{path}' does not exist.", innerException)
    {
        Path = path;
    }

    /// <summary>The path of the missing blob.</summary>
    public string Path { get; }
}

/// <summary>A blob is larger than the caller accepts.</summary>
public sealed class BlobTooLargeException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public BlobTooLargeException(string path, long size, long maxBytes)
        : base($"Blob '{path}' is {size} bytes, more than the {maxBytes} bytes allowed.")
    {
        Path = path;
        Size = size;
        MaxBytes = maxBytes;
    }

    /// <summary>The path of the blob.</summary>
    public string Path { get; }

    /// <summary>The blob's size in bytes.</summary>
    public long Size { get; }

    /// <summary>The largest size the caller accepted.</summary>
    public long MaxBytes { get; }
}

/// <summary>A blob path is malformed or points outside the store.</summary>
public sealed class InvalidBlobPathException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public InvalidBlobPathException(string path, string reason)
        : base($"Invalid blob path '{path}': {reason}")
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The rejected path.</summary>
    public string Path { get; }

    /// <summary>Why it was rejected.</summary>
    public string Reason { get; }
}

/// <summary>
/// A path names something other than a regular file: a FIFO, a socket or a device. It is never opened, since opening or
/// reading it could wait forever (a FIFO's open waits for a writer).
/// </summary>
public sealed class BlobNotRegularFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public BlobNotRegularFileException(string path)
        : base($"'{path}' is not a regular file (a FIFO, socket or device): not read.")
    {
        Path = path;
    }

    /// <summary>The path.</summary>
    public string Path { get; }
}

/// <summary>A read did not finish within the store's read timeout (a hung mount, a file that never delivers its bytes).</summary>
public sealed class BlobReadTimeoutException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public BlobReadTimeoutException(string path, TimeSpan timeout)
        : base($"Reading '{path}' did not finish within {timeout.TotalSeconds:0.#} s.")
    {
        Path = path;
        Timeout = timeout;
    }

    /// <summary>The path.</summary>
    public string Path { get; }

    /// <summary>The timeout that passed.</summary>
    public TimeSpan Timeout { get; }
}

/// <summary>Error codes of storage failures that callers act on.</summary>
public static class StorageErrors
{
    /// <summary>
    /// The <see cref="Exception.HResult"/> of an <see cref="IOException"/> for a full disk: ENOSPC, as .NET sets it on
    /// Unix for a write that fails so. A failed preallocation says "disk full" only in its message, so the local store's
    /// writes set this code themselves when the disk has no room left.
    /// </summary>
    public const int DiskFullHResult = 28;

    /// <summary>ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL as HRESULTs (Windows).</summary>
    private static readonly int[] WindowsDiskFull = [unchecked((int)0x80070070), unchecked((int)0x80070027)];

    /// <summary>The exception, or one inside it, that says the disk is full; null when none does.</summary>
    public static IOException? DiskFull(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is IOException io && (io.HResult == DiskFullHResult || WindowsDiskFull.Contains(io.HResult)))
            {
                return io;
            }
        }

        return null;
    }
}

/// <summary>
/// The storage service failed an operation (after its own retries): refused, throttled, unreachable or broken. Callers
/// catch it as an <see cref="IOException"/> whatever the store; <see cref="Status"/> and <see cref="ErrorCode"/> say
/// what the service answered.
/// </summary>
public sealed class BlobStoreException : IOException
{
    /// <summary>Creates the exception for a failed operation on <paramref name="path"/>.</summary>
    public BlobStoreException(string path, int status, string? errorCode, Exception innerException)
        : base($"Storage failed for '{path}': {(status == 0 ? "no answer" : $"status {status}")}{(errorCode is null ? "" : $" ({errorCode})")}. {innerException.Message}", innerException)
    {
        Path = path;
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>The path or prefix of the operation.</summary>
    public string Path { get; }

    /// <summary>The HTTP status the service answered (0 when no answer came).</summary>
    public int Status { get; }

    /// <summary>The service's error code (for Azure, e.g. <c>AuthorizationFailure</c>), when it gave one.</summary>
    public string? ErrorCode { get; }
}
