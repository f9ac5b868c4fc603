namespace FaceSwap.Storage;

/// <summary>A grain state file exists but cannot be read as the grain's state (corrupted, or written for another type).</summary>
public sealed class LocalFileGrainStorageException : IOException
{
    /// <summary>Creates the exception for the state file <paramref name="filePath"/>.</summary>
    public LocalFileGrainStorageException(string message, string filePath, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The full path of the state file.</summary>
    public string FilePath { get; }
}
