using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace FaceSwap.Storage;

/// <summary>Builds a blob store, or the Azure client under it, from a <see cref="StorageSetting"/>.</summary>
public static class BlobStoreFactory
{
    /// <summary>
    /// Creates a store: <c>local</c> or <c>local:/root</c> gives a <see cref="LocalBlobStore"/>; a connection string or an
    /// https service URI gives an <see cref="AzureBlobStore"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is none of the accepted forms.</exception>
    public static IBlobStore Create(string storage) => Create(StorageSetting.Parse(storage));

    /// <summary>Creates the store a setting names.</summary>
    public static IBlobStore Create(StorageSetting storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.IsLocal ? new LocalBlobStore(storage.LocalRoot!) : new AzureBlobStore(CreateServiceClient(storage));
    }

    /// <summary>
    /// Creates an Azure blob service client from a connection string or an https service URI, with the retry options of
    /// <see cref="CreateClientOptions"/>. Useful to share one configuration with Orleans' Azure providers.
    /// </summary>
    /// <param name="storage">A connection string or an https blob service URI.</param>
    /// <param name="credential">The credential for a service URI; <see cref="DefaultAzureCredential"/> when omitted.</param>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is neither.</exception>
    public static BlobServiceClient CreateServiceClient(string storage, TokenCredential? credential = null) =>
        CreateServiceClient(StorageSetting.Parse(storage), credential);

    /// <summary>Creates an Azure blob service client for a connection string or service URI setting.</summary>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is local folders.</exception>
    public static BlobServiceClient CreateServiceClient(StorageSetting storage, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.Kind switch
        {
            StorageKind.ConnectionString => new BlobServiceClient(storage.Value, CreateClientOptions()),
            StorageKind.ServiceUri => new BlobServiceClient(storage.ServiceUri, credential ?? new DefaultAzureCredential(), CreateClientOptions()),
            _ => throw new ArgumentException($"The storage setting '{storage}' is local folders, not a storage account. {StorageSetting.AcceptedForms}", nameof(storage)),
        };
    }

    /// <summary>Blob client options with explicit retries: exponential backoff from 0.5 s up to 30 s, 5 retries.</summary>
    public static BlobClientOptions CreateClientOptions()
    {
        var options = new BlobClientOptions();
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 5;
        options.Retry.Delay = TimeSpan.FromMilliseconds(500);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(30);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
        return options;
    }
}
