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
    public static QueueClient Create(string storage, string queueName)
    {
        var value = storage.Trim();
        if (value.StartsWith("local", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("a blob-drop queue needs a storage account; local folders use the inbox watcher (FaceSwap:Drop:WatchSeconds)");
        }

        if (BlobStoreFactory.IsServiceUri(value, out var blobService))
        {
            var queue = new UriBuilder(BlobStoreFactory.SiblingEndpoint(blobService, "queue")) { Path = queueName }.Uri;
            return new QueueClient(queue, new DefaultAzureCredential());
        }

        return new QueueClient(value, queueName);
    }
}
