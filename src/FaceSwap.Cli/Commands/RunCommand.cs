using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Safety;
using FaceSwap.ModelStore;
using FaceSwap.Storage;
using Spectre.Console;

namespace FaceSwap.Cli.Commands;

/// <summary>`faceswap run`: a whole folder (or blob prefix) through the platform, output mirrored.</summary>
public static class RunCommand
{
    private static readonly Option<string[]> Source = SourceArguments.Source("Image with the source face (a local file, or a path in --storage); repeat it or give a folder for several photos of one person, or with --sources-mode each for several people");
    private static readonly Option<string> SourcesMode = SourceArguments.Mode();
    private static readonly Option<string> Input = new("--input") { Description = "Input folder (local) or container/prefix (blob storage)", Required = true };
    private static readonly Option<string> Output = new("--output") { Description = "Output folder (local) or container/prefix; mirrors the input's paths", Required = true };
    private static readonly Option<string> Storage = new("--storage") { Description = "local, or a storage connection string (Azurite or Azure)", DefaultValueFactory = _ => "local" };
    private static readonly Option<int> BatchSize = CommonOptions.BatchSize("Images per inference call", 4);
    private static readonly Option<int> Prefetch = CommonOptions.Prefetch(16);
    private static readonly Option<int> Concurrency = CommonOptions.Concurrency();
    private static readonly Option<bool> Overwrite = new("--overwrite")
    {
        Description = "Replace existing files at output paths that FaceSwap did not write (without it they are kept, and listed as skipped: not_ours)",
    };
    private static readonly Option<bool> NoWatermark = new("--no-watermark") { Description = "Leave out the invisible watermark carrying the job id (outputs keep their XMP AI-generated mark)" };
    private static readonly Option<string> Faces = CommonOptions.Faces();
    private static readonly Option<long> MaxPixels = CommonOptions.MaxPixels();
    private static readonly Option<string[]> References = CommonOptions.References();
    private static readonly Option<float> ReferenceDistance = CommonOptions.ReferenceDistance();
    private static readonly Option<int> MinFace = CommonOptions.MinFace();
    private static readonly ModelOptions Neural = new();
    private static readonly Option<int> Quality = new Option<int>("--quality")
    {
        Description = "JPEG and WebP quality of the outputs (1-100)",
        DefaultValueFactory = _ => new JobOptions().Quality,
    }.Within(1, 100);
    private static readonly Option<string> Format = new Option<string>("--format")
    {
        Description = "Output format: keep (each input's own; HEIC and AVIF as JPEG), jpg, png or webp",
        DefaultValueFactory = _ => "keep",
    }.AcceptOnlyFromAmong([.. JobOptions.Formats]);
    private static readonly Option<bool> StripGps = new("--strip-gps") { Description = "Leave the GPS position out of the EXIF copied to the outputs" };
    private static readonly Option<int?> Preview = CommonOptions.Preview();
    private static readonly Option<bool> CopyUnswapped = new("--copy-unswapped")
    {
        Description = "Copy images with no face (or no selected face) to the output as they are, marked untouched in the outcomes",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("run", "Swap the source face into every face of every image under the input; the output mirrors the input")
        {
            Source, SourcesMode, Input, Output, Storage, BatchSize, Prefetch, Concurrency, Faces, References, ReferenceDistance, MinFace, MaxPixels, NoWatermark, Overwrite,
            Quality, Format, StripGps, CopyUnswapped, Preview,
        };
        foreach (var option in Neural.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => CommandRunner.RunAsync(() => RunAsync(parse, ct)));
        return command;
    }

    /// <summary>
    /// How long a stopped run (Ctrl+C, SIGTERM) waits for the images already in flight to finish and be recorded, so the
    /// counts it prints, summary.json and the outputs on disk agree.
    /// </summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The consent reference of a `faceswap run` job: the local user vouches for the consent, as the audit of a served host would record a key.</summary>
    public const string LocalRunConsent = "local run";

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (!StorageSetting.TryParse(parse.GetValue(Storage), out var storage, out var notUnderstood))
        {
            throw new CliException($"--storage: {notUnderstood}");
        }

        // Plain local: paths on the command line are this machine's own (the store's root is /).
        var local = storage is { IsLocal: true, NamesFolder: false };
        var input = Prefix(parse.GetValue(Input)!, local, mustExist: true, "input");
        var output = Prefix(parse.GetValue(Output)!, local, mustExist: false, "output");
        var models = ModelFolder.Open(parse.GetValue(CommonOptions.Models));
        foreach (var model in models.Catalog.Models)
        {
            models.Require(model.Name);
        }

