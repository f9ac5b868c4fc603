using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Client;

namespace FaceSwap.Cli.Commands;

/// <summary>
/// Commands that work against a running server (`faceswap serve`, or a deployed silo) over its REST API:
/// submit, status, watch, cancel, retry, results and jobs. Paths are the server's storage paths (container/folder/...).
/// </summary>
public static class RemoteCommands
{
    private static readonly int DefaultBatchSize = new JobOptions().BatchSize;
    private static readonly int DefaultPrefetch = new JobOptions().Prefetch;
    private static readonly int DefaultQuality = new JobOptions().Quality;

    /// <summary>`faceswap submit`: creates a job on the server; with --wait, follows it to the end.</summary>
    public static Command Submit()
    {
        var remote = new RemoteConnection();
        var source = SourceArguments.Source("Storage path of the image with the source face, e.g. inbox/faces/anna.jpg; repeat it or give a prefix ending in '/' for several photos of one person, or with --sources-mode each for several people");
        var sourcesMode = SourceArguments.Mode();
        var input = new Option<string>("--input") { Description = "Storage prefix of the images to swap, e.g. inbox/photos/", Required = true };
        var output = new Option<string>("--output") { Description = "Storage prefix of the outputs; mirrors the input's paths", Required = true };
        var faces = CommonOptions.Faces();
        var references = CommonOptions.References("With --faces reference: storage path of a photo of a person whose faces are swapped, e.g. inbox/faces/anna.jpg (repeat for several people)");
        var referenceDistance = CommonOptions.ReferenceDistance();
        var minFace = CommonOptions.MinFace();
        var batchSize = CommonOptions.BatchSize("Images per inference call", DefaultBatchSize);
        var prefetch = CommonOptions.Prefetch(DefaultPrefetch);
        var quality = new Option<int>("--quality") { Description = "JPEG/WebP quality of the outputs (1-100)", DefaultValueFactory = _ => DefaultQuality }.Within(1, 100);
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing files at output paths that FaceSwap did not write (without it they are kept and listed as skipped: not_ours)" };
        var consent = new Option<string>("--consent") { Description = "Reference to the consent on record for the source face" };
        var jobId = new Option<string>("--job-id") { Description = "Your own job id (a-z 0-9 - _); submitting it again with the same values returns the same job" };
        var wait = new Option<bool>("--wait") { Description = "Follow the job until it ends; the exit code tells how it ended" };
        var noWatermark = new Option<bool>("--no-watermark") { Description = "Do not embed the invisible watermark (outputs are still marked AI-generated in their metadata)" };
        var preview = CommonOptions.Preview();
        var command = new Command("submit", "Submit a job to a FaceSwap server; prints the job id")
        {
            source, sourcesMode, input, output, faces, references, referenceDistance, minFace, batchSize, prefetch, quality, overwrite, consent, jobId, wait, noWatermark, preview,
        };
        remote.AddTo(command);
        command.SetAction((parse, ct) => remote.RunAsync(parse, ct, async (client, token) =>
        {
            var sources = parse.GetValue(source)!;
            var mode = SourceArguments.ParseMode(parse.GetValue(sourcesMode)!);
            var single = sources.Length == 1 && !sources[0].EndsWith('/') && mode == SourcesMode.Set;
            var faceMode = parse.GetValue(faces)!;
            var referencePaths = parse.GetValue(references) ?? [];
            CommonOptions.CheckSelection(faceMode, referencePaths, parse.GetValue(referenceDistance), parse.GetValue(minFace));
            var request = new SubmitJobRequest
            {
                Source = single ? sources[0] : null,
                Sources = single ? null : sources,
                Input = parse.GetValue(input),
                Output = parse.GetValue(output),
                ConsentReference = parse.GetValue(consent),
                JobId = parse.GetValue(jobId),
                Options = new JobOptions
                {
                    Faces = CommonOptions.ParseFaceMode(faceMode),
                    References = referencePaths.Length > 0 ? referencePaths : null,
                    ReferenceDistance = parse.GetValue(referenceDistance),
                    MinFace = parse.GetValue(minFace),
                    SourcesMode = mode,
                    BatchSize = parse.GetValue(batchSize),
                    Prefetch = parse.GetValue(prefetch),
                    Quality = parse.GetValue(quality),
                    Watermark = !parse.GetValue(noWatermark),
                    Overwrite = parse.GetValue(overwrite),
                    Preview = parse.GetValue(preview),
                },
            };
            var status = (await client.SubmitJobAsync(request, token)).LatestStatus!;
            Console.WriteLine(status.JobId);
            Console.Error.WriteLine($"job {status.JobId} {RemoteDisplay.Wire(status.State)}: {status.Spec?.Input} -> {status.Spec?.Output}");
            if (!parse.GetValue(wait))
            {
                if (!status.IsTerminal)
                {
                    Console.Error.WriteLine($"follow it: faceswap watch {status.JobId}");
                }

                return status.State == JobState.Failed ? RemoteDisplay.Finish(status) : ExitCodes.Success;
            }

            return RemoteDisplay.Finish(await RemoteDisplay.FollowAsync(client, status, token));
        }));
        return command;
    }

