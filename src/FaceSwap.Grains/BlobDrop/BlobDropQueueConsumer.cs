using System.Text;
using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using FaceSwap.Grains.Hosting;
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
    DropQueues queues,
    IOptions<FaceSwapSiloOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<BlobDropQueueConsumer> logger) : BackgroundService
{
    private readonly BlobDropOptions drop = options.Value.Drop;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(Timeout.Infinite, lifetime.ApplicationStarted).ContinueWith(_ => { }, TaskScheduler.Default);
        LogConsuming(queues.Queue.Name);
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
        await queues.EnsureCreatedAsync(cancellationToken);
        QueueMessage[] messages = await queues.Queue.ReceiveMessagesAsync(16, TimeSpan.FromSeconds(drop.VisibilitySeconds), cancellationToken);
        foreach (var message in messages)
        {
            await HandleAsync(message, cancellationToken);
        }

        return messages.Length > 0;
    }

    private async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
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

            await queues.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
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
                LogWillRetry(e, message.MessageId, message.DequeueCount);
            }
        }
    }

    private async Task PoisonAsync(QueueMessage message, string reason, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new
        {
            reason,
            messageId = message.MessageId,
            dequeueCount = message.DequeueCount,
            insertedOn = message.InsertedOn,
            poisonedOn = DateTimeOffset.UtcNow,
            message = message.Body.ToString(),
        });
        await queues.Poison.SendMessageAsync(body, cancellationToken);
        await queues.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        LogPoisoned(message.MessageId, reason);
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

/// <summary>The blob-drop queue and its poison queue.</summary>
public sealed class DropQueues(QueueClient queue, QueueClient poison)
{
    private volatile bool created;

    /// <summary>The queue Event Grid delivers to.</summary>
    public QueueClient Queue { get; } = queue;

    /// <summary>Where failing messages go.</summary>
    public QueueClient Poison { get; } = poison;

    /// <summary>Creates both queues when missing (once per process).</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!created)
        {
            await Queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            created = true;
        }
    }
}

/// <summary>Reads the blob paths of BlobCreated events from a queue message (Event Grid or CloudEvents schema, raw or base64).</summary>
public static class BlobCreatedEvents
{
    private const string BlobCreated = "Microsoft.Storage.BlobCreated";

    /// <summary>The <c>container/name</c> paths of the BlobCreated events in a message; other event types give none.</summary>
    /// <exception cref="FormatException">The message is not an event.</exception>
    public static IReadOnlyList<string> ManifestPaths(BinaryData body)
    {
        var json = Decode(body);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FormatException("the message is not JSON", e);
        }

        var first = root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 ? root[0] : root;
        if (first.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the message holds no event object");
        }

        var subjects = new List<(string Type, string? Subject)>();
        try
        {
            if (first.TryGetProperty("specversion", out _))
            {
                subjects.AddRange(CloudEvent.ParseMany(json).Select(e => (e.Type, e.Subject)));
            }
            else
            {
                subjects.AddRange(EventGridEvent.ParseMany(json).Select(e => (e.EventType, (string?)e.Subject)));
            }
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException)
        {
            throw new FormatException(e.Message, e);
        }

        return subjects.Where(s => s.Type == BlobCreated).Select(s => PathOf(s.Subject)).ToList();
    }

    /// <summary>"/blobServices/default/containers/inbox/blobs/a/b/faceswap.json" to "inbox/a/b/faceswap.json".</summary>
    private static string PathOf(string? subject)
    {
        const string containers = "/containers/", blobs = "/blobs/";
        var c = subject?.IndexOf(containers, StringComparison.Ordinal) ?? -1;
        var b = c < 0 ? -1 : subject!.IndexOf(blobs, c + containers.Length, StringComparison.Ordinal);
        if (b < 0)
        {
            throw new FormatException($"the event's subject '{subject}' names no container and blob");
        }

        return subject![(c + containers.Length)..b] + "/" + subject[(b + blobs.Length)..];
    }

    /// <summary>Event Grid writes the event JSON as the message text; tools that base64-encode messages are accepted too.</summary>
    private static BinaryData Decode(BinaryData body)
    {
        var text = body.ToString().Trim();
        if (text.StartsWith('{') || text.StartsWith('['))
        {
            return BinaryData.FromString(text);
        }

        try
        {
            return BinaryData.FromBytes(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            throw new FormatException("the message is neither JSON nor base64-encoded JSON");
        }
    }
}