        // The public models the job selects are checked here, before the job starts, with their own errors.
        var selection = Neural.Selection(parse);
        var provider = Neural.ExecutionProvider(parse);
        using (var neural = new NeuralModels(models, new OnnxSettings { Provider = provider }))
        {
            ModelOptions.Resolve(neural, selection);
        }

        var maxPixels = parse.GetValue(MaxPixels);
        var store = BlobStoreFactory.Create(storage);

        // Never onto the originals, symbolic links resolved (the job's grain checks it again, for every caller).
        if (OutputPlacement.Check(store, input, output, auditPrefix: null) is { } misplaced)
        {
            string Shown(string prefix) => local ? "/" + prefix : prefix;
            throw new CliException(misplaced.Code == JobRefusalCodes.OutputOverlapsInput
                ? $"--output '{Shown(output)}' overlaps --input '{Shown(input)}' (the same folder, one inside the other, or a symbolic link to it): outputs would land on the originals ({misplaced.Code})"
                : $"--output {misplaced.Message} ({misplaced.Code})", ExitCodes.Usage);
        }

        var faces = parse.GetValue(Faces)!;
        var referenceValues = parse.GetValue(References) ?? [];
        CommonOptions.CheckSelection(faces, referenceValues, parse.GetValue(ReferenceDistance), parse.GetValue(MinFace));
        var sourcesMode = SourceArguments.ParseMode(parse.GetValue(SourcesMode)!);
        var (source, sources) = await SourceArguments.ResolveAsync(parse.GetValue(Source)!, sourcesMode, local, store,
            value => ResolveSourceAsync(value, local, store, output, cancellationToken), cancellationToken);
        var references = new List<string>();
        foreach (var reference in referenceValues)
        {
            references.Add(await ResolveSourceAsync(reference, local, store, output, cancellationToken, "reference"));
        }

        var jobId = JobIds.New();
        var spec = new JobSpec
        {
            Source = source,
            Sources = sources,
            Input = input,
            Output = output,
            // The job policy holds here too: the user at the keyboard submits, and vouches for the consent.
            SubmittedBy = string.IsNullOrWhiteSpace(Environment.UserName) ? "local-user" : Environment.UserName,
            ConsentReference = LocalRunConsent,
            Options = new JobOptions
            {
                Faces = CommonOptions.ParseFaceMode(faces),
                SourcesMode = sourcesMode,
                References = references.Count > 0 ? references : null,
                ReferenceDistance = parse.GetValue(ReferenceDistance),
                MinFace = parse.GetValue(MinFace),
                BatchSize = parse.GetValue(BatchSize),
                Prefetch = parse.GetValue(Prefetch),
                Overwrite = parse.GetValue(Overwrite),
                Quality = parse.GetValue(Quality),
                Format = parse.GetValue(Format)!,
                StripGps = parse.GetValue(StripGps),
                CopyUnswapped = parse.GetValue(CopyUnswapped),
                Preview = parse.GetValue(Preview),
                MaxPixels = maxPixels,
                Watermark = !parse.GetValue(NoWatermark),
                Swapper = selection.Swapper,
                Enhancer = selection.Enhancer,
                Detector = selection.Detector,
                Landmarker = selection.Landmarker,
                BlendRatio = selection.Paste.BlendRatio,
                Poisson = selection.Paste.Poisson,
                PixelBoost = selection.PixelBoost,
                MaskPadding = selection.Paste.MaskPadding == default ? null : selection.Paste.MaskPadding.ToArray(),
            },
        };

