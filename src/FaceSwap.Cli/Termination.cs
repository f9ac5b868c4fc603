using System.Runtime.InteropServices;

namespace FaceSwap.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM, handled by the CLI itself rather than by System.CommandLine, whose handler cancels the
/// command and then blocks every later handler until the command returns, so nothing could tell which signal came.
/// The first signal cancels <see cref="Token"/> (a job stops dispatching and records the images in flight) and the
/// command exits with 130 (Ctrl+C) or 143 (SIGTERM); a second signal, or the stop taking longer than its limit, ends
/// the process at once with the same code.
/// </summary>
public static class Termination
{
    private static readonly CancellationTokenSource Source = new();
    private static PosixSignalRegistration[]? registrations;
    private static int signal;

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public static CancellationToken Token => Source.Token;

    /// <summary>Whether SIGTERM (rather than Ctrl+C) stopped the command.</summary>
    public static bool ByTerm => Volatile.Read(ref signal) == 15;

    /// <summary>The exit code of a command stopped by a signal: <see cref="ExitCodes.Terminated"/> or <see cref="ExitCodes.Cancelled"/>.</summary>
    public static int ExitCode => ByTerm ? ExitCodes.Terminated : ExitCodes.Cancelled;

    /// <summary>How the stop is named to the user.</summary>
    public static string Name => ByTerm ? "SIGTERM" : "Ctrl+C";

    /// <summary>Takes over SIGINT and SIGTERM for the life of the process.</summary>
    /// <param name="limit">How long a command may take to stop cleanly after the first signal.</param>
    public static void Watch(TimeSpan limit)
    {
        if (registrations is not null || OperatingSystem.IsBrowser() || OperatingSystem.IsIOS() || OperatingSystem.IsAndroid() || OperatingSystem.IsTvOS())
        {
            return;
        }

        registrations = [Register(PosixSignal.SIGINT, 2, limit), Register(PosixSignal.SIGTERM, 15, limit)];
    }

    private static PosixSignalRegistration Register(PosixSignal posixSignal, int number, TimeSpan limit) =>
        PosixSignalRegistration.Create(posixSignal, context =>
        {
            // The process is not ended by the signal: the command stops and returns its exit code.
            context.Cancel = true;
            if (Interlocked.CompareExchange(ref signal, number, 0) != 0)
            {
                Console.Error.WriteLine($"{Name} again: stopping at once; images in flight are not recorded");
                Environment.Exit(ExitCode);
                return;
            }

            Source.Cancel();
            _ = Task.Delay(limit).ContinueWith(_ =>
            {
                Console.Error.WriteLine($"error: the command did not stop within {limit.TotalSeconds:0} s of {Name}; ending the process");
                Environment.Exit(ExitCode);
            }, TaskScheduler.Default);
        });
}
