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
using FaceSwap.ModelStore;

namespace FaceSwap.Cli.Commands;

/// <summary>
/// `faceswap bench`: one workload of demo photos through three ways of running it, on this machine, in one run:
/// the platform (an embedded silo, a BatchGrain, inference grains, local storage), the ceiling (the engine alone in a
/// tight in-process loop on every core) and the naive loop (one image at a time: read, swap, write).
/// </summary>
public static class BenchCommand
{
    private static readonly Option<int> Count = new("--count") { Description = "Photos in the workload (copies of the demo photos in nested folders)", DefaultValueFactory = _ => 40 };
    private static readonly Option<int> BatchSize = CommonOptions.BatchSize("Images per inference grain call (platform) and most items per model call (dynamic batching, all runs)", 4);
    private static readonly Option<int> Concurrency = CommonOptions.Concurrency("Engine pipelines (platform and ceiling)");
    private static readonly Option<string?> Samples = new("--samples") { Description = "Folder with the demo photos sample1.jpg..sample4.jpg (default: the repository's .cache/samples)" };
    private static readonly Option<string?> Json = new("--json") { Description = "Also write the results as JSON to this file" };
    private static readonly Option<bool> NoWatermark = new("--no-watermark") { Description = "Leave out the invisible watermark (on by default in jobs) in all three runs" };
    private static readonly Option<string[]> Runs = new("--runs")
    {
        Description = "Which runs to measure: platform, ceiling, naive (default: all three; ratios need platform with the other)",
        DefaultValueFactory = _ => ["platform", "ceiling", "naive"],
        AllowMultipleArgumentsPerToken = true,
    };
    private static readonly Option<int> MaxSide = new("--max-side") { Description = "Scale the workload's photos down to at most this many pixels on the longer side (0: as they are, 1920 px)", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> Rounds = new("--rounds") { Description = "Rounds of the runs, alternated; each run reports its median round, each ratio the median of the rounds' ratios", DefaultValueFactory = _ => 3 };
    private static readonly Option<bool> NoModelTable = new("--no-model-table") { Description = "Leave out the table of model throughput at batch sizes 1, 2, 4, 8" };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("bench", "Measure the platform against the engine's ceiling and a naive loop on one workload")
        {
            Count, BatchSize, Concurrency, Samples, Json, NoWatermark, Runs, MaxSide, Rounds, NoModelTable,
        };
        ScaleBench.AddOptions(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() => ScaleBench.IsRequested(parse) ? ScaleBench.RunAsync(parse, ct) : RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, parse.GetValue(Count));
        var runs = parse.GetValue(Runs)!.SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknown = runs.Except(["platform", "ceiling", "naive"], StringComparer.OrdinalIgnoreCase).FirstOrDefault();
        if (runs.Count == 0 || unknown is not null)
        {
            throw new CliException($"--runs takes platform, ceiling and naive{(unknown is null ? "" : $", not '{unknown}'")}", ExitCodes.Usage);
        }

        var concurrency = parse.GetValue(Concurrency) is > 0 and var c ? c : Environment.ProcessorCount;
        var models = ModelFolder.Open(parse.GetValue(CommonOptions.Models));
        foreach (var model in models.Catalog.Models)
        {
            models.Require(model.Name);
        }

        var samples = FindSamples(parse.GetValue(Samples));
        var work = Directory.CreateTempSubdirectory("faceswap-bench-");
        try
        {
            var input = Path.Combine(work.FullName, "in");
            var maxSide = Math.Max(0, parse.GetValue(MaxSide));
            var files = BuildWorkload(samples, input, count, maxSide);
            var source = Path.Combine(work.FullName, "source.jpg");
            File.Copy(samples[2], source);
            var batchSize = Math.Max(1, parse.GetValue(BatchSize));
            Console.Error.WriteLine($"workload: {count} photos ({string.Join(", ", samples.Select(Path.GetFileName))}, nested{(maxSide > 0 ? $", at most {maxSide} px" : "")}), {concurrency} pipelines, {Environment.ProcessorCount} cores, batches of {batchSize}");

            var watermark = !parse.GetValue(NoWatermark);
            // Rounds alternate the runs, so a slow spell of a shared machine hits each of them alike; each run reports its
            // median round and each ratio is the median of the rounds' ratios.
            var rounds = Math.Max(1, parse.GetValue(Rounds));
            var measured = new Dictionary<string, List<Phase>>(StringComparer.Ordinal) { ["naive"] = [], ["ceiling"] = [], ["platform"] = [] };
            using var engine = runs.Contains("naive") || runs.Contains("ceiling")
                ? FaceEngine.Load(models, new EngineOptions { Onnx = new OnnxSettings { IntraOpThreads = 1, Batching = new BatchingSettings { MaxBatch = batchSize, ConcurrentRuns = concurrency } } })
                : null;
            using var sourceFace = engine?.PrepareSource(await File.ReadAllBytesAsync(source, cancellationToken));
            engine?.Swap(await File.ReadAllBytesAsync(files[0], cancellationToken), sourceFace!, new SwapRequest()); // warm-up
            await using var platform = runs.Contains("platform")
                ? await StartPlatformAsync(models.Path, source, input, work.FullName, concurrency, batchSize, watermark, cancellationToken)
                : null;
            for (var round = 1; round <= rounds; round++)
            {
                var outputs = Path.Combine(work.FullName, $"round{round}");
                if (runs.Contains("naive"))
                {
                    measured["naive"].Add(Measure("naive", round, () => RunLoop(engine!, sourceFace!, files, input, Path.Combine(outputs, "naive"), 1, watermark, cancellationToken)));
                }

                if (runs.Contains("ceiling"))
                {
                    measured["ceiling"].Add(Measure("ceiling", round, () => RunLoop(engine!, sourceFace!, files, input, Path.Combine(outputs, "ceiling"), concurrency, watermark, cancellationToken)));
                }

                if (platform is not null)
                {
                    measured["platform"].Add(await MeasureAsync("platform", round, () => RunPlatformJobAsync(platform, source, input, Path.Combine(outputs, "platform"), batchSize, watermark, cancellationToken)));
                }

                Directory.Delete(outputs, recursive: true);
            }

            IReadOnlyList<ModelBatchRow>? modelTable = null;
            if (!parse.GetValue(NoModelTable))
            {
                Console.Error.WriteLine("measuring the models at batch sizes 1, 2, 4, 8...");
                modelTable = ModelBatchBench.Run(models, TimeSpan.FromSeconds(1), cancellationToken);
            }

            var report = new BenchReport(count, concurrency, Environment.ProcessorCount, batchSize, maxSide, rounds,
                Median(measured["platform"]), Median(measured["ceiling"]), Median(measured["naive"]),
                Ratio(measured["platform"], measured["ceiling"]), Ratio(measured["platform"], measured["naive"]), modelTable)
            {
                PlatformOverCeilingByRound = Ratios(measured["platform"], measured["ceiling"]),
                PlatformOverNaiveByRound = Ratios(measured["platform"], measured["naive"]),
            };
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

    /// <summary>The consent reference of bench jobs: they swap the demo photos' own faces into each other.</summary>
    internal const string BenchConsent = "bench: demo photos only";

    private static async Task<EmbeddedPlatform> StartPlatformAsync(string models, string source, string input, string work, int concurrency, int batchSize, bool watermark, CancellationToken cancellationToken)
    {
        // The workload repeats the demo photos; the repeat-image cache would skip their analysis and the platform would
        // then be compared with an engine ceiling that does all of it.
        void Configure(FaceSwapSiloOptions options)
        {
            (options.Role, options.Storage, options.ModelsPath) = ("both", "local", models);
            (options.Concurrency, options.ModelBatch, options.RepeatImageCacheEntries) = (concurrency, batchSize, 0);

            // The bench's own silo allows what its --no-watermark asks for (the job policy refuses it otherwise).
            options.Safety.AllowWatermarkOff = !watermark;
        }

        var platform = await EmbeddedPlatform.StartAsync(Configure, Path.Combine(work, "state"), cancellationToken);

        // Start-up and model loading are not the steady state being compared: a one-image job warms the silo first.
        var warmInput = Path.Combine(work, "warm");
        Directory.CreateDirectory(warmInput);
        File.Copy(Directory.EnumerateFiles(input, "*.jpg", SearchOption.AllDirectories).First(), Path.Combine(warmInput, "warm.jpg"));
        await RunJobAsync(platform, source, warmInput, Path.Combine(work, "warm-out"), batchSize, watermark, cancellationToken);
        return platform;
    }

    private static async Task<RunResult> RunPlatformJobAsync(EmbeddedPlatform platform, string source, string input, string output, int batchSize, bool watermark, CancellationToken cancellationToken)
    {
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var (spec, status) = await RunJobAsync(platform, source, input, output, batchSize, watermark, cancellationToken);
        var seconds = watch.Elapsed.TotalSeconds;
        self.Refresh();
        var cpuSeconds = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
        var outcomes = JobOutcomes.ParseAll(await File.ReadAllBytesAsync("/" + JobFiles.Outcomes(spec, status.JobId), cancellationToken)).ToList();
        return new RunResult((int)status.Counters.Finished, status.Counters.Faces, outcomes.Where(o => o.Stages is not null).Select(o => o.Stages!).ToList(), seconds, cpuSeconds);
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
            ConsentReference = BenchConsent,
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

    private static Phase? Median(List<Phase> phases) => phases.Count == 0 ? null : phases.OrderBy(p => p.ImagesPerSecond).ElementAt(phases.Count / 2);

    /// <summary>The median over rounds of a's images/s over b's in the same round.</summary>
    private static double? Ratio(List<Phase> a, List<Phase> b)
    {
        if (a.Count == 0 || b.Count == 0)
        {
            return null;
        }

        var ratios = Ratios(a, b).Order().ToList();
        return ratios[ratios.Count / 2];
    }

    private static IReadOnlyList<double> Ratios(List<Phase> a, List<Phase> b) =>
        a.Zip(b, (x, y) => Math.Round(x.ImagesPerSecond / y.ImagesPerSecond, 3)).ToList();

    private static Phase Measure(string name, int round, Func<RunResult> run) => MeasureAsync(name, round, () => Task.FromResult(run())).GetAwaiter().GetResult();

    private static async Task<Phase> MeasureAsync(string name, int round, Func<Task<RunResult>> run)
    {
        Console.Error.WriteLine($"round {round}: running {name}...");
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
        var cpuSeconds = result.CpuSeconds ?? (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        var seconds = result.Seconds ?? watch.Elapsed.TotalSeconds;
        var cpu = Math.Min(1, cpuSeconds / (seconds * Environment.ProcessorCount));
        var stageNames = result.Stages.SelectMany(s => s.Keys).Distinct().Order(StringComparer.Ordinal);
        var stages = stageNames.ToDictionary(s => s, s =>
        {
            var values = result.Stages.Where(x => x.ContainsKey(s)).Select(x => x[s]).Order().ToList();
            return new StageStats(Math.Round(Percentile(values, 0.5), 1), Math.Round(Percentile(values, 0.95), 1));
        });
        var cpuMsPerImage = cpuSeconds * 1000 / Math.Max(1, result.Images);
        return new Phase(name, result.Images, result.Faces, Math.Round(seconds, 2), Math.Round(result.Images / seconds, 2),
            Math.Round(result.Faces / seconds, 2), Math.Round(cpu * 100, 1), Math.Round(cpuMsPerImage, 1), peak / (1024 * 1024), stages);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static void Print(BenchReport r)
    {
        Console.WriteLine($"{r.Count} photos{(r.MaxSide > 0 ? $" (at most {r.MaxSide} px)" : "")}, {r.Concurrency} pipelines on {r.Cores} cores, batches of {r.BatchSize}, median of {r.Rounds} rounds");
        Console.WriteLine($"{"run",-9} {"images/s",9} {"faces/s",8} {"seconds",8} {"cpu %",6} {"cpu ms/img",10} {"peak MB",8}");
        foreach (var p in new[] { r.Platform, r.Ceiling, r.Naive }.OfType<Phase>())
        {
            Console.WriteLine($"{p.Name,-9} {p.ImagesPerSecond,9:0.00} {p.FacesPerSecond,8:0.00} {p.Seconds,8:0.0} {p.CpuPercent,6:0} {p.CpuMsPerImage,10:0} {p.PeakMegabytes,8}");
        }

        if (r.Platform is { } platform)
        {
            Console.WriteLine();
            Console.WriteLine("platform stages (ms)  p50     p95");
            foreach (var (stage, stats) in platform.Stages)
            {
                Console.WriteLine($"  {stage,-18} {stats.P50,7:0.0} {stats.P95,7:0.0}");
            }
        }

        if (r.ModelBatches is { } table)
        {
            Console.WriteLine();
            Console.WriteLine("model items/s     batch  call per core  one call, all cores");
            foreach (var row in table)
            {
                Console.WriteLine($"  {row.Model,-15} {row.BatchSize,5} {row.ItemsPerSecondCallPerCore,14:0.0} {row.ItemsPerSecondOneCallAllCores,20:0.0}");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"platform/ceiling {Show(r.PlatformOverCeiling)} (rounds: {string.Join(", ", r.PlatformOverCeilingByRound.Select(v => Show(v)))})   platform/naive {Show(r.PlatformOverNaive)} (rounds: {string.Join(", ", r.PlatformOverNaiveByRound.Select(v => Show(v)))})");
    }

    private static string Show(double? ratio) => ratio is { } value ? value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "-";

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

    private static List<string> BuildWorkload(IReadOnlyList<string> samples, string root, int count, int maxSide)
    {
        var photos = samples.Select(sample => maxSide > 0 ? Shrink(File.ReadAllBytes(sample), maxSide) : File.ReadAllBytes(sample)).ToList();
        var files = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(root, $"set{i % 5}", $"part{i % 3}", $"photo{i:D5}.jpg");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, photos[i % photos.Count]);
            files.Add(path);
        }

        return files;
    }

    private static byte[] Shrink(byte[] jpeg, int maxSide)
    {
        using var image = ImageCodec.Decode(jpeg, long.MaxValue);
        var scale = Math.Min(1.0, maxSide / (double)Math.Max(image.Width, image.Height));
        using var small = image.Resize(new OpenCvSharp.Size(Math.Round(image.Width * scale), Math.Round(image.Height * scale)), interpolation: OpenCvSharp.InterpolationFlags.Area);
        return ImageCodec.Encode(small, ImageFormat.Jpeg, 92);
    }

    /// <summary>What a run did; <paramref name="Seconds"/> and <paramref name="CpuSeconds"/> when the run timed its steady part itself.</summary>
    private sealed record RunResult(int Images, long Faces, IReadOnlyList<IReadOnlyDictionary<string, double>> Stages, double? Seconds = null, double? CpuSeconds = null);
}

/// <summary>p50 and p95 of one stage, in milliseconds.</summary>
public sealed record StageStats(double P50, double P95);

/// <summary>One way of running the workload, measured.</summary>
public sealed record Phase(string Name, int Images, long Faces, double Seconds, double ImagesPerSecond, double FacesPerSecond, double CpuPercent, double CpuMsPerImage, long PeakMegabytes, IReadOnlyDictionary<string, StageStats> Stages);

/// <summary>What `faceswap bench` measured.</summary>
public sealed record BenchReport(int Count, int Concurrency, int Cores, int BatchSize, int MaxSide, int Rounds, Phase? Platform, Phase? Ceiling, Phase? Naive,
    double? PlatformOverCeiling, double? PlatformOverNaive, IReadOnlyList<ModelBatchRow>? ModelBatches)
{
    /// <summary>Each round's platform/ceiling (the report's figure is their median).</summary>
    public IReadOnlyList<double> PlatformOverCeilingByRound { get; init; } = [];

    /// <summary>Each round's platform/naive.</summary>
    public IReadOnlyList<double> PlatformOverNaiveByRound { get; init; } = [];
}
