using System.Text.Json;
using Azure.Identity;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace FaceSwap.Storage.Queues;

/// <summary>The blob-drop queue and its poison queue in an Azure storage account (or Azurite).</summary>
public sealed class AzureDropQueue(QueueClient queue, QueueClient poison) : IDropQueue
{
    private volatile bool created;

    /// <summary>
    /// The queues named <paramref name="queueName"/> and <paramref name="poisonName"/> in the account of
    /// <paramref name="storage"/>: a connection string, or an https blob service URI (its queue endpoint, signed in with
    /// DefaultAzureCredential).
    /// </summary>
    public static AzureDropQueue Create(StorageSetting storage, string queueName, string poisonName) =>
        new(Client(storage, queueName), Client(storage, poisonName));

    /// <inheritdoc />
    public string Name => queue.Name;

    /// <inheritdoc />
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!created)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            created = true;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DropMessage>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken cancellationToken)
    {
        QueueMessage[] messages = await queue.ReceiveMessagesAsync(max, visibility, cancellationToken).ConfigureAwait(false);
        return messages.Select(m => new DropMessage(m.MessageId, m.PopReceipt, m.DequeueCount, m.InsertedOn, m.Body)).ToList();
    }

    /// <inheritdoc />
    public async Task DeleteAsync(DropMessage message, CancellationToken cancellationToken) =>
        await queue.DeleteMessageAsync(message.Id, message.Receipt, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task PoisonAsync(DropMessage message, string reason, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new
        {
            reason,
            messageId = message.Id,
            dequeueCount = message.DequeueCount,
            insertedOn = message.InsertedOn,
            poisonedOn = DateTimeOffset.UtcNow,
            message = message.Body.ToString(),
        });
        await poison.SendMessageAsync(body, cancellationToken).ConfigureAwait(false);
        await DeleteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    private static QueueClient Client(StorageSetting storage, string queueName) => storage.Kind switch
    {
        StorageKind.ServiceUri => new QueueClient(new UriBuilder(storage.SiblingEndpoint("queue")) { Path = queueName }.Uri, new DefaultAzureCredential()),
        StorageKind.ConnectionString => new QueueClient(storage.Value, queueName),
        _ => throw new ArgumentException("a blob-drop queue needs a storage account; local folders use the inbox watcher (FaceSwap:Drop:WatchSeconds)"),
    };
}
