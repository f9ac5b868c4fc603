using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Diagnostics;

/// <summary>The job side of FaceSwap's telemetry: a span per run of a job's dispatch loop, the active-jobs gauge and the job id in the log scope.</summary>
public static partial class JobTelemetry
{
    /// <summary>
    /// Runs a job's dispatch loop inside its job span: a new trace (linked to the call that started or resumed it),
    /// current for every batch the loop dispatches, so grain calls to inference silos and the image spans there join it.
    /// </summary>
    public static async Task RunAsync(string jobId, ILogger logger, Func<Task> pump)
    {
        var caller = Activity.Current?.Context ?? default;
        Activity.Current = null;
        using var activity = FaceSwapTelemetry.Source.StartActivity(FaceSwapTelemetry.JobSpan, ActivityKind.Internal, parentContext: default,
            tags: [new(FaceSwapTelemetry.JobIdAttribute, jobId)],
            links: caller == default ? null : [new ActivityLink(caller)]);
        using var scope = logger.BeginScope(new JobScope(jobId));
        FaceSwapTelemetry.ActiveJobs.Add(1);
        LogLoopStarted(logger);
        try
        {
            await pump();
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }
        finally
        {
            FaceSwapTelemetry.ActiveJobs.Add(-1);
            LogLoopEnded(logger);
        }
    }

    /// <summary>Begins a log scope that carries the job id (as JobId).</summary>
    public static IDisposable? BeginJobScope(this ILogger logger, string jobId) => logger.BeginScope(new JobScope(jobId));

    [LoggerMessage(100, LogLevel.Debug, "Dispatch loop started")]
    private static partial void LogLoopStarted(ILogger logger);

    [LoggerMessage(101, LogLevel.Debug, "Dispatch loop ended")]
    private static partial void LogLoopEnded(ILogger logger);

    /// <summary>A log scope with the job id as its only property.</summary>
    private sealed class JobScope(string jobId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] => index == 0 ? new("JobId", jobId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "JobId:" + jobId;
    }
}
