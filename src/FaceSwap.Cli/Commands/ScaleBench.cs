using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;
using FaceSwap.LoadTesting;

namespace FaceSwap.Cli.Commands;

/// <summary>
/// `faceswap bench --engine null --storage synthetic`: a load test of the coordination layer. The engine does no
/// imaging and the storage keeps no images (both are load-testing tools, selectable only here), so what is measured is
/// the grain path: BatchGrain, partition grains, inference grains, outcome recording, over K in-process silos.
/// </summary>
public static class ScaleBench
{
    private static readonly Option<string?> Engine = new("--engine") { Description = "Load testing: 'null' runs the null engine (no imaging, no models); needs --storage synthetic" };
    private static readonly Option<string?> Storage = new("--storage") { Description = "Load testing: 'synthetic' lists --count generated names and keeps no outputs; needs --engine null" };
    private static readonly Option<int> Silos = new("--silos") { Description = "Load testing: silos in process (one api, the rest inference; 1: one silo with both roles)", DefaultValueFactory = _ => 1 };
    private static readonly Option<double?> KillAt = new("--kill-inference-silo-at") { Description = "Load testing: kill the last inference silo once this fraction of the outputs is written (0 to 1; needs --silos 3 or more)" };
    private static readonly Option<int> EngineDelay = new("--engine-delay") { Description = "Load testing: milliseconds each image holds a null-engine pipeline (stands in for a model)", DefaultValueFactory = _ => 0 };

    /// <summary>Adds the load-testing options to `faceswap bench`.</summary>
    public static void AddOptions(Command bench)
    {
        bench.Options.Add(Engine);
        bench.Options.Add(Storage);
        bench.Options.Add(Silos);
        bench.Options.Add(EngineDelay);
        bench.Options.Add(KillAt);
    }

    /// <summary>Whether the bench was asked for the load test (either load-testing option given); the other bench runs otherwise.</summary>
    public static bool IsRequested(ParseResult parse) => parse.GetValue(Engine) is not null || parse.GetValue(Storage) is not null;