        var stateDirectory = local
            ? Path.Combine("/" + output, JobFiles.Folder, "state")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".faceswap", "state");
        var concurrency = parse.GetValue(Concurrency);
        var prefetch = parse.GetValue(Prefetch);
        void Configure(FaceSwapSiloOptions options)
        {
            options.Role = "both";
            options.Storage = storage.Value;
            options.ModelsPath = models.Path;
            options.Concurrency = concurrency;
            options.Prefetch = prefetch;
            options.ExecutionProvider = ExecutionProviders.Name(provider);

            // This silo serves this one job: its limit is the job's when that is higher than the default.
            options.MaxPixels = Math.Max(ImageCodec.DefaultMaxPixels, maxPixels);

            // The user who runs the job is this silo's operator: --no-watermark is their explicit permission.
            options.Safety.AllowWatermarkOff = !spec.Options.Watermark;
        }

        await using var platform = await EmbeddedPlatform.StartAsync(Configure, stateDirectory, cancellationToken);
        var job = platform.Grains.GetGrain<IBatchGrain>(jobId);
        JobStatus status;
        try
        {
            status = await job.StartAsync(spec);
        }
        catch (JobRefusedException e)
        {
            throw new CliException($"{e.Field}: {e.Message} ({e.Code})", ExitCodes.Usage);
        }

        var watch = Stopwatch.StartNew();
        try
        {
            status = await ProgressDisplay.FollowAsync(job, status, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await StopAsync(job, store, spec, jobId, watch, local);
        }

        if (status.State == JobState.Failed)
        {
            throw new CliException($"job {jobId} could not run: {status.Error}", ExitCodes.ForCode(status.ErrorCode));
        }

        PrintSummary(status, watch.Elapsed, local, output, jobId);
        if (spec.Options.Preview is not null)
        {
            await PrintPreviewAsync(store, spec, jobId, status, local);
        }

        await ReviewReport.PrintAsync(store, spec, jobId, JobFolder(local, output, jobId) + "summary.json", cancellationToken);
        // One pass over the latest outcomes, a page at a time (a job of a million images costs no more memory here).
        var index = await OutcomeIndex.OpenAsync(store, JobFiles.Outcomes(spec, jobId), cancellationToken: cancellationToken);
        long notOurs = 0, facesSkipped = 0;
        var reasons = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var outcome in index.EachAsync(cancellationToken: cancellationToken))
        {
            notOurs += outcome.ErrorClass == FaceSwap.Grains.Inference.OutputMetadata.NotOurs ? 1 : 0;
            facesSkipped += outcome.FacesSkipped;
            foreach (var (reason, count) in outcome.SkipReasons ?? new Dictionary<string, int>())
            {
                reasons[reason] = reasons.GetValueOrDefault(reason) + count;
            }
        }

        if (notOurs > 0 && !spec.Options.Overwrite)
        {
            Console.Error.WriteLine($"warning: {notOurs} files at output paths were not written by FaceSwap and were kept (skipped, not_ours); --overwrite replaces them");
        }

        // Faces are left untouched by the face selection, and by the swap itself where the source cannot cover them
        // (pose_out_of_reach, source_too_small): say how many and why.
        if (facesSkipped > 0)
        {
            Console.WriteLine($"faces left untouched: {facesSkipped} ({string.Join(", ", reasons.Select(kv => $"{kv.Value} {kv.Key}"))})");
        }

        await SourceReport.PrintAsync(spec, status, index, cancellationToken);
        Console.Write(StageTable.Format(await StageTable.ReadAsync(store, JobFiles.Outcomes(spec, jobId), cancellationToken)));
        return ExitCodes.Success;
    }

    /// <summary>
    /// Ctrl+C or SIGTERM: the job stops dispatching, the images already in flight finish and are recorded, and the
    /// counts printed are summary.json's, so what the user reads is what the job recorded. The process exits 130 (Ctrl+C)
    /// or 143 (SIGTERM) without a stack trace.
    /// </summary>
    private static async Task<int> StopAsync(IBatchGrain job, IBlobStore store, JobSpec spec, string jobId, Stopwatch watch, bool local)
    {
        var status = await job.CancelAsync();
        if (status.InFlight > 0)
        {
            Console.Error.WriteLine($"{Termination.Name}: stopping; {status.InFlight} images in flight finish and are recorded first (at most {StopTimeout.TotalSeconds:0} s)");
        }

        var deadline = DateTime.UtcNow + StopTimeout;
        while ((status.InFlight > 0 || !status.IsTerminal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
            status = await job.GetStatusAsync();
        }

        var recorded = await SummaryCountsAsync(store, spec, jobId) ?? status.Counters;
        PrintSummary(status with { Counters = recorded }, watch.Elapsed, local, spec.Output, jobId);
        if (status.InFlight > 0)
        {
            Console.Error.WriteLine($"warning: {status.InFlight} images still in flight after {StopTimeout.TotalSeconds:0} s are not in these counts");
        }

        Console.Error.WriteLine($"stopped by {Termination.Name}; run the same command again to finish the rest (outputs already written are skipped)");
        return Termination.ExitCode;
    }

    /// <summary>
    /// A preview's result: how many of the input's images it did, where its contact sheet is, and that the full run
    /// skips what it wrote. From the summary's <c>preview</c> section.
    /// </summary>
    private static async Task PrintPreviewAsync(IBlobStore store, JobSpec spec, string jobId, JobStatus status, bool local)
    {
        JsonElement preview;
        try
        {
            var json = await store.ReadAllBytesAsync(JobFiles.Summary(spec, jobId), 16 * 1024 * 1024, CancellationToken.None);
            using var summary = JsonDocument.Parse(json);
            preview = summary.RootElement.GetProperty("preview").Clone();
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            return;
        }

        var of = preview.TryGetProperty("inputImages", out var all) ? $" of {all.GetInt64()}" : "";
        Console.WriteLine($"preview: {status.Counters.Discovered}{of} images, chosen across the input's folders ({spec.Options.Preview} asked for)");
        if (preview.TryGetProperty("contactSheet", out var sheet))
        {
            var faces = preview.TryGetProperty("contactSheetFaces", out var shown) ? shown.GetInt32() : 0;
            Console.WriteLine($"contact sheet: {(local ? "/" : "")}{sheet.GetString()} ({faces} faces: input | output, with each face's figures)");
        }
        else if (preview.TryGetProperty("contactSheetError", out var error))
        {
            Console.Error.WriteLine($"warning: the contact sheet could not be drawn: {error.GetString()}");
        }

        Console.WriteLine("run the same command without --preview for the whole input: the images done here are skipped, not swapped again");
    }

    /// <summary>The counts in the job's summary.json, or null when it cannot be read.</summary>
    private static async Task<JobCounters?> SummaryCountsAsync(IBlobStore store, JobSpec spec, string jobId)
    {
        try
        {
            var json = await store.ReadAllBytesAsync(JobFiles.Summary(spec, jobId), 16 * 1024 * 1024, CancellationToken.None);
            using var summary = JsonDocument.Parse(json);
            return summary.RootElement.GetProperty("counts").Deserialize<JobCounters>(FaceSwapJson.Options);
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static void PrintSummary(JobStatus status, TimeSpan elapsed, bool local, string output, string jobId)
    {
        var c = status.Counters;
        var rate = elapsed.TotalSeconds > 0 ? c.Finished / elapsed.TotalSeconds : 0;
        Console.WriteLine($"job {jobId} {status.State.ToString().ToLowerInvariant()}: {c.Discovered} images, {c.Ok} swapped ({c.Faces} faces), {c.NoFace} without a face, {c.Failed} failed, {c.Skipped} skipped (already done)");
        Console.WriteLine($"{elapsed.TotalSeconds:0.0} s, {rate:0.00} images/s");
        var where = JobFolder(local, output, jobId);
        Console.WriteLine($"summary: {where}summary.json, per-image outcomes: {where}outcomes.jsonl");
        if (c.Discovered == 0)
        {
            Console.Error.WriteLine("warning: no images (.jpg .jpeg .png .bmp .webp) were found under the input");
        }
    }

    /// <summary>Where the job's own files (summary.json, outcomes.jsonl) are, as the user names that place.</summary>
    private static string JobFolder(bool local, string output, string jobId) => (local ? "/" : string.Empty) + output + $"{JobFiles.Folder}/{jobId}/";

    /// <summary>A folder (local) or container/prefix (blob) as a store prefix ending in '/'.</summary>
    private static string Prefix(string value, bool local, bool mustExist, string what)
    {
        if (!local)
        {
            var trimmed = value.Trim('/');
            if (trimmed.Length == 0 || trimmed.Contains("..", StringComparison.Ordinal))
            {
                throw new CliException($"{what} '{value}' is not a container/prefix");
            }

            return trimmed + "/";
        }

        var full = Path.GetFullPath(value);
        if (mustExist && !Directory.Exists(full))
        {
            throw new CliException($"{what} folder '{value}' does not exist", ExitCodes.NotFound);
        }

        if (full == "/")
        {
            throw new CliException($"{what} cannot be the file system root");
        }

        return full.TrimStart('/').TrimEnd('/') + "/";
    }

    /// <summary>The source as a store path; a local file is uploaded beside the output when storage is remote.</summary>
    private static async Task<string> ResolveSourceAsync(string value, bool local, IBlobStore store, string output, CancellationToken cancellationToken, string what = "source")
    {
        if (local)
        {
            var full = Path.GetFullPath(value);
            if (!File.Exists(full))
            {
                throw new CliException($"{what} '{value}' does not exist", ExitCodes.NotFound);
            }

            return full.TrimStart('/');
        }

        if (File.Exists(value))
        {
            var bytes = await File.ReadAllBytesAsync(value, cancellationToken);
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16];
            var path = $"{output}{JobFiles.Folder}/sources/{hash}{Path.GetExtension(value).ToLowerInvariant()}";
            await store.WriteAsync(path, bytes, "application/octet-stream", null, cancellationToken);
            return path;
        }

        if (await store.GetPropertiesAsync(value.Trim('/'), cancellationToken) is null)
        {
            throw new CliException($"{what} '{value}' is neither a local file nor a blob in the storage account", ExitCodes.NotFound);
        }

        return value.Trim('/');
    }
}