    /// <summary>`faceswap status JOBID`.</summary>
    public static Command Status()
    {
        var remote = new RemoteConnection();
        var id = JobIdArgument();
        var json = JsonOption("Print the job's status as the API's JSON");
        var command = new Command("status", "Show a job's state and counts") { id, json };
        remote.AddTo(command);
        command.SetAction((parse, ct) => remote.RunAsync(parse, ct, async (client, token) =>
        {
            var status = await client.GetJobAsync(JobId(parse, id), token);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(status, RemoteConnection.Json));
                return ExitCodes.Success;
            }

            var c = status.Counters;
            Console.WriteLine($"job {status.JobId}: {RemoteDisplay.Wire(status.State)}");
            Console.WriteLine($"  images:    {c.Finished}/{c.Discovered}{(status.ListingComplete || status.IsTerminal ? "" : "+")} done: {c.Ok} swapped ({c.Faces} faces), {c.NoFace} without a face, {c.Failed} failed, {c.Skipped} skipped; {status.InFlight} in flight");
            if (c.FacesToReview > 0 || c.FacesLost > 0)
            {
                Console.WriteLine($"  review:    {c.FacesToReview} of {c.Faces} faces need a look ({c.FacesLost} lost); the list is in the job's summary.json, each face in `faceswap results`");
            }

            if (status.Spec is { } spec)
            {
                Console.WriteLine($"  source:    {spec.Source}");
                Console.WriteLine($"  input:     {spec.Input} -> {spec.Output}");
                Console.WriteLine($"  options:   faces {RemoteDisplay.Wire(spec.Options.Faces)}, batch size {spec.Options.BatchSize}, prefetch {spec.Options.Prefetch}, quality {spec.Options.Quality}");
                if (spec.Options.Preview is { } preview)
                {
                    Console.WriteLine($"  preview:   {preview} images chosen across the input's folders; contact sheet: GET /api/jobs/{status.JobId}/contact-sheet.png once it has finished");
                }

                Console.WriteLine($"  submitted: {status.Created.ToString("u", CultureInfo.InvariantCulture)} by {spec.SubmittedBy}{(spec.ConsentReference is { } consent ? $" (consent: {consent})" : "")}");
            }

            if (status.Finished is { } finished)
            {
                Console.WriteLine($"  finished:  {finished.ToString("u", CultureInfo.InvariantCulture)}");
            }

            if (status.Error is { } error)
            {
                Console.WriteLine($"  error:     {error}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>`faceswap watch JOBID`: progress until the job ends; 0 when it completed.</summary>
    public static Command Watch()
    {
        var remote = new RemoteConnection();
        var id = JobIdArgument();
        var command = new Command("watch", "Follow a job live until it ends (Ctrl+C stops watching, not the job)") { id };
        remote.AddTo(command);
        command.SetAction((parse, ct) => remote.RunAsync(parse, ct, async (client, token) =>
        {
            var status = await client.GetJobAsync(JobId(parse, id), token);
            return RemoteDisplay.Finish(status.IsTerminal ? status : await RemoteDisplay.FollowAsync(client, status, token));
        }));
        return command;
    }

    /// <summary>`faceswap cancel JOBID`.</summary>
    public static Command Cancel()
    {
        var remote = new RemoteConnection();
        var id = JobIdArgument();
        var command = new Command("cancel", "Stop a job: nothing more is started; images in flight finish") { id };
        remote.AddTo(command);
        command.SetAction((parse, ct) => remote.RunAsync(parse, ct, async (client, token) =>
        {
            var jobId = JobId(parse, id);
            var status = await client.CancelJobAsync(jobId, token);
            var c = status.Counters;
            Console.WriteLine(status.State == JobState.Cancelled
                ? $"job {jobId} cancelled: {c.Finished} of {c.Discovered}{(status.ListingComplete ? "" : "+")} images done ({c.Ok} swapped, {c.Failed} failed)"
                : $"job {jobId} had already ended: {RemoteDisplay.Wire(status.State)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>`faceswap retry JOBID`: runs the failed images of an ended job again.</summary>
    public static Command Retry()
    {
        var remote = new RemoteConnection();
        var id = JobIdArgument();
        var wait = new Option<bool>("--wait") { Description = "Follow the job until it ends again" };
        var command = new Command("retry", "Run the images whose latest outcome failed again (after fixing them)") { id, wait };
        remote.AddTo(command);
        command.SetAction((parse, ct) => remote.RunAsync(parse, ct, async (client, token) =>
        {
            var jobId = JobId(parse, id);
            var before = await client.GetJobAsync(jobId, token);
            var status = await client.RetryFailedAsync(jobId, token);
            if (status.IsTerminal)
            {
                Console.WriteLine($"job {jobId}: no failed images to retry");
                return ExitCodes.Success;
            }

            Console.WriteLine($"job {jobId} running again: retrying {before.Counters.Failed} failed images");
            return parse.GetValue(wait) ? RemoteDisplay.Finish(await RemoteDisplay.FollowAsync(client, status, token)) : ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>`faceswap results JOBID [--status failed] [--json]`.</summary>
    public static Command Results()
    {
        var remote = new RemoteConnection();
        var id = JobIdArgument();
        var status = new Option<string>("--status") { Description = "Only images with this outcome" }.AcceptOnlyFromAmong("ok", "no_face", "failed", "skipped");
        var limit = new Option<int>("--limit") { Description = "At most this many results (0: all)", DefaultValueFactory = _ => 0 };
        var json = JsonOption("Print the outcomes as a JSON array (the API's form)");
        var command = new Command("results", "List the outcome of each image of a job, in finishing order") { id, status, limit, json };
        remote.AddTo(command);
        command.SetAction((parse, ct) => remote.RunAsync(parse, ct, async (client, token) =>
        {
            var jobId = JobId(parse, id);
            ImageStatus? filter = parse.GetValue(status) is { } s ? Enum.GetValues<ImageStatus>().First(v => RemoteDisplay.Wire(v) == s) : null;
            var wanted = parse.GetValue(limit);
            var outcomes = new List<ImageOutcome>();
            var total = 0;
            await foreach (var page in client.GetResultsAsync(jobId, filter, token).AsPages(pageSizeHint: 1000))
            {
                outcomes.AddRange(page.Values);
                total = page.Total ?? outcomes.Count;
                if (wanted > 0 && outcomes.Count >= wanted)
                {
                    break;
                }
            }

            if (wanted > 0 && outcomes.Count > wanted)
            {
                outcomes.RemoveRange(wanted, outcomes.Count - wanted);
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(outcomes, RemoteConnection.Json));
                return ExitCodes.Success;
            }

            foreach (var o in outcomes)
            {
                var what = o.Status switch
                {
                    ImageStatus.Ok => $"{o.Faces} faces" + (o.Similarity is { } similarity ? $", similarity {similarity:0.00}" : "") + FaceNotes(o),
                    ImageStatus.Failed => $"{o.ErrorClass}: {o.Message}",
                    _ => o.Message ?? "",
                };
                Console.WriteLine($"{RemoteDisplay.Wire(o.Status),-8} {o.Path}  {what}");
            }

            Console.Error.WriteLine($"{outcomes.Count} of {total} results{(filter is { } f ? $" with status {RemoteDisplay.Wire(f)}" : "")}");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>A results line's note on faces that need a look: each one's index and reasons, e.g. "; review: #1 tint, #2 lost".</summary>
    private static string FaceNotes(ImageOutcome outcome)
    {
        var flagged = (outcome.FaceOutcomes ?? []).Select((f, i) => (Face: f, Index: i)).Where(x => x.Face.NeedsReview).ToList();
        return flagged.Count == 0 ? "" : "; review: " + string.Join(", ", flagged.Select(x => $"#{x.Index} {string.Join("+", x.Face.Review ?? [])}"));
    }

    /// <summary>`faceswap jobs`: the server's jobs, newest first.</summary>
    public static Command Jobs()
    {
        var remote = new RemoteConnection();
        var limit = new Option<int>("--limit") { Description = "Jobs to show (1-200)", DefaultValueFactory = _ => 20 };
        var cursor = new Option<string>("--cursor") { Description = "Show the page after this cursor (printed after a full page)" };
        var json = JsonOption("Print the page as the API's JSON");
        var command = new Command("jobs", "List the server's jobs, newest first") { limit, cursor, json };
        remote.AddTo(command);
        command.SetAction((parse, ct) => remote.RunAsync(parse, ct, async (client, token) =>
        {
            JobList page = new([], null);
            await foreach (var first in client.GetJobsAsync(token).AsPages(parse.GetValue(cursor), parse.GetValue(limit)))
            {
                page = new JobList(first.Values, first.ContinuationToken);
                break;
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(page, RemoteConnection.Json));
                return ExitCodes.Success;
            }

            Console.WriteLine($"{"JOB",-28} {"STATE",-10} {"DONE",11} {"OK",6} {"FAILED",6}  {"CREATED",-20} INPUT -> OUTPUT");
            foreach (var job in page.Items)
            {
                var c = job.Counters;
                var done = $"{c.Finished}/{c.Discovered}{(job.ListingComplete || job.IsTerminal ? "" : "+")}";
                Console.WriteLine($"{job.JobId,-28} {RemoteDisplay.Wire(job.State),-10} {done,11} {c.Ok,6} {c.Failed,6}  {job.Created.ToString("u", CultureInfo.InvariantCulture),-20} {job.Spec?.Input} -> {job.Spec?.Output}");
            }

            if (page.Next is { } next)
            {
                Console.Error.WriteLine($"more: faceswap jobs --cursor {next}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The JOBID argument; an id that cannot exist is reported like a job the server does not have.</summary>
    private static string JobId(ParseResult parse, Argument<string> argument)
    {
        var value = parse.GetValue(argument)!;
        return JobIds.IsValid(value)
            ? value
            : throw new CliException($"there is no job '{value}' (job ids are 1 to 64 of a-z, 0-9, '-' and '_')", ExitCodes.NotFound);
    }

    private static Argument<string> JobIdArgument() => new("JOBID") { Description = "The job's id (faceswap jobs lists them)" };

    private static Option<bool> JsonOption(string description) => new("--json") { Description = description };
}
