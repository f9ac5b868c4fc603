namespace FaceSwap.Storage.Queues;

/// <summary>
/// The queue that tells the blob-drop consumer about new manifests (in Azure, Event Grid's BlobCreated events in a
/// storage queue), with its poison queue: a store-neutral view, so the consumer knows no queue SDK.
/// </summary>
public interface IDropQueue
{
    /// <summary>The queue's name, for logs.</summary>
    string Name { get; }

    /// <summary>Creates the queue and its poison queue when missing (once per process).</summary>
    Task EnsureCreatedAsync(CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> messages, each hidden from other consumers for <paramref name="visibility"/>.</summary>
    Task<IReadOnlyList<DropMessage>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken cancellationToken);

    /// <summary>Removes a handled message.</summary>
    Task DeleteAsync(DropMessage message, CancellationToken cancellationToken);

    /// <summary>Moves a message to the poison queue with <paramref name="reason"/>, and removes it from this one.</summary>
    Task PoisonAsync(DropMessage message, string reason, CancellationToken cancellationToken);
}

/// <summary>One received message: its text, how often it was delivered, and the receipt that deletes it.</summary>
/// <param name="Id">The queue's id of the message.</param>
/// <param name="Receipt">What deleting this delivery of it takes (opaque).</param>
/// <param name="DequeueCount">How many times it has been delivered, this time included.</param>
/// <param name="InsertedOn">When it was queued, where the queue says.</param>
/// <param name="Body">The message text.</param>
public sealed record DropMessage(string Id, string Receipt, long DequeueCount, DateTimeOffset? InsertedOn, BinaryData Body);
