using FaceSwap.Abstractions.Grains;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Wakes every unfinished job when a served host starts: a job that was running when the host stopped (or was killed)
/// carries on at once, not when someone first reads its status. In a cluster its reminder would wake it within a
/// minute or so as well; the embedded host keeps reminders in memory, so without this nothing would.
/// </summary>
/// <remarks>Served hosts only: `faceswap run` and `bench` start one job of their own and must not wake earlier ones.</remarks>
public sealed partial class JobResumer(IGrainFactory grains, ILogger<JobResumer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource stopping = new();

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobResumer), ServiceLifecycleStage.Active, OnActiveAsync, OnStopAsync);

    /// <summary>The waking runs in the background: a host with many jobs is ready at once.</summary>
    private Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(() => ResumeAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private Task OnStopAsync(CancellationToken cancellationToken)
    {
        stopping.Cancel();
        return Task.CompletedTask;
    }

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var ids = await grains.GetGrain<IJobIndexGrain>(0).UnfinishedAsync();
            var resumed = 0;
            foreach (var id in ids)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Reading the status activates the job's grain, whose activation resumes a running job.
                if (!(await grains.GetGrain<IBatchGrain>(id).GetStatusAsync()).IsTerminal)
                {
                    resumed++;
                }
            }

            if (resumed > 0)
            {
                LogResumed(resumed);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Each job's reminder or next status read still wakes it.
            LogFailed(e);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Resumed {Count} unfinished jobs at start")]
    private partial void LogResumed(int count);

    [LoggerMessage(2, LogLevel.Warning, "Could not wake the unfinished jobs at start; each wakes on its reminder or when its status is read")]
    private partial void LogFailed(Exception exception);
}
