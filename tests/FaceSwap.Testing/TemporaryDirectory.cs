namespace FaceSwap.Testing;

/// <summary>A fresh folder under the system temp folder, deleted with everything in it on dispose.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    /// <summary>Creates the folder; <paramref name="prefix"/> starts its name.</summary>
    public TemporaryDirectory(string prefix = "faceswap-test")
    {
        FullPath = Path.Join(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(FullPath);
    }

    /// <summary>The folder's full path.</summary>
    public string FullPath { get; }

    /// <summary>Deletes the folder; failures (a file still open) are ignored.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(FullPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans the temp folder eventually.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
