using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace FaceSwap.Storage;

/// <summary>Builds a blob store from one setting string.</summary>
public static class BlobStoreFactory
{
    private const string AcceptedForms =
        "Accepted forms: 'local' (local folders, root '/'), 'local:/some/root' (local folders under that root), " +
        "an Azure Storage connection string ('UseDevelopmentStorage=true' or one with 'AccountName=' or 'BlobEndpoint='), " +
        "or an https blob service URI such as 'https://account.blob.core.windows.net' (signed in with DefaultAzureCredential).";

    /// <summary>
    /// Creates a store: <c>local</c> or <c>local:/root</c> gives a <see cref="LocalBlobStore"/>; a connection string or an
    /// https service URI gives an <see cref="AzureBlobStore"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is none of the accepted forms.</exception>
    public static IBlobStore Create(string storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var value = storage.Trim();
        if (string.Equals(value, "local", StringComparison.OrdinalIgnoreCase))
        {
            return new LocalBlobStore("/");
        }

        if (value.StartsWith("local:", StringComparison.OrdinalIgnoreCase))
        {
            var root = value["local:".Length..].Trim();
            if (root.Length == 0)
            {
                throw new ArgumentException($"The storage setting 'local:' names no root folder. {AcceptedForms}", nameof(storage));
            }

            return new LocalBlobStore(root);
        }

        return new AzureBlobStore(CreateServiceClient(value));
    }

    /// <summary>
    /// Creates an Azure blob service client from a connection string or an https service URI, with the retry options of
    /// <see cref="CreateClientOptions"/>. Useful to share one configuration with Orleans' Azure providers.
    /// </summary>
    /// <param name="storage">A connection string or an https blob service URI.</param>
    /// <param name="credential">The credential for a service URI; <see cref="DefaultAzureCredential"/> when omitted.</param>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is neither.</exception>
    public static BlobServiceClient CreateServiceClient(string storage, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var value = storage.Trim();
        if (IsConnectionString(value))
        {
            return new BlobServiceClient(value, CreateClientOptions());
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
        {
            return new BlobServiceClient(uri, credential ?? new DefaultAzureCredential(), CreateClientOptions());
        }

        throw new ArgumentException($"The storage setting '{Redact(value)}' is not understood. {AcceptedForms}", nameof(storage));
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

    /// <summary>Whether a storage setting is an Azure Storage connection string (Azurite's included).</summary>
    public static bool IsConnectionString(string value)
        => value.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase)
           || value.Contains("AccountName=", StringComparison.OrdinalIgnoreCase)
           || value.Contains("BlobEndpoint=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a storage setting is an https blob service URI (signed in with a credential, not a key).</summary>
    public static bool IsServiceUri(string value, out Uri uri) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out uri!) && uri.Scheme == Uri.UriSchemeHttps;

    /// <summary>
    /// The account's endpoint for another service beside its blob endpoint:
    /// https://acct.blob.core.windows.net to https://acct.queue.core.windows.net for "queue".
    /// </summary>
    public static Uri SiblingEndpoint(Uri blobService, string service) =>
        new UriBuilder(blobService) { Host = blobService.Host.Replace(".blob.", $".{service}.", StringComparison.OrdinalIgnoreCase) }.Uri;

    /// <summary>Never echo what may be a secret: keep only a short head of an unrecognised setting.</summary>
    private static string Redact(string value) => value.Length <= 12 ? value : value[..12] + "...";
}
