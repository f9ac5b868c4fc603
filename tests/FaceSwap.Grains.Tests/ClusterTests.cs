using System.Diagnostics;
using Azure.Storage.Blobs;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Inference;
using FaceSwap.Grains.Placement;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>A three-silo cluster (one api silo, two inference silos) over Azurite with the Azure providers.</summary>
[Collection(AzuriteFixture.CollectionName), Trait("Category", "Azurite")]
public sealed class ClusterTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private static readonly JobOptions SlowOptions = new() { BatchSize = 2, Prefetch = 4 };

    [Fact]
    public async Task Inference_runs_only_on_inference_silos_and_spreads_over_them()
    {
        var tree = InputTree.Build(photos: 36);
        var spec = await UploadAsync(tree);
        await using var cluster = await FaceSwapTestCluster.StartAsync(azurite, silos: 3);
        try
        {
            Assert.Equal(
                new Dictionary<string, string?> { [cluster.ApiSiloName] = SiloRoles.Api, [cluster.InferenceSiloNames[0]] = SiloRoles.Inference, [cluster.InferenceSiloNames[1]] = SiloRoles.Inference },
                cluster.Roles());
            Assert.Null(cluster.ApiSilo.SiloHost.Services.GetService<EngineService>());

            var jobId = await cluster.NewJobOnApiSiloAsync("spread");
            await cluster.Grains.GetGrain<IBatchGrain>(jobId).StartAsync(spec);
            var status = await Jobs.WaitAsync(cluster.Grains.GetGrain<IBatchGrain>(jobId), TimeSpan.FromMinutes(3));
            Log(status.Counters.ToString());
            Jobs.AssertCounts(status, tree, ok: tree.Photos.Count, skipped: 0);

            var outcomes = Jobs.ParseOutcomes(await DownloadTextAsync($"{spec.Output}_faceswap/{jobId}/outcomes.jsonl"));
            Jobs.AssertOutcomes(outcomes, tree, "ok");
            var bySilo = outcomes.GroupBy(o => o.Silo ?? "(none)").ToDictionary(g => g.Key, g => g.Count());
            Log("outcomes by silo: " + string.Join(", ", bySilo.Select(kv => $"{kv.Key}={kv.Value}")));
            Assert.All(outcomes, o => Assert.Contains(o.Silo, cluster.InferenceSiloNames));

            // The api silo never read an input image, let alone the source face for the engine.
            // The api silo reads no image (it reads only the job's own manifest, for the summary's stage table).
            Assert.DoesNotContain(cluster.ApiSiloName, cluster.Ledger.Readers.Where(r => !r.Key.Contains("/_faceswap/", StringComparison.Ordinal)).SelectMany(r => r.Value));
            Assert.All(tree.Photos, p => Assert.Equal(1, cluster.Ledger.Writes.GetValueOrDefault(spec.Output + p.RelativePath)));

            // Both inference silos take part: a job is spread over the inference silos, not pinned to one of them.
            Assert.All(cluster.InferenceSiloNames, silo => Assert.True(bySilo.GetValueOrDefault(silo) > 0,
                $"{silo} processed nothing ({string.Join(", ", bySilo.Select(kv => $"{kv.Key}={kv.Value}"))}): every batch went to the one " +
                "silo where inference/0 was first placed, because the BatchGrain always calls GetGrain<IInferenceGrain>(0) and the api silo caches that placement"));
        }
        finally
        {
            DumpLogs(cluster);
        }
    }

    [Fact]
    public async Task Killing_an_inference_silo_mid_job_loses_no_image_and_writes_no_output_twice()
    {
        var tree = InputTree.Build(photos: 36);
        var spec = await UploadAsync(tree);
        await using var cluster = await FaceSwapTestCluster.StartAsync(azurite, silos: 3);
        try
        {
            var jobId = await cluster.NewJobOnApiSiloAsync("kill");
            var job = cluster.Grains.GetGrain<IBatchGrain>(jobId);
            await job.StartAsync(spec);

            // Once a quarter of the images have outcomes, kill the inference silo that started reading an image last
            // (so it certainly has work in flight). KillSiloAsync takes long to return; the job is polled meanwhile.
            Task? kill = null;
            string? victim = null;
            long finishedAtKill = 0;
            var clock = Stopwatch.StartNew();
            var status = await Jobs.WaitAsync(job, TimeSpan.FromMinutes(3), s =>
            {
                if (kill is null && s.Counters.Finished >= tree.Images.Count / 4)
                {
                    victim = cluster.InferenceSiloNames.OrderByDescending(n => cluster.Ledger.LastRead.GetValueOrDefault(n)).First();
                    finishedAtKill = s.Counters.Finished;
                    cluster.Ledger.MarkDead(victim);
                    var handle = cluster.Cluster.Silos.Single(h => h.Name == victim);
                    kill = Task.Run(async () =>
                    {
                        // KillSiloAsync is a non-graceful stop followed by disposal; the stop is done first here so
                        // that the dead silo's parked storage calls can be failed between the two (its runtime is down
                        // by then, so nothing it computes reaches anyone), or the disposal would wait on them.
                        await handle.StopSiloAsync(stopGracefully: false);
                        TestTrace.Write("victim stopped");
                        cluster.Ledger.ReleaseDead(handle.Name);
                        await cluster.Cluster.KillSiloAsync(handle);
                        TestTrace.Write("kill returned");
                    });
                    Log($"{clock.Elapsed.TotalSeconds:0.0} s: killing {victim} at {s.Counters.Finished} of {tree.Images.Count} outcomes");
                }

                TestTrace.Write($"status {s.State} {s.Counters} in flight {s.InFlight}");
                return Task.CompletedTask;
            });
            Log($"{clock.Elapsed.TotalSeconds:0.0} s: job {status.State}, {status.Counters}");
            Assert.NotNull(kill);
            Assert.True(finishedAtKill < tree.Images.Count, "the job finished before the kill");
            var survivor = cluster.InferenceSiloNames.Single(n => n != victim);

            // Completed, every image accounted for exactly once, every photo written (ok, or skipped when the dead silo
            // had written it before its answer was lost), no broken dispatch.
            Assert.Equal(JobState.Completed, status.State);
            Assert.Equal(tree.Images.Count, status.Counters.Discovered);
            Assert.Equal(tree.Photos.Count, status.Counters.Ok + status.Counters.Skipped);
            Assert.Equal((2L, 2L), (status.Counters.NoFace, status.Counters.Failed));
            var outcomes = Jobs.ParseOutcomes(await DownloadTextAsync($"{spec.Output}_faceswap/{jobId}/outcomes.jsonl"));
            var duplicates = outcomes.GroupBy(o => o.Path).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, "more than one outcome line for: " + string.Join(", ", duplicates));
            Assert.Equal(tree.Images.Select(i => i.RelativePath).Order(StringComparer.Ordinal), outcomes.Select(o => o.Path).Order(StringComparer.Ordinal));
            var photoPaths = tree.Photos.Select(p => p.RelativePath).ToHashSet();
            Assert.All(outcomes.Where(o => photoPaths.Contains(o.Path)), o => Assert.True(o.Status is "ok" or "skipped", $"{o.Path}: {o.Status} {o.ErrorClass} {o.Message}"));
            Assert.All(outcomes, o => Assert.Contains(o.Silo, cluster.InferenceSiloNames));

            // Each output blob was written exactly once, and every photo has one.
            var writes = cluster.Ledger.Writes.Where(w => w.Key.StartsWith(spec.Output, StringComparison.Ordinal) && !w.Key.Contains("/_faceswap/", StringComparison.Ordinal)).ToList();
            Assert.True(writes.All(w => w.Value == 1), "written more than once: " + string.Join(", ", writes.Where(w => w.Value > 1).Select(w => $"{w.Key} x{w.Value}")));
            Assert.Equal(tree.Photos.Select(p => spec.Output + p.RelativePath).Order(StringComparer.Ordinal), writes.Select(w => w.Key).Order(StringComparer.Ordinal));
            Assert.Equal(tree.Photos.Count, await CountBlobsAsync(spec.Output));

            // The kill really took work away: some image the dead silo had started was finished by the survivor.
            var retried = outcomes.Where(o => o.Silo == survivor && cluster.Ledger.Readers.TryGetValue(spec.Input + o.Path, out var readers) && readers.Contains(victim!)).ToList();
            // (On a loaded machine the victim can finish its last batch before the kill takes effect; then nothing was
            // taken away and the invariants above are all there is to check: every image of the victim is its own.)
            Log($"started on {victim}, finished on {survivor}: {string.Join(", ", retried.Select(o => o.Path))}");
            var victimReads = cluster.Ledger.Readers.Where(r => r.Key.StartsWith(spec.Input, StringComparison.Ordinal) && r.Value.Contains(victim!)).Select(r => r.Key[spec.Input.Length..]).ToList();
            Assert.True(retried.Count > 0 || victimReads.All(path => outcomes.Single(o => o.Path == path).Silo == victim),
                "an image the killed silo had started has no outcome from the survivor");

            // The killed silo goes away: KillSiloAsync (a non-graceful stop, then disposal of the silo's host) returns.
            var returned = await Task.WhenAny(kill, Task.Delay(TimeSpan.FromSeconds(40))) == kill;
            Log($"{clock.Elapsed.TotalSeconds:0.0} s: kill {(returned ? "returned" : "still running")}");
            Assert.True(returned,
                $"KillSiloAsync({victim}) did not return within 40 s: disposing the killed silo waits for an inference request that never " +
                "completes (EngineService.Dispose stops its worker threads but leaves the requests still queued in its channel unanswered)");
            await kill;
        }
        finally
        {
            DumpLogs(cluster);
        }
    }

    private async Task<JobSpec> UploadAsync(InputTree tree)
    {
        var service = new BlobServiceClient(azurite.ConnectionString);
        var prefix = "cluster-" + Guid.NewGuid().ToString("N")[..8];
        await AzuriteUpload.TreeAsync(service, "inbox", prefix + "/", tree);
        await AzuriteUpload.BlobAsync(service, "faces", prefix + "/face.jpg", SourceFace.Jpeg);
        return new JobSpec { Source = $"faces/{prefix}/face.jpg", Input = $"inbox/{prefix}/", Output = $"outbox/{prefix}/", Options = SlowOptions,
            SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent" };
    }

    private async Task<string> DownloadTextAsync(string path)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var blob = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(path[..slash]).GetBlobClient(path[(slash + 1)..]);
        return (await blob.DownloadContentAsync()).Value.Content.ToString();
    }

    private async Task<int> CountBlobsAsync(string prefix)
    {
        var slash = prefix.IndexOf('/', StringComparison.Ordinal);
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(prefix[..slash]);
        var count = 0;
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix[(slash + 1)..], CancellationToken.None))
        {
            count += blob.Name.Contains("/_faceswap/", StringComparison.Ordinal) ? 0 : 1;
        }

        return count;
    }

    private void Log(string line)
    {
        output.WriteLine(line);
        TestTrace.Write(line);
    }

    private void DumpLogs(FaceSwapTestCluster cluster)
    {
        foreach (var line in cluster.Ledger.Logs.Lines.Where(l => !l.Contains("ServerGC", StringComparison.Ordinal)).TakeLast(60).ToList())
        {
            output.WriteLine(line);
        }
    }
}
