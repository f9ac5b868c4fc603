using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Hosting;

namespace FaceSwap.Cli.Commands;

/// <summary>
/// `faceswap bench`: one workload of demo photos through three ways of running it, on this machine, in one run:
/// the platform (an embedded silo, a BatchGrain, inference grains, local storage), the ceiling (the engine alone in a
/// tight in-process loop on every core) and the naive loop (one image at a time: read, swap, write).
/// </summary>
public static class BenchCommand
{
    private static readonly Option<int> Count = new("--count") { Description = "Photos in the workload (copies of the demo photos in nested folders)", DefaultValueFactory = _ => 40 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Images per inference call (platform)", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> Concurrency = new("--concurrency") { Description = "Engine pipelines (platform and ceiling; 0: one per core)", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Samples = new("--samples") { Description = "Folder with the demo photos sample1.jpg..sample4.jpg (default: the repository's .cache/samples)" };
    private static readonly Option<string?> Json = new("--json") { Description = "Also write the results as JSON to this file" };
    private static readonly Option<bool> NoWatermark = new("--no-watermark") { Description = "Leave out the invisible watermark (on by default in jobs) in all three runs" };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("bench", "Measure the platform against the engine's ceiling and a naive loop on one workload")
        {
            Count, BatchSize, Concurrency, Samples, Json, NoWatermark,
        };
        ScaleBench.AddOptions(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() => ScaleBench.IsRequested(parse) ? ScaleBench.RunAsync(parse, ct) : RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, parse.GetValue(Count));
        var concurrency = parse.GetValue(Concurrency) is > 0 and var c ? c : Environment.ProcessorCount;
        var models = ModelDirectory.Open(parse.GetValue(CommonOptions.Models));
        foreach (var model in models.Catalog.Models)
        {
            models.Require(model.Name);
        }

        var samples = FindSamples(parse.GetValue(Samples));
        var work = Directory.CreateTempSubdirectory("faceswap-bench-");
        try
        {
            var input = Path.Combine(work.FullName, "in");
            var files = BuildWorkload(samples, input, count);
            var source = Path.Combine(work.FullName, "source.jpg");
            File.Copy(samples[2], source);
            Console.Error.WriteLine($"workload: {count} photos ({string.Join(", ", samples.Select(Path.GetFileName))}, nested), {concurrency} pipelines, {Environment.ProcessorCount} cores");

            using var engine = FaceEngine.Load(models, new EngineOptions { Onnx = new OnnxSettings { IntraOpThreads = 1 } });
            using var sourceFace = engine.PrepareSource(await File.ReadAllBytesAsync(source, cancellationToken));
            engine.Swap(await File.ReadAllBytesAsync(files[0], cancellationToken), sourceFace, new SwapRequest()); // warm-up

            var watermark = !parse.GetValue(NoWatermark);
            var naive = Measure("naive", () => RunLoop(engine, sourceFace, files, input, Path.Combine(work.FullName, "naive"), 1, watermark, cancellationToken));
            var ceiling = Measure("ceiling", () => RunLoop(engine, sourceFace, files, input, Path.Combine(work.FullName, "ceiling"), concurrency, watermark, cancellationToken));
            var platform = await MeasureAsync("platform", () => RunPlatformAsync(models.Path, source, input, Path.Combine(work.FullName, "platform"), work.FullName, concurrency, parse.GetValue(BatchSize), watermark, cancellationToken));

            var report = new BenchReport(count, concurrency, Environment.ProcessorCount, platform, ceiling, naive,
                Math.Round(platform.ImagesPerSecond / ceiling.ImagesPerSecond, 3), Math.Round(platform.ImagesPerSecond / naive.ImagesPerSecond, 3));
            Print(report);
            if (parse.GetValue(Json) is { } json)
            {
                await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, new JsonSerializerOptions(FaceSwapJson.Options) { WriteIndented = true }), cancellationToken);
            }

            return ExitCodes.Success;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The engine over files on local disk: read, swap, write, with <paramref name="parallelism"/> loops.</summary>
    private static RunResult RunLoop(FaceEngine engine, FaceSwap.Engine.Swapping.SourceFace source, IReadOnlyList<string> files, string input, string output, int parallelism, bool watermark, CancellationToken cancellationToken)
    {
        var stages = new List<IReadOnlyDictionary<string, double>>();
        long faces = 0;
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, file =>
        {
            var read = Stopwatch.GetTimestamp();
            var bytes = File.ReadAllBytes(file);
            var readMs = Stopwatch.GetElapsedTime(read).TotalMilliseconds;
            var result = engine.Swap(bytes, source, new SwapRequest
            {
                OutputFormat = ImageCodec.FormatFromPath(file),
                JobId = "bench",
                Watermark = watermark,
                InputName = Path.GetFileName(file),
            });
            var target = Path.Combine(output, Path.GetRelativePath(input, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var write = Stopwatch.GetTimestamp();
            File.WriteAllBytes(target, result.Output);
            var timings = new Dictionary<string, double>(result.TimingsMs) { ["read"] = readMs, ["write"] = Stopwatch.GetElapsedTime(write).TotalMilliseconds };
            Interlocked.Add(ref faces, result.Faces.Count(f => f.Swapped));
            lock (stages)
            {
                stages.Add(timings);
            }
        });
        return new RunResult(files.Count, faces, stages);
    }

    private static async Task<RunResult> RunPlatformAsync(string models, string source, string input, string output, string work, int concurrency, int batchSize, bool watermark, CancellationToken cancellationToken)
    {
        var options = new FaceSwapSiloOptions { Role = "both", Storage = "local", ModelsPath = models, Concurrency = concurrency };
        await using var platform = await EmbeddedPlatform.StartAsync(options, Path.Combine(work, "state"), cancellationToken);

        // Start-up and model loading are not the steady state being compared: a one-image job warms the silo first.
        var warmInput = Path.Combine(work, "warm");
        Directory.CreateDirectory(warmInput);
        File.Copy(Directory.EnumerateFiles(input, "*.jpg", SearchOption.AllDirectories).First(), Path.Combine(warmInput, "warm.jpg"));
        await RunJobAsync(platform, source, warmInput, Path.Combine(work, "warm-out"), batchSize, watermark, cancellationToken);

        var watch = Stopwatch.StartNew();
        var (spec, status) = await RunJobAsync(platform, source, input, output, batchSize, watermark, cancellationToken);
        var seconds = watch.Elapsed.TotalSeconds;
        var outcomes = JobOutcomes.ParseAll(await File.ReadAllBytesAsync("/" + JobFiles.Outcomes(spec, status.JobId), cancellationToken)).ToList();
        return new RunResult((int)status.Counters.Finished, status.Counters.Faces, outcomes.Where(o => o.Stages is not null).Select(o => o.Stages!).ToList(), seconds);
    }

    private static async Task<(JobSpec Spec, JobStatus Status)> RunJobAsync(EmbeddedPlatform platform, string source, string input, string output, int batchSize, bool watermark, CancellationToken cancellationToken)
    {
        var spec = new JobSpec
        {
            Source = source.TrimStart('/'),
            Input = input.TrimStart('/') + "/",
            Output = output.TrimStart('/') + "/",
            Options = new JobOptions { BatchSize = Math.Max(1, batchSize), Watermark = watermark },
            SubmittedBy = "bench",
        };
        var job = platform.Grains.GetGrain<IBatchGrain>(JobIds.New());
        var status = await job.StartAsync(spec);
        while (!status.IsTerminal)
        {
            await Task.Delay(50, cancellationToken);
            status = await job.GetStatusAsync();
        }

        return (spec, status);
    }

    private static Phase Measure(string name, Func<RunResult> run) => MeasureAsync(name, () => Task.FromResult(run())).GetAwaiter().GetResult();

    private static async Task<Phase> MeasureAsync(string name, Func<Task<RunResult>> run)
    {
        Console.Error.WriteLine($"running {name}...");
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var self = Process.GetCurrentProcess();
            while (!sampling.IsCancellationRequested)
            {
                self.Refresh();
                peak = Math.Max(peak, self.WorkingSet64);
                await Task.Delay(50, CancellationToken.None);
            }
        });
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var result = await run();
        watch.Stop();
        process.Refresh();
        var cpu = Math.Min(1, (process.TotalProcessorTime - cpuBefore).TotalSeconds / (watch.Elapsed.TotalSeconds * Environment.ProcessorCount));
        await sampling.CancelAsync();
        await sampler;
        var seconds = result.Seconds ?? watch.Elapsed.TotalSeconds;
        var stageNames = result.Stages.SelectMany(s => s.Keys).Distinct().Order(StringComparer.Ordinal);
        var stages = stageNames.ToDictionary(s => s, s =>
        {
            var values = result.Stages.Where(x => x.ContainsKey(s)).Select(x => x[s]).Order().ToList();
            return new StageStats(Math.Round(Percentile(values, 0.5), 1), Math.Round(Percentile(values, 0.95), 1));
        });
        return new Phase(name, result.Images, result.Faces, Math.Round(seconds, 2), Math.Round(result.Images / seconds, 2),
            Math.Round(result.Faces / seconds, 2), Math.Round(cpu * 100, 1), peak / (1024 * 1024), stages);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static void Print(BenchReport r)
    {
        Console.WriteLine($"{r.Count} photos, {r.Concurrency} pipelines on {r.Cores} cores");
        Console.WriteLine($"{"run",-9} {"images/s",9} {"faces/s",8} {"seconds",8} {"cpu %",6} {"peak MB",8}");
        foreach (var p in new[] { r.Platform, r.Ceiling, r.Naive })
        {
            Console.WriteLine($"{p.Name,-9} {p.ImagesPerSecond,9:0.00} {p.FacesPerSecond,8:0.00} {p.Seconds,8:0.0} {p.CpuPercent,6:0} {p.PeakMegabytes,8}");
        }

        Console.WriteLine();
        Console.WriteLine("platform stages (ms)  p50     p95");
        foreach (var (stage, stats) in r.Platform.Stages)
        {
            Console.WriteLine($"  {stage,-18} {stats.P50,7:0.0} {stats.P95,7:0.0}");
        }

        Console.WriteLine();
        Console.WriteLine($"platform/ceiling {r.PlatformOverCeiling:0.000}   platform/naive {r.PlatformOverNaive:0.000}");
    }

    private static List<string> FindSamples(string? folder)
    {
        folder ??= RepositoryLocator.FindRoot() is { } root ? Path.Combine(root, ".cache", "samples") : null;
        var files = Enumerable.Range(1, 4).Select(n => Path.Combine(folder ?? ".", $"sample{n}.jpg")).ToList();
        if (folder is null || files.Any(f => !File.Exists(f)))
        {
            throw new CliException("the demo photos are missing: run scripts/fetch-samples.sh (or give --samples FOLDER with sample1.jpg..sample4.jpg)", ExitCodes.NotFound);
        }

        return files;
    }

    private static List<string> BuildWorkload(IReadOnlyList<string> samples, string root, int count)
    {
        var files = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(root, $"set{i % 5}", $"part{i % 3}", $"photo{i:D5}.jpg");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(samples[i % samples.Count], path);
            files.Add(path);
        }

        return files;
    }

    /// <summary>What a run did; <paramref name="Seconds"/> when the run timed its steady part itself.</summary>
    private sealed record RunResult(int Images, long Faces, IReadOnlyList<IReadOnlyDictionary<string, double>> Stages, double? Seconds = null);
}

/// <summary>p50 and p95 of one stage, in milliseconds.</summary>
public sealed record StageStats(double P50, double P95);

/// <summary>One way of running the workload, measured.</summary>
public sealed record Phase(string Name, int Images, long Faces, double Seconds, double ImagesPerSecond, double FacesPerSecond, double CpuPercent, long PeakMegabytes, IReadOnlyDictionary<string, StageStats> Stages);

/// <summary>What `faceswap bench` measured.</summary>
public sealed record BenchReport(int Count, int Concurrency, int Cores, Phase Platform, Phase Ceiling, Phase Naive, double PlatformOverCeiling, double PlatformOverNaive);
