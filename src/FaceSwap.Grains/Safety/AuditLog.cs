using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;
using FaceSwap.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.Safety;

/// <summary>
/// The append-only audit log of jobs: one JSON line per event (submitted, refused, cancelled, completed) with who
/// submitted the job, when, the consent reference, the SHA-256 of the source face's bytes, the input and output
/// prefixes and the counts. Lines are appended with <see cref="IBlobStore.AppendLinesAsync"/> (an append blob in
/// Azure, an appended file locally) to PREFIX/yyyy-MM.jsonl, so nothing already written is ever rewritten.
/// </summary>
public sealed partial class AuditLog(IBlobStore store, string? prefix, ILogger logger)
{
    /// <summary>Where the silo host keeps the log unless configured: the "state" container, folder audit/.</summary>
    public const string DefaultPrefix = "state/audit/";

    /// <summary>The audit log as configured for a silo (FaceSwap:Safety:AuditPrefix).</summary>
    public AuditLog(IBlobStore store, IOptions<FaceSwapSiloOptions> options, ILogger<AuditLog> logger)
        : this(store, options.Value.Safety.AuditPrefix, logger)
    {
    }

    /// <summary>Whether the log is on.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(prefix);

    /// <summary>The blob a time's lines go to.</summary>
    public string PathFor(DateTimeOffset time) =>
        $"{prefix!.TrimEnd('/')}/{time.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture)}.jsonl";

    /// <summary>
    /// Records a submission (accepted, or refused because of its source face), with the source face's hash taken by
    /// the inference silo that checked it (api silos never read images). It must be written before the job runs: a
    /// failure here throws, and the job is not started.
    /// </summary>
    public async Task SubmittedAsync(string jobId, JobSpec spec, SourceCheck check)
    {
        if (!Enabled)
        {
            return;
        }

        await AppendAsync(new AuditRecord
        {
            Event = check.Usable ? "submitted" : "refused",
            JobId = jobId,
            SubmittedBy = spec.SubmittedBy,
            ConsentReference = spec.ConsentReference,
            Source = spec.Source,
            SourceSha256 = check.SourceSha256,
            SourcePhotosSha256 = check.SourcePhotosSha256,
            Input = spec.Input,
            Output = spec.Output,
            Watermark = spec.Options.Watermark,
            Error = check.Error,
        });
    }

    /// <summary>Records the end of a job (completed or cancelled) with its counts; failures are logged, not thrown.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="spec">Its spec.</param>
    /// <param name="state">Completed or Cancelled.</param>
    /// <param name="counters">The counts now.</param>
    /// <param name="inFlight">A cancel: images still in flight, whose outcomes follow in a <c>cancel_finished</c> line.</param>
    public Task FinishedAsync(string jobId, JobSpec spec, JobState state, JobCounters counters, int inFlight = 0) =>
        AppendEndAsync(state == JobState.Cancelled ? "cancelled" : state.ToString().ToLowerInvariant(), jobId, spec, counters, inFlight);

    /// <summary>
    /// Records that the images in flight at a cancel have finished and been recorded: the job's final counts (every
    /// image that finished after the cancel included). Failures are logged, not thrown.
    /// </summary>
    public Task CancelFinishedAsync(string jobId, JobSpec spec, JobCounters counters) =>
        AppendEndAsync("cancel_finished", jobId, spec, counters, 0);

    private async Task AppendEndAsync(string name, string jobId, JobSpec spec, JobCounters counters, int inFlight)
    {
        if (!Enabled)
        {
            return;
        }

        try
        {
            await AppendAsync(new AuditRecord
            {
                Event = name,
                JobId = jobId,
                SubmittedBy = spec.SubmittedBy,
                ConsentReference = spec.ConsentReference,
                Input = spec.Input,
                Output = spec.Output,
                Counts = counters,
                InFlight = inFlight > 0 ? inFlight : null,
            });
        }
        catch (Exception e) when (e is IOException or InvalidBlobPathException)
        {
            LogAppendFailed(e, jobId);
        }
    }

    private Task AppendAsync(AuditRecord record) =>
        store.AppendLinesAsync(PathFor(record.Time), [JsonSerializer.Serialize(record, FaceSwapJson.Options)]);

    [LoggerMessage(2, LogLevel.Error, "Audit: job {JobId}: the audit line could not be written")]
    private partial void LogAppendFailed(Exception e, string jobId);
}

/// <summary>One line of the audit log.</summary>
public sealed record AuditRecord
{
    /// <summary>When (UTC).</summary>
    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>submitted, refused, cancelled, cancel_finished or completed.</summary>
    public required string Event { get; init; }

    /// <summary>The job.</summary>
    public required string JobId { get; init; }

    /// <summary>Who submitted it: the API key's name, "blob-drop", or the user running the CLI.</summary>
    public string? SubmittedBy { get; init; }

    /// <summary>The consent reference for the source face.</summary>
    public string? ConsentReference { get; init; }

    /// <summary>The source face's path.</summary>
    public string? Source { get; init; }

    /// <summary>SHA-256 of the source face's bytes, hex.</summary>
    public string? SourceSha256 { get; init; }

    /// <summary>A source set's or matrix job's source photos (folders expanded) and the SHA-256 of each, hex.</summary>
    public IReadOnlyDictionary<string, string>? SourcePhotosSha256 { get; init; }

    /// <summary>Input prefix.</summary>
    public string? Input { get; init; }

    /// <summary>Output prefix.</summary>
    public string? Output { get; init; }

    /// <summary>Whether outputs carry the invisible watermark.</summary>
    public bool? Watermark { get; init; }

    /// <summary>Counts at the end (of a cancelled job: at the cancel; its cancel_finished line has the final counts).</summary>
    public JobCounters? Counts { get; init; }

    /// <summary>A cancel: images still in flight then, recorded when they finish (a cancel_finished line follows).</summary>
    public int? InFlight { get; init; }

    /// <summary>Why the job was refused.</summary>
    public string? Error { get; init; }
}