    /// <summary>Runs the load test and prints (and with --json writes) what it measured.</summary>
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.GetValue(Engine) != "null" || parse.GetValue(Storage) != "synthetic")
        {
            throw new CliException("the load test takes both --engine null and --storage synthetic (the only values of these load-testing options)");
        }

        var count = parse.GetValue<int>("--count");
        var silos = parse.GetValue(Silos);
        if (count < 1 || silos < 1)
        {
            throw new CliException("--count and --silos must be at least 1");
        }

        var killAt = parse.GetValue(KillAt);
        if (killAt is { } fraction && (fraction is < 0 or > 1 || silos < 3))
        {
            throw new CliException("--kill-inference-silo-at takes a fraction from 0 to 1 and --silos 3 or more (one inference silo must survive)");
        }

        var killed = false;
        Func<ScaleCluster, SyntheticBlobStore, Task>? kill = killAt is not { } at ? null : async (cluster, store) =>
        {
            if (!killed && store.DistinctWrites >= at * count)
            {
                killed = true;
                Console.Error.WriteLine($"killing inference silo {cluster.Count - 1} after {store.DistinctWrites} writes");
                await cluster.KillAsync(cluster.Count - 1);
            }
        };
        var work = Directory.CreateTempSubdirectory("faceswap-scale-");
        try
        {
            var report = await MeasureAsync(count, silos, Math.Max(0, parse.GetValue(EngineDelay)), parse.GetValue<int>("--concurrency"), work.FullName, cancellationToken, kill);
            Print(report);
            if (parse.GetValue<string?>("--json") is { } json)
            {
                await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, new JsonSerializerOptions(FaceSwapJson.Options) { WriteIndented = true }), cancellationToken);
            }

            return report.DuplicateWrites == 0 && report.Counters.Finished == count ? ExitCodes.Success : ExitCodes.Failure;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// One synthetic job of <paramref name="count"/> images on <paramref name="silos"/> in-process silos, measured; the
    /// job's files stay under <paramref name="work"/>. <paramref name="duringJob"/> runs at each status poll (a test kills a silo there).
    /// </summary>
    public static async Task<ScaleReport> MeasureAsync(int count, int silos, int engineDelayMs, int concurrency, string work, CancellationToken cancellationToken, Func<ScaleCluster, SyntheticBlobStore, Task>? duringJob = null)
    {
        var store = new SyntheticBlobStore(new LocalBlobStore(Path.Combine(work, "blobs")), "synthetic/in/", "synthetic/out/", count);
        var stateDirectory = Path.Combine(work, "state");
        await store.WriteAsync("synthetic/source.jpg", SourcePlaceholder, "image/jpeg", null, cancellationToken);
        Console.Error.WriteLine($"load test: {count} synthetic images, {silos} silo(s) in process, null engine{(engineDelayMs > 0 ? $" holding a pipeline {engineDelayMs} ms per image" : "")}, {Environment.ProcessorCount} cores");

        await using var cluster = await ScaleCluster.StartAsync(silos, store, stateDirectory, engineDelayMs, concurrency, cancellationToken);
        var spec = new JobSpec
        {
            Source = "synthetic/source.jpg",
            Input = store.InputPrefix,
            Output = store.OutputPrefix,
            Options = new JobOptions { BatchSize = 64, Prefetch = 256 },
            SubmittedBy = "bench",
            ConsentReference = "bench: synthetic images, null engine",
        };
        var jobId = JobIds.New();
        var job = cluster.Grains.GetGrain<IBatchGrain>(jobId);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var pauseBefore = GC.GetTotalPauseDuration();
        var gcBefore = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
        var callsBefore = cluster.GrainCalls;
        var watch = Stopwatch.StartNew();
        var status = await job.StartAsync(spec);
        var polls = 1;
        while (!status.IsTerminal)
        {
            await Task.Delay(50, cancellationToken);
            status = await job.GetStatusAsync();
            polls++;
            if (duringJob is not null)
            {
                await duringJob(cluster, store);
            }
        }

        watch.Stop();
        process.Refresh();
        var peakDuringJob = PeakRssMegabytes();
        var seconds = watch.Elapsed.TotalSeconds;
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / (seconds * Environment.ProcessorCount);

        // The bench's own status polls are not part of the job's cost.
        var calls = cluster.GrainCalls - callsBefore - polls;
        var manifest = Path.Combine(work, "blobs", JobFiles.Outcomes(spec, jobId));
        return new ScaleReport(
            count, silos, engineDelayMs, Environment.ProcessorCount, status.State.ToString().ToLowerInvariant(), status.Counters,
            Math.Round(seconds, 2), Math.Round(status.Counters.Finished / seconds, 1),
            Math.Round(store.ListingToOutcome.Percentile(0.50), 1), Math.Round(store.ListingToOutcome.Percentile(0.95), 1),
            Math.Round((double)calls / count, 4), StateBytes(stateDirectory, jobId), PeakRssMegabytes(),
            Math.Round(cpu * 100, 1), GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - gcBefore,
            Math.Round((GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds, 2),
            CountLines(manifest), store.DistinctWrites, store.DuplicateWrites, jobId, peakDuringJob, GC.GetTotalMemory(forceFullCollection: true) / (1024 * 1024),
            store.Appends, Math.Round(store.AppendTime.TotalSeconds, 2));
    }

    private static readonly byte[] SourcePlaceholder = Encoding.ASCII.GetBytes("synthetic source face");

    /// <summary>Size of the job's persisted BatchGrain state (the grain-state file named after the job).</summary>
    private static long StateBytes(string stateDirectory, string jobId) =>
        Directory.Exists(stateDirectory)
            ? Directory.EnumerateFiles(stateDirectory, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f).Contains(jobId, StringComparison.Ordinal))
                .Select(f => new FileInfo(f).Length)
                .DefaultIfEmpty(0)
                .Max()
            : 0;

    /// <summary>The process's peak resident set (VmHWM on Linux; elsewhere the peak working set).</summary>
    private static long PeakRssMegabytes()
    {
        const string Status = "/proc/self/status";
        if (File.Exists(Status))
        {
            foreach (var line in File.ReadLines(Status))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
                }
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / (1024 * 1024);
    }

    private static long CountLines(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 20];
        long lines = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return lines;
    }

    private static void Print(ScaleReport r)
    {
        Console.WriteLine($"{r.Count} synthetic images on {r.Silos} silo(s), null engine (delay {r.EngineDelayMs} ms), {r.Cores} cores: job {r.State}");
        Console.WriteLine($"  images/s              {r.ImagesPerSecond,12:0.0}   ({r.Seconds:0.00} s)");
        Console.WriteLine($"  listing->outcome ms   {r.LatencyP50Ms,12:0.0} p50 {r.LatencyP95Ms:0.0} p95");
        Console.WriteLine($"  grain calls/image     {r.GrainCallsPerImage,12:0.0000}");
        Console.WriteLine($"  BatchGrain state      {r.StateBytes,12} bytes");
        Console.WriteLine($"  peak RSS              {r.PeakRssMegabytes,12} MB ({r.PeakRssDuringJobMegabytes} MB until the job completed; live heap after it {r.LiveHeapAfterJobMegabytes} MB)");
        Console.WriteLine($"  cpu                   {r.CpuPercent,12:0.0} % of {r.Cores} cores, {r.GarbageCollections} GCs, {r.GcPauseSeconds:0.00} s paused");
        Console.WriteLine($"  outcomes              {r.OutcomeLines,12} lines; ok {r.Counters.Ok}, skipped {r.Counters.Skipped}, failed {r.Counters.Failed}");
        Console.WriteLine($"  writes                {r.DistinctWrites,12} distinct, {r.DuplicateWrites} duplicate");
        Console.WriteLine($"  manifest appends      {r.ManifestAppends,12} ({r.ManifestAppendSeconds:0.00} s of append time, summed)");
    }
}

/// <summary>What the load test measured.</summary>
public sealed record ScaleReport(
    int Count, int Silos, int EngineDelayMs, int Cores, string State, JobCounters Counters, double Seconds, double ImagesPerSecond,
    double LatencyP50Ms, double LatencyP95Ms, double GrainCallsPerImage, long StateBytes, long PeakRssMegabytes, double CpuPercent,
    int GarbageCollections, double GcPauseSeconds, long OutcomeLines, long DistinctWrites, long DuplicateWrites, string JobId,
    long PeakRssDuringJobMegabytes, long LiveHeapAfterJobMegabytes, long ManifestAppends, double ManifestAppendSeconds);
