using Azure.Storage.Blobs;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// A matrix job whose source checks take longer than a grain call may (the cluster's call timeout lowered to 2 s here, as
/// 12 sources x 30 photos outlast the default 30 s): the start answers in time and the job runs to the end.
/// </summary>
[Collection(AzuriteFixture.CollectionName), Trait("Category", "Azurite")]
public sealed class SlowSourceCheckTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task A_matrix_job_whose_source_checks_outlast_the_grain_call_timeout_answers_pending_and_then_runs_every_pair()
    {
        const int Sources = 8;
        var tree = InputTree.Build(photos: 2);
        var service = new BlobServiceClient(azurite.ConnectionString);
        var prefix = "slow-" + Guid.NewGuid().ToString("N")[..8];
        await AzuriteUpload.TreeAsync(service, "inbox", prefix + "/", tree);
        var sources = new List<string>();
        for (var i = 0; i < Sources; i++)
        {
            // Each source its own file: the check prepares every one of them.
            await AzuriteUpload.BlobAsync(service, "faces", $"{prefix}/person{i}/face.jpg", SourceFace.Jpeg);
            sources.Add($"faces/{prefix}/person{i}/");
        }

        var spec = new JobSpec
        {
            Source = $"faces/{prefix}/person0/face.jpg", Sources = sources, Input = $"inbox/{prefix}/", Output = $"outbox/{prefix}/",
            Options = new JobOptions { SourcesMode = SourcesMode.Each, BatchSize = 4, Prefetch = 8 },
            SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent",
        };
        await using var cluster = await FaceSwapTestCluster.StartAsync(azurite, silos: 2, responseTimeout: TimeSpan.FromSeconds(2));
        var jobId = await cluster.NewJobOnApiSiloAsync("slow");
        var job = cluster.Grains.GetGrain<IBatchGrain>(jobId);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var started = await job.StartAsync(spec);
        output.WriteLine($"StartAsync answered after {clock.Elapsed.TotalSeconds:0.0} s: {started.State}, {started.Notice}");

        // The answer came before the call timed out: the job, still checking, with its spec and why it waits.
        Assert.Equal(JobState.Pending, started.State);
        Assert.Equal(BatchGrain.CheckingNotice, started.Notice);
        Assert.Equal(spec.Sources, started.Spec!.Sources);
        Assert.Equal(JobState.Pending, (await job.GetStatusAsync()).State);

        // Asking again meanwhile joins the same check rather than starting a second one (or finds the job running, when
        // the check ended in between); either way every pair below is done exactly once.
        Assert.Contains((await job.StartAsync(spec)).State, new[] { JobState.Pending, JobState.Running });

        var done = await Jobs.WaitAsync(job, TimeSpan.FromMinutes(5));
        output.WriteLine($"{done.State} after {clock.Elapsed.TotalSeconds:0.0} s: {done.Counters}");
        Assert.Equal(JobState.Completed, done.State);
        Assert.Null(done.Notice);
        Assert.Equal((long)(Sources * tree.Photos.Count), done.Counters.Ok);
        var container = service.GetBlobContainerClient("outbox");
        for (var i = 0; i < Sources; i++)
        {
            foreach (var photo in tree.Photos)
            {
                Assert.True((await container.GetBlobClient($"{prefix}/person{i}/{photo.RelativePath}").ExistsAsync()).Value, $"person{i}/{photo.RelativePath} was not written");
            }
        }
    }
}
