using System.Diagnostics;

namespace FaceSwap.Testing;

/// <summary>File-system entries that are not regular files, made as a user would, with the system's own tools.</summary>
public static class SpecialFiles
{
    /// <summary>Makes a FIFO (named pipe) at <paramref name="path"/> with mkfifo(1); opening it for reading waits for a writer.</summary>
    public static void MakeFifo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var process = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"mkfifo {path} failed: {error}");
        }
    }
}
