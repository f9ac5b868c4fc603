using FaceSwap.Testing;

namespace FaceSwap.Storage.Tests.Blobs;

/// <summary>The blob-store contract against <see cref="AzureBlobStore"/> over Azurite; each test has its own container.</summary>
[Collection(AzuriteFixture.CollectionName)]
[Trait("Category", "Azurite")]
public sealed class AzureBlobStoreContractTests(AzuriteStorageFixture fixture) : BlobStoreContractTests, IAsyncLifetime
{
    protected override IBlobStore Store { get; } = new AzureBlobStore(fixture.CreateBlobServiceClient());

    protected override string Container { get; } = "t" + Guid.NewGuid().ToString("N")[..20];

    protected override IBlobStore CreateStoreOverSameStorage() => new AzureBlobStore(fixture.CreateBlobServiceClient());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
        => await fixture.CreateBlobServiceClient().GetBlobContainerClient(Container).DeleteIfExistsAsync();

    [Fact]
    public async Task Invalid_container_names_are_rejected_before_any_request()
    {
        var error = await Assert.ThrowsAsync<InvalidBlobPathException>(() => Store.ReadAllBytesAsync("Bad_Container/x.jpg", 10));

        Assert.Contains("container name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appending_to_a_blob_in_a_missing_container_creates_both()
    {
        var container = "t" + Guid.NewGuid().ToString("N")[..20];
        try
        {
            await Store.AppendLinesAsync($"{container}/m/manifest.jsonl", ["{\"a\":1}"]);

            Assert.Equal("{\"a\":1}\n"u8.ToArray(), await Store.ReadAllBytesAsync($"{container}/m/manifest.jsonl", 100));
        }
        finally
        {
            await fixture.CreateBlobServiceClient().GetBlobContainerClient(container).DeleteIfExistsAsync();
        }
    }

    [Fact]
    public async Task A_request_the_service_refuses_comes_out_as_a_store_neutral_io_error_with_the_status()
    {
        // Azurite checks the shared-key signature: a wrong key is refused with 403 on every operation.
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var refused = new AzureBlobStore(BlobStoreFactory.CreateServiceClient(
            fixture.Azurite.ConnectionString.Replace(AzuriteFixture.AccountKey, wrongKey, StringComparison.Ordinal)));

        var write = await Assert.ThrowsAsync<BlobStoreException>(() => refused.WriteAsync($"{Container}/x.txt", "x"u8.ToArray(), "text/plain", null));
        var list = await Assert.ThrowsAsync<BlobStoreException>(() => refused.ListAsync($"{Container}/", null, 10));

        Assert.Equal(403, write.Status);
        Assert.Equal(403, list.Status);
        Assert.IsAssignableFrom<IOException>(write);
        Assert.Equal($"{Container}/x.txt", write.Path);
        Assert.False(await Store.ExistsAsync($"{Container}/x.txt"));
    }
}
