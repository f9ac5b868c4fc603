using System.Text.Json;
using Azure.Storage.Blobs;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using FaceSwap.Testing;
using OpenCvSharp;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>The repeat-image cache in a cluster (one api silo, two inference silos) over Azurite: once per silo.</summary>
[Collection(AzuriteFixture.CollectionName), Trait("Category", "Azurite")]
public sealed class ClusterCacheTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task Copies_of_one_photo_are_detected_once_per_inference_silo_and_every_output_is_written()
    {
        const int copies = 30;
        byte[] photo;
        using (var image = ImageCodec.Decode(await File.ReadAllBytesAsync(TestAssets.Sample(1))))
        using (var small = new Mat())
        {
            Cv2.Resize(image, small, new Size(640, image.Height * 640 / image.Width), interpolation: InterpolationFlags.Area);
            photo = ImageCodec.Encode(small, ImageFormat.Jpeg);
        }

        var service = new BlobServiceClient(azurite.ConnectionString);
        var prefix = "cache-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < copies; i++)
        {
            await AzuriteUpload.BlobAsync(service, "inbox", $"{prefix}/poster/{i:00}.jpg", photo);
        }

        await AzuriteUpload.BlobAsync(service, "faces", prefix + "/face.jpg", SourceFace.Jpeg);
        var spec = new JobSpec
        {
            Source = $"faces/{prefix}/face.jpg",
            Input = $"inbox/{prefix}/",
            Output = $"outbox/{prefix}/",
            Options = new JobOptions { BatchSize = 2, Prefetch = 8 },
            SubmittedBy = "grains-tests",
            ConsentReference = "grains-tests-consent",
        };

        await using var cluster = await FaceSwapTestCluster.StartAsync(azurite, silos: 3);
        var jobId = await cluster.NewJobOnApiSiloAsync("cache");
        await cluster.Grains.GetGrain<IBatchGrain>(jobId).StartAsync(spec);
        var status = await Jobs.WaitAsync(cluster.Grains.GetGrain<IBatchGrain>(jobId), TimeSpan.FromMinutes(4));

        Assert.Equal((JobState.Completed, (long)copies), (status.State, status.Counters.Ok));
        var manifest = (await service.GetBlobContainerClient("outbox").GetBlobClient($"{prefix}/_faceswap/{jobId}/outcomes.jsonl").DownloadContentAsync()).Value.Content.ToString();
        var outcomes = manifest.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var bySilo = outcomes.GroupBy(o => o.GetProperty("silo").GetString()!).ToList();
        foreach (var silo in bySilo)
        {
            var analysed = silo.Count(o => !(o.TryGetProperty("cacheHit", out var hit) && hit.GetBoolean()));
            var detected = silo.Count(o => o.GetProperty("stages").TryGetProperty("detect", out _));
            output.WriteLine($"{silo.Key}: {silo.Count()} images, analysed {analysed}, detect stage in {detected}");
            Assert.Equal((1, 1), (analysed, detected));
        }

        Assert.Equal(copies - bySilo.Count, status.Counters.CacheHits);
        Assert.All(cluster.InferenceSiloNames, silo => Assert.Contains(silo, bySilo.Select(g => g.Key)));
        Assert.All(Enumerable.Range(0, copies), i => Assert.Equal(1, cluster.Ledger.Writes.GetValueOrDefault($"outbox/{prefix}/poster/{i:00}.jpg")));
    }
}
