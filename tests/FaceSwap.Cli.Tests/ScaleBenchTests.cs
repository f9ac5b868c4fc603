using System.Diagnostics;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Cli.Commands;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;
using FaceSwap.LoadTesting;

namespace FaceSwap.Cli.Tests;

/// <summary>
/// The load test of the coordination layer (`faceswap bench --engine null --storage synthetic`) and what it proves:
/// every image gets exactly one outcome and one output write, also when an inference silo dies mid-job.
/// Timings are printed, never asserted.
/// </summary>
public sealed class ScaleBenchTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-scale-test-");

    [Fact]
    public async Task Bench_with_the_null_engine_and_synthetic_storage_runs_every_image_once_and_writes_json()
    {
        var json = Path.Combine(work.FullName, "scale.json");

        // 5,000 images: the first 4,096 go the classic way, the rest to a partition grain.
        var run = await CliProcess.RunAsync("bench", "--engine", "null", "--storage", "synthetic", "--count", "5000", "--silos", "2", "--json", json);

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        Assert.Contains("images/s", run.StdOut);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var root = report.RootElement;
        Assert.Equal(5000, root.GetProperty("count").GetInt32());
        Assert.Equal(2, root.GetProperty("silos").GetInt32());
        Assert.Equal("completed", root.GetProperty("state").GetString());
        Assert.Equal(5000, root.GetProperty("counters").GetProperty("ok").GetInt64());
        Assert.Equal(5000, root.GetProperty("counters").GetProperty("discovered").GetInt64());
        Assert.Equal(5000, root.GetProperty("outcomeLines").GetInt64());
        Assert.Equal(5000, root.GetProperty("distinctWrites").GetInt64());
        Assert.Equal(0, root.GetProperty("duplicateWrites").GetInt64());
        Assert.True(root.GetProperty("imagesPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("latencyP50Ms").GetDouble() > 0);
        Assert.True(root.GetProperty("latencyP95Ms").GetDouble() >= root.GetProperty("latencyP50Ms").GetDouble());
        Assert.InRange(root.GetProperty("grainCallsPerImage").GetDouble(), 0.001, 1);
        Assert.InRange(root.GetProperty("stateBytes").GetInt64(), 1, 64 * 1024 - 1);
        Assert.True(root.GetProperty("peakRssMegabytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Bench_refuses_the_null_engine_without_synthetic_storage()
    {
        var run = await CliProcess.RunAsync("bench", "--engine", "null", "--count", "10");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--storage synthetic", run.StdErr);
    }

    [Fact]
    public async Task A_200000_image_job_with_an_inference_silo_killed_midway_has_200000_outcomes_and_200000_distinct_writes()
    {
        const int Images = 200_000;
        const int Victim = 2;
        long writesAtKill = -1;

        // Silo 0 is the api silo (the job's BatchGrain); silos 1 and 2 run partitions and inference.
        var report = await ScaleBench.MeasureAsync(Images, silos: 3, engineDelayMs: 0, concurrency: 0, work.FullName, CancellationToken.None, async (cluster, store) =>
        {
            if (writesAtKill < 0 && store.DistinctWrites >= Images / 4)
            {
                writesAtKill = store.DistinctWrites;
                await cluster.KillAsync(Victim);
            }
        });

        Assert.InRange(writesAtKill, Images / 4, Images - 1);
        Assert.Equal("completed", report.State);
        Assert.Equal(Images, report.Counters.Discovered);
        Assert.Equal(Images, report.Counters.Finished);
        Assert.Equal(0, report.Counters.Failed);
        Assert.Equal(Images, report.DistinctWrites);
        Assert.Equal(0, report.DuplicateWrites);

        // The manifest holds one outcome per image (pages run again after the kill add lines; the latest line counts).
        var outcomes = JobOutcomes.ParseAll(await File.ReadAllBytesAsync(Path.Combine(work.FullName, "blobs", "synthetic", "out", "_faceswap", report.JobId, "outcomes.jsonl"))).ToList();
        Assert.Equal(Images, outcomes.Select(o => o.Path).Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(outcomes, o => o.Silo == $"scale-{Victim}-inference");
        Assert.True(report.StateBytes is > 0 and < 64 * 1024, $"state is {report.StateBytes} bytes");
    }

    [Fact]
    public async Task Cancelling_a_job_that_runs_on_partitions_stops_its_writes()
    {
        const int Images = 100_000;
        var store = new SyntheticBlobStore(new LocalBlobStore(Path.Combine(work.FullName, "blobs")), "synthetic/in/", "synthetic/out/", Images);

        // One pipeline at 1 ms an image: slow enough that the job is still running when it is cancelled.
        await using var cluster = await ScaleCluster.StartAsync(2, store, Path.Combine(work.FullName, "state"), engineDelayMs: 1, concurrency: 1, CancellationToken.None);
        var job = cluster.Grains.GetGrain<IBatchGrain>(JobIds.New());
        await job.StartAsync(new JobSpec { Source = "synthetic/source.jpg", Input = store.InputPrefix, Output = store.OutputPrefix, Options = new JobOptions { BatchSize = 64, Prefetch = 256 },
            SubmittedBy = "cli-tests", ConsentReference = "cli-tests: synthetic images" });
        var clock = Stopwatch.StartNew();
        while (store.DistinctWrites < 6_000 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(20);
        }

        // Past 4,096 images the job is on partitions: 4 pages in flight, each with 4 batches of 64 dispatched.
        var writesAtCancel = store.DistinctWrites;
        var cancelled = await job.CancelAsync();
        long settled;
        do
        {
            settled = store.DistinctWrites;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        while (store.DistinctWrites != settled && clock.Elapsed < TimeSpan.FromSeconds(90));

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(JobState.Cancelled, (await job.GetStatusAsync()).State);
        Assert.Equal(settled, store.DistinctWrites);

        // Batches in flight finish; the rest of each page is never dispatched (a whole page would be 2,000 images).
        Assert.InRange(settled - writesAtCancel, 0, 4 * 4 * 64 + 256);
        Assert.Equal(0, store.DuplicateWrites);
    }

    public void Dispose() => work.Delete(recursive: true);
}
