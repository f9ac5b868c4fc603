using Azure.Storage.Blobs;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Inference;
using FaceSwap.Storage;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// Work sent by a BatchGrain activation that is gone (its silo lost, the job back in a new activation) on a real
/// three-silo cluster over Azurite: it writes nothing new, and outputs the job wrote count once as ok with their faces.
/// </summary>
[Collection(AzuriteFixture.CollectionName), Trait("Category", "Azurite")]
public sealed class DispatcherLossTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task A_batch_from_a_gone_dispatcher_writes_no_output_and_finds_the_jobs_own_outputs_as_ok_with_their_faces()
    {
        var tree = InputTree.Build(photos: 6);
        var service = new BlobServiceClient(azurite.ConnectionString);
        var store = new AzureBlobStore(service);
        var prefix = "gone-" + Guid.NewGuid().ToString("N")[..8];
        await AzuriteUpload.TreeAsync(service, "inbox", prefix + "/", tree);
        await AzuriteUpload.BlobAsync(service, "faces", prefix + "/face.jpg", SourceFace.Jpeg);
        var spec = new JobSpec
        {
            Source = $"faces/{prefix}/face.jpg", Input = $"inbox/{prefix}/", Output = $"outbox/{prefix}/",
            Options = new JobOptions { BatchSize = 2, Prefetch = 4 }, SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent",
        };
        await using var cluster = await FaceSwapTestCluster.StartAsync(azurite, silos: 3);
        var jobId = await cluster.NewJobOnApiSiloAsync("gone");
        var job = cluster.Grains.GetGrain<IBatchGrain>(jobId);
        await job.StartAsync(spec);
        var done = await Jobs.WaitAsync(job, TimeSpan.FromMinutes(3));
        Assert.Equal(JobState.Completed, done.State);
        var outcomes = Jobs.ParseOutcomes((await service.GetBlobContainerClient("outbox").GetBlobClient($"{prefix}/_faceswap/{jobId}/outcomes.jsonl").DownloadContentAsync()).Value.Content.ToString())
            .Where(o => o.Status == "ok").ToDictionary(o => o.Path);
        Assert.Equal(tree.Photos.Count, outcomes.Count);

        // One output is gone again; the batch below, sent by a run that is not the job's live one, must not bring it back.
        var missing = tree.Photos[0].RelativePath;
        Assert.True(await store.DeleteAsync(spec.Output + missing));
        var specHash = (await store.GetMetadataAsync(spec.Output + tree.Photos[1].RelativePath))![OutputMetadata.SpecHash];
        var items = new List<WorkItem>();
        foreach (var photo in tree.Photos)
        {
            var input = (await store.GetPropertiesAsync(spec.Input + photo.RelativePath))!;
            items.Add(new WorkItem(input.Path, input.ETag, input.Size));
        }

        var readsBefore = cluster.Ledger.Readers.GetValueOrDefault(spec.Input + missing)?.Count ?? 0;
        var writesBefore = cluster.Ledger.Writes.Where(w => w.Key.StartsWith(spec.Output, StringComparison.Ordinal)).Sum(w => w.Value);
        var stale = new WorkBatch { JobId = jobId, Spec = done.Spec!, SpecHash = specHash, Items = items, Run = Guid.NewGuid() };
        var results = (await cluster.Grains.GetGrain<IInferenceGrain>(7).ProcessAsync(stale)).ToDictionary(o => o.Path);
        foreach (var result in results.Values)
        {
            output.WriteLine($"{result.Path}: {result.Status} {result.ErrorClass} faces {result.Faces}");
        }

        // The image without an output is dropped before it is read: nothing written, no input read for it.
        Assert.Equal((ImageStatus.Failed, EngineService.SupersededCode), (results[missing].Status, results[missing].ErrorClass));
        Assert.False(await store.ExistsAsync(spec.Output + missing));
        Assert.Equal(readsBefore, cluster.Ledger.Readers.GetValueOrDefault(spec.Input + missing)?.Count ?? 0);
        Assert.Equal(writesBefore, cluster.Ledger.Writes.Where(w => w.Key.StartsWith(spec.Output, StringComparison.Ordinal)).Sum(w => w.Value));

        // Outputs this job wrote come back as ok with the faces the job counted for them, not as skipped.
        foreach (var photo in tree.Photos.Skip(1))
        {
            var result = results[photo.RelativePath];
            Assert.Equal(ImageStatus.Ok, result.Status);
            Assert.Equal(outcomes[photo.RelativePath].Faces, result.Faces);
            Assert.True(result.Faces > 0);
        }
    }
}
