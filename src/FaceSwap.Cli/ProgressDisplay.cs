using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using Spectre.Console;

namespace FaceSwap.Cli;

/// <summary>
/// Live progress of a job on stderr (stdout stays for the summary): a progress bar with done / failed / skipped,
/// images per second and ETA on a terminal, one plain line every few seconds otherwise.
/// </summary>
public static class ProgressDisplay
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>Polls the job until it is terminal, showing progress.</summary>
    public static async Task<JobStatus> FollowAsync(IBatchGrain job, JobStatus status, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var started = DateTime.UtcNow;
        if (!console.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
        {
            var lastLine = DateTime.MinValue;
            while (!status.IsTerminal)
            {
                await Task.Delay(Poll, cancellationToken);
                status = await job.GetStatusAsync();
                if (DateTime.UtcNow - lastLine > TimeSpan.FromSeconds(2) || status.IsTerminal)
                {
                    Console.Error.WriteLine(Describe(status, started));
                    lastLine = DateTime.UtcNow;
                }
            }

            return status;
        }

        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("listing", maxValue: 1);
                while (true)
                {
                    var c = status.Counters;
                    task.MaxValue = Math.Max(1, c.Discovered);
                    task.Value = c.Finished;
                    task.Description = Markup.Escape(Describe(status, started));
                    if (status.IsTerminal)
                    {
                        break;
                    }

                    await Task.Delay(Poll, cancellationToken);
                    status = await job.GetStatusAsync();
                }
            });
        return status;
    }

    private static string Describe(JobStatus status, DateTime started)
    {
        var c = status.Counters;
        var seconds = Math.Max(0.001, (DateTime.UtcNow - started).TotalSeconds);
        var rate = c.Finished / seconds;
        var remaining = c.Discovered - c.Finished;
        var eta = status.ListingComplete && rate > 0 ? TimeSpan.FromSeconds(remaining / rate).ToString(@"hh\:mm\:ss") : "--:--:--";
        var of = status.ListingComplete ? $"{c.Discovered}" : $"{c.Discovered}+";
        return $"{c.Finished}/{of} done: {c.Ok} ok, {c.NoFace} no face, {c.Failed} failed, {c.Skipped} skipped | {rate:0.0} img/s | ETA {eta}";
    }
}
