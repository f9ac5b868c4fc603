using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Batch;

/// <summary>The log lines of the BatchGrain and its parts (event ids 1 to 15), written to its own category (<c>ILogger&lt;BatchGrain&gt;</c>).</summary>
internal static partial class BatchGrainLog
{
    [LoggerMessage(1, LogLevel.Information, "Job {JobId} started: {Input} -> {Output}")]
    public static partial void LogStarted(this ILogger logger, string jobId, string input, string output);

    [LoggerMessage(2, LogLevel.Information, "Job {JobId} resuming after {Finished} images")]
    public static partial void LogResuming(this ILogger logger, string jobId, long finished);

    [LoggerMessage(3, LogLevel.Warning, "Job {JobId}: batch attempt {Attempt} failed, retrying: {Message}")]
    public static partial void LogRetry(this ILogger logger, string jobId, int attempt, string message);

    [LoggerMessage(4, LogLevel.Error, "Job {JobId}: dispatch loop stopped; the reminder will resume it")]
    public static partial void LogPumpFailed(this ILogger logger, Exception exception, string jobId);

    [LoggerMessage(5, LogLevel.Error, "Job {JobId}: could not append to the outcomes manifest")]
    public static partial void LogManifestFailed(this ILogger logger, Exception exception, string jobId);

    [LoggerMessage(6, LogLevel.Information, "Job {JobId} completed: {Ok} ok, {Failed} failed, {Skipped} skipped")]
    public static partial void LogCompleted(this ILogger logger, string jobId, long ok, long failed, long skipped);

    [LoggerMessage(7, LogLevel.Information, "Job {JobId}: retry round {Round} runs {Count} failed images again")]
    public static partial void LogRetryRound(this ILogger logger, string jobId, int round, long count);

    [LoggerMessage(8, LogLevel.Warning, "Job {JobId}: could not write its status to {Path}")]
    public static partial void LogStatusFailed(this ILogger logger, Exception exception, string jobId, string path);

    [LoggerMessage(9, LogLevel.Warning, "Job {JobId}: no inference silo is in the cluster; waiting for one")]
    public static partial void LogWaiting(this ILogger logger, string jobId);

    [LoggerMessage(10, LogLevel.Information, "Job {JobId}: {Listed} images listed; the rest goes to partition grains, {PageSize} names a page, {Window} pages in flight")]
    public static partial void LogPartitioned(this ILogger logger, string jobId, long listed, int pageSize, int window);

    [LoggerMessage(11, LogLevel.Warning, "Job {JobId}: partition attempt {Attempt} failed, running the page again: {Message}")]
    public static partial void LogPartitionRetry(this ILogger logger, string jobId, int attempt, string message);

    [LoggerMessage(12, LogLevel.Error, "Job {JobId}: the outcomes of images that finished after the cancel could not be recorded")]
    public static partial void LogSettleFailed(this ILogger logger, Exception exception, string jobId);

    [LoggerMessage(13, LogLevel.Warning, "Job {JobId}: could not record in the job index whether it is unfinished")]
    public static partial void LogIndexFailed(this ILogger logger, Exception exception, string jobId);

    [LoggerMessage(14, LogLevel.Error, "Job {JobId}: its start failed after the caller was told it is pending")]
    public static partial void LogStartFailed(this ILogger logger, Exception exception, string jobId);

    [LoggerMessage(15, LogLevel.Error, "Job {JobId}: the preview's contact sheet could not be drawn")]
    public static partial void LogContactSheetFailed(this ILogger logger, Exception exception, string jobId);
}
