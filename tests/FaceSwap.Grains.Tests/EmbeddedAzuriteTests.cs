using Azure.Storage.Blobs;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Grains.Inference;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>The embedded silo over real Azure blob storage (a private Azurite): inbox container in, outbox container out.</summary>
[Collection(AzuriteFixture.CollectionName), Trait("Category", "Azurite")]
public sealed class EmbeddedAzuriteTests(AzuriteFixture azurite, ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-grains-azurite");

    [Fact]
    public async Task A_job_from_an_inbox_container_writes_mirrored_blobs_to_an_outbox_container()
    {
        var tree = InputTree.Build(photos: 50);
        var service = new BlobServiceClient(azurite.ConnectionString);
        var prefix = "batch-" + Guid.NewGuid().ToString("N")[..8];
        await AzuriteUpload.TreeAsync(service, "inbox", prefix + "/", tree);
        await AzuriteUpload.BlobAsync(service, "faces", prefix + "/source face.jpg", SourceFace.Jpeg);
        var spec = new JobSpec { Source = $"faces/{prefix}/source face.jpg", Input = $"inbox/{prefix}/", Output = $"outbox/{prefix}/swapped/",
            SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent" };

        await using var silo = await EmbeddedSilo.StartAsync(Path.Combine(work.FullPath, "state"), azurite.ConnectionString, output);
        var jobId = "azurite-" + Guid.NewGuid().ToString("N");
        await silo.Grains.GetGrain<IBatchGrain>(jobId).StartAsync(spec);
        var status = await Jobs.WaitAsync(silo.Grains.GetGrain<IBatchGrain>(jobId), TimeSpan.FromMinutes(3));
        output.WriteLine(status.Counters.ToString());
        Jobs.AssertCounts(status, tree, ok: tree.Photos.Count, skipped: 0);

        // The outbox mirrors the swapped photos, blob for blob, with the platform's metadata.
        var outbox = service.GetBlobContainerClient("outbox");
        var outputPrefix = $"{prefix}/swapped/";
        var blobs = new Dictionary<string, IDictionary<string, string>>();
        await foreach (var blob in outbox.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.Metadata, Azure.Storage.Blobs.Models.BlobStates.None, outputPrefix, CancellationToken.None))
        {
            blobs[blob.Name[outputPrefix.Length..]] = blob.Metadata;
        }

        var images = blobs.Keys.Where(name => !name.StartsWith("_faceswap/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(tree.Photos.Select(p => p.RelativePath).Order(StringComparer.Ordinal), images);
        Assert.Equal(["_faceswap/" + jobId + "/outcomes.idx", "_faceswap/" + jobId + "/outcomes.jsonl", "_faceswap/" + jobId + "/summary.json"], blobs.Keys.Except(images).Order(StringComparer.Ordinal));
        foreach (var photo in tree.Photos)
        {
            var bytes = (await outbox.GetBlobClient(outputPrefix + photo.RelativePath).DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(ImageCodec.FormatFromPath(photo.RelativePath), Formats.Sniff(bytes));
            Assert.Equal(photo.Size, ImageCodec.ReadSize(bytes));
            var metadata = blobs[photo.RelativePath];
            Assert.Equal("trainedAlgorithmicMedia", metadata[OutputMetadata.Generated]);
            Assert.Equal(jobId, metadata[OutputMetadata.JobId]);
        }

        var summary = (await outbox.GetBlobClient($"{outputPrefix}_faceswap/{jobId}/summary.json").DownloadContentAsync()).Value.Content.ToString();
        Jobs.AssertSummary(summary, status);
        var outcomes = (await outbox.GetBlobClient($"{outputPrefix}_faceswap/{jobId}/outcomes.jsonl").DownloadContentAsync()).Value.Content.ToString();
        Jobs.AssertOutcomes(Jobs.ParseOutcomes(outcomes), tree, "ok");

        // Nothing was written into the inbox.
        var inbox = new List<string>();
        await foreach (var blob in service.GetBlobContainerClient("inbox").GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix + "/", CancellationToken.None))
        {
            inbox.Add(blob.Name[(prefix.Length + 1)..]);
        }

        Assert.Equal(tree.Files.Select(f => f.RelativePath).Order(StringComparer.Ordinal), inbox.Order(StringComparer.Ordinal));
    }

    public void Dispose() => work.Dispose();
}

/// <summary>Uploads test files to Azurite with the Azure SDK.</summary>
public static class AzuriteUpload
{
    /// <summary>Uploads every file of a tree under container/prefix.</summary>
    public static async Task TreeAsync(BlobServiceClient service, string container, string prefix, InputTree tree)
    {
        var client = service.GetBlobContainerClient(container);
        await client.CreateIfNotExistsAsync();
        await Parallel.ForEachAsync(tree.Files, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (file, ct) =>
            await client.GetBlobClient(prefix + file.RelativePath).UploadAsync(BinaryData.FromBytes(file.Content), overwrite: true, ct));
    }

    /// <summary>Uploads one blob.</summary>
    public static async Task BlobAsync(BlobServiceClient service, string container, string name, byte[] content)
    {
        var client = service.GetBlobContainerClient(container);
        await client.CreateIfNotExistsAsync();
        await client.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(content), overwrite: true);
    }
}
