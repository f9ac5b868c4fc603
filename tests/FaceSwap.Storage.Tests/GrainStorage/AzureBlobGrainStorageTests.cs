using Azure.Storage.Blobs;
using FaceSwap.Testing;
using Orleans.Storage;

namespace FaceSwap.Storage.Tests.GrainStorage;

/// <summary>
/// The same grain storage contract against Orleans' own <c>AzureBlobGrainStorage</c> on Azurite, so the embedded
/// store and the cloud store are held to one standard.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
[Trait("Category", "Azurite")]
public sealed class AzureBlobGrainStorageTests(AzuriteStorageFixture fixture) : GrainStorageContractTests
{
    protected override TestSilo Silo => fixture.Silo;

    protected override string StorageName => StorageNames.Azure;

    protected override ICounterGrain GetCounter(string key) => Silo.Grains.GetGrain<IAzureCounterGrain>(key);

    protected override async Task OverwriteStoredBytesAsync(string stateName, GrainId grainId, byte[] bytes)
        => await Blob(stateName, grainId).UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);

    protected override async Task DeleteStoredRecordAsync(string stateName, GrainId grainId)
        => await Blob(stateName, grainId).DeleteIfExistsAsync();

    protected override async Task<bool> StoredRecordExistsAsync(string stateName, GrainId grainId)
        => (await Blob(stateName, grainId).ExistsAsync()).Value;

    protected override void AssertCorruptionError(Exception error, string stateName, GrainId grainId, bool throughGrain)
        => Assert.False(string.IsNullOrWhiteSpace(error.Message));

    [Fact]
    public void The_provider_is_Orleans_own_azure_blob_grain_storage()
        => Assert.IsType<AzureBlobGrainStorage>(Storage);

    /// <summary>Where Orleans' provider keeps a record: <c>{state name}-{grain id}.json</c> in its container.</summary>
    private BlobClient Blob(string stateName, GrainId grainId)
        => fixture.CreateBlobServiceClient().GetBlobContainerClient(StorageNames.AzureContainer).GetBlobClient($"{stateName}-{grainId}.json");
}
