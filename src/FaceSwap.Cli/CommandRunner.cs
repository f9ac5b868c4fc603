using FaceSwap.Engine;

namespace FaceSwap.Cli;

/// <summary>Runs a command's body and turns expected failures into one clear line on stderr and an exit code.</summary>
public static class CommandRunner
{
    /// <summary>Set FACESWAP_DEBUG=1 to see stack traces of unexpected errors.</summary>
    private static readonly bool Debug = Environment.GetEnvironmentVariable("FACESWAP_DEBUG") is "1" or "true";

    /// <summary>Runs <paramref name="body"/>, mapping exceptions to exit codes.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            return Fail(e.Message, e.ExitCode);
        }
        catch (FaceSwapException e)
        {
            return Fail(e.Message, ExitCodes.For(e.Kind));
        }
        catch (OperationCanceledException)
        {
            return Fail(Termination.ByTerm ? "stopped by SIGTERM" : "cancelled", Termination.ExitCode);
        }
        catch (TypeInitializationException e) when (!Debug && e.TypeName.StartsWith("OpenCvSharp", StringComparison.Ordinal))
        {
            // On a fresh machine this is libgtk-3-0 missing: OpenCvSharp's native library links it.
            return Fail("OpenCvSharp's native library could not be loaded (on Debian/Ubuntu it needs libgtk-3-0: " +
                "run scripts/setup.sh, or apt-get install libgtk-3-0; set FACESWAP_DEBUG=1 for details)", ExitCodes.Failure);
        }
        catch (Exception e) when (!Debug && FaceSwap.Storage.StorageErrors.DiskFull(e) is { } full)
        {
            return Fail($"{FirstLine(full.Message)} (disk full: free some space, or choose another --output)", ExitCodes.DiskFull);
        }
        catch (Exception e) when (!Debug)
        {
            // Some runtime exceptions (Orleans' storage errors) carry their inner exception's stack trace in their
            // message: the user gets its first line only.
            return Fail($"{FirstLine(e.Message)} ({e.GetType().Name}; set FACESWAP_DEBUG=1 for details)", ExitCodes.Failure);
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}

/// <summary>A failure of the command line itself (a missing file, a bad option), with its exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;
}
