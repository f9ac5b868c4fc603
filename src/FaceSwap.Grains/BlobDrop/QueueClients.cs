using Azure.Identity;
using Azure.Storage.Queues;
using FaceSwap.Storage;

namespace FaceSwap.Grains.BlobDrop;

/// <summary>Queue clients from the same storage setting as the blob store.</summary>
public static class QueueClients
{
    /// <summary>
    /// A client for <paramref name="queueName"/> in the account of <paramref name="storage"/>: a connection string, or an
    /// https blob service URI (its queue endpoint, signed in with DefaultAzureCredential).
    /// </summary>
    public static QueueClient Create(StorageSetting storage, string queueName) => storage.Kind switch
    {
        StorageKind.ServiceUri => new QueueClient(new UriBuilder(storage.SiblingEndpoint("queue")) { Path = queueName }.Uri, new DefaultAzureCredential()),
        StorageKind.ConnectionString => new QueueClient(storage.Value, queueName),
        _ => throw new ArgumentException("a blob-drop queue needs a storage account; local folders use the inbox watcher (FaceSwap:Drop:WatchSeconds)"),
    };
}
