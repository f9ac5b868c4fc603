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
