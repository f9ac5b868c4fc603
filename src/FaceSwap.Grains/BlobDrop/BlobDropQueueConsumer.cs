using FaceSwap.Grains.Hosting;
using FaceSwap.Storage.Queues;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.BlobDrop;

/// <summary>
/// Consumes the storage queue that Event Grid fills with BlobCreated events. A message is deleted only after its
/// manifest's job is durably created (or the manifest was rejected with a status saying why); a message that cannot be
/// understood, or keeps failing, goes to the poison queue with the reason.
/// </summary>
public sealed partial class BlobDropQueueConsumer(
    IBlobDropHandler handler,
    IDropQueue queue,
    IOptions<FaceSwapSiloOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<BlobDropQueueConsumer> logger) : BackgroundService
{
    private readonly BlobDropOptions drop = options.Value.Drop;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(Timeout.Infinite, lifetime.ApplicationStarted).ContinueWith(_ => { }, TaskScheduler.Default);
        LogConsuming(queue.Name);
        var idle = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var handledAny = await ReceiveOnceAsync(stoppingToken);
                idle = handledAny ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromMilliseconds(Math.Min(5000, idle.TotalMilliseconds * 2));
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogReceiveFailed(e);
                idle = TimeSpan.FromSeconds(5);
            }

            try
            {
                await Task.Delay(idle, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Receives and handles one batch of messages; returns whether there were any.</summary>
    public async Task<bool> ReceiveOnceAsync(CancellationToken cancellationToken)
    {
        await queue.EnsureCreatedAsync(cancellationToken);
        var messages = await queue.ReceiveAsync(16, TimeSpan.FromSeconds(drop.VisibilitySeconds), cancellationToken);
        foreach (var message in messages)
        {
            await HandleAsync(message, cancellationToken);
        }

        return messages.Count > 0;
    }

    private async Task HandleAsync(DropMessage message, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> manifests;
        try
        {
            manifests = BlobCreatedEvents.ManifestPaths(message.Body);
        }
        catch (FormatException e)
        {
            await PoisonAsync(message, $"not an Event Grid BlobCreated event: {e.Message}", cancellationToken);
            return;
        }

        try
        {
            foreach (var path in manifests)
            {
                var outcome = await handler.HandleAsync(path, cancellationToken);
                LogHandled(path, outcome.Result, outcome.JobId);
            }

            await queue.DeleteAsync(message, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            if (message.DequeueCount >= drop.MaxDeliveries)
            {
                await PoisonAsync(message, $"failed {message.DequeueCount} times; last: {e.GetType().Name}: {e.Message}", cancellationToken);
            }
            else
            {
                // Left on the queue: it becomes visible again after the visibility timeout and is retried.
                LogWillRetry(e, message.Id, message.DequeueCount);
            }
        }
    }

    private async Task PoisonAsync(DropMessage message, string reason, CancellationToken cancellationToken)
    {
        await queue.PoisonAsync(message, reason, cancellationToken);
        LogPoisoned(message.Id, reason);
    }

    [LoggerMessage(1, LogLevel.Information, "Consuming blob-drop events from queue {Queue}")]
    private partial void LogConsuming(string queue);

    [LoggerMessage(2, LogLevel.Debug, "Manifest {Path}: {Result} (job {JobId})")]
    private partial void LogHandled(string path, DropResult result, string? jobId);

    [LoggerMessage(3, LogLevel.Warning, "Message {MessageId} failed on delivery {Count}; it will be retried")]
    private partial void LogWillRetry(Exception exception, string messageId, long count);

    [LoggerMessage(4, LogLevel.Warning, "Message {MessageId} moved to the poison queue: {Reason}")]
    private partial void LogPoisoned(string messageId, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Receiving from the blob-drop queue failed; trying again")]
    private partial void LogReceiveFailed(Exception exception);
}
