using Azure.Core;

namespace FaceSwap.Storage.Tests.Blobs;

public sealed class BlobStoreFactoryTests
{
    [Fact]
    public void Plain_local_is_a_local_store_rooted_at_the_file_system_root()
    {
        var store = Assert.IsType<LocalBlobStore>(BlobStoreFactory.Create("local"));

        Assert.Equal("/", store.RootDirectory);
    }

    [Fact]
    public void Local_with_a_root_is_a_local_store_rooted_there()
    {
        var store = Assert.IsType<LocalBlobStore>(BlobStoreFactory.Create("local:/srv/faceswap/"));

        Assert.Equal("/srv/faceswap", store.RootDirectory);
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net")]
    [InlineData("BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;SharedAccessSignature=sv=2024&sig=x")]
    [InlineData("https://acct.blob.core.windows.net")]
    public void Connection_strings_and_https_service_uris_are_Azure_stores(string storage)
    {
        var store = Assert.IsType<AzureBlobStore>(BlobStoreFactory.Create(storage));

        Assert.NotNull(store.ServiceClient.Uri);
    }

    [Fact]
    public void A_service_uri_names_the_account()
    {
        var store = Assert.IsType<AzureBlobStore>(BlobStoreFactory.Create("https://myaccount.blob.core.windows.net/"));

        Assert.Equal("myaccount", store.ServiceClient.AccountName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("local:")]
    [InlineData("http://acct.blob.core.windows.net")]
    [InlineData("ftp://somewhere")]
    [InlineData("/just/a/folder")]
    [InlineData("azure")]
    public void Anything_else_is_refused_with_the_accepted_forms(string storage)
    {
        var error = Assert.Throws<ArgumentException>(() => BlobStoreFactory.Create(storage));

        Assert.Contains("Accepted forms", error.Message, StringComparison.Ordinal);
        Assert.Contains("local:/some/root", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_options_retry_exponentially()
    {
        var options = BlobStoreFactory.CreateClientOptions();

        Assert.Equal(RetryMode.Exponential, options.Retry.Mode);
        Assert.InRange(options.Retry.MaxRetries, 3, 10);
        Assert.True(options.Retry.Delay > TimeSpan.Zero);
    }
}
