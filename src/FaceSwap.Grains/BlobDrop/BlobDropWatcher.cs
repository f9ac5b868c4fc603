using FaceSwap.Grains.Hosting;
using FaceSwap.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.BlobDrop;

/// <summary>
/// Where no Event Grid exists (local folders, Azurite), polls the inbox for manifests it has not handled yet and feeds
/// them to the same handler as the queue. Duplicates are harmless: the handler is idempotent.
/// </summary>
public sealed partial class BlobDropWatcher(
    BlobDropHandler handler,
    IBlobStore store,
    IOptions<FaceSwapSiloOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<BlobDropWatcher> logger) : BackgroundService
{
    private readonly BlobDropOptions drop = options.Value.Drop;
    private readonly HashSet<(string Path, string ETag)> handled = [];

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Grain calls need the silo: wait until the host has started.
        await Task.Delay(Timeout.Infinite, lifetime.ApplicationStarted).ContinueWith(_ => { }, TaskScheduler.Default);
        var interval = TimeSpan.FromSeconds(Math.Max(0.2, drop.WatchSeconds));
        LogWatching(drop.Inbox, interval.TotalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogPollFailed(e);
            }

            try
            {
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over the inbox.</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var page = await store.ListAsync(drop.Inbox + "/", token, 1000, cancellationToken);
            foreach (var blob in page.Items)
            {
                if (!handler.IsManifest(blob.Path) || handled.Contains((blob.Path, blob.ETag)))
                {
                    continue;
                }

                try
                {
                    var outcome = await handler.HandleAsync(blob.Path, cancellationToken);
                    handled.Add((blob.Path, blob.ETag));
                    LogHandled(blob.Path, outcome.Result, outcome.JobId);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Not marked as handled: the next poll tries again.
                    LogHandleFailed(e, blob.Path);
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    [LoggerMessage(1, LogLevel.Information, "Watching container {Inbox} for manifests every {Seconds} s")]
    private partial void LogWatching(string inbox, double seconds);

    [LoggerMessage(2, LogLevel.Debug, "Manifest {Path}: {Result} (job {JobId})")]
    private partial void LogHandled(string path, DropResult result, string? jobId);

    [LoggerMessage(3, LogLevel.Warning, "Manifest {Path} could not be handled; trying again at the next poll")]
    private partial void LogHandleFailed(Exception exception, string path);

    [LoggerMessage(4, LogLevel.Warning, "Polling the inbox failed; trying again")]
    private partial void LogPollFailed(Exception exception);
}
