using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Safety;
using FaceSwap.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.BlobDrop;

/// <summary>What became of one manifest.</summary>
public enum DropResult
{
    /// <summary>A job was created (it may still fail at once, e.g. for a source without a face; its status says so).</summary>
    Started,
    /// <summary>The job of this manifest version exists already (a duplicate event).</summary>
    AlreadyStarted,
    /// <summary>The manifest is wrong; its status blob says why.</summary>
    Rejected,
    /// <summary>Not a manifest of the inbox, or gone.</summary>
    Ignored,
}

/// <summary>The result of handling one manifest.</summary>
public sealed record DropOutcome(DropResult Result, string? JobId, string? Reason);

/// <summary>Starts the job a dropped manifest asks for; shared by the queue consumer and the inbox watcher.</summary>
public interface IBlobDropHandler
{
    /// <summary>
    /// Handles the manifest at <paramref name="manifestPath"/>. Idempotent: the job id comes from the manifest's path and
    /// ETag. Returns once the job is durably created; throws only for failures worth retrying (storage, no silo).
    /// </summary>
    Task<DropOutcome> HandleAsync(string manifestPath, CancellationToken cancellationToken);
}

/// <inheritdoc />
public sealed partial class BlobDropHandler(IGrainFactory grains, IBlobStore store, IOptions<FaceSwapSiloOptions> options, ILogger<BlobDropHandler> logger)
    : IBlobDropHandler
{
    private readonly BlobDropOptions drop = options.Value.Drop;

    /// <summary>The job id of one version of a manifest.</summary>
    public static string JobIdFor(string manifestPath, string etag) =>
        "drop-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifestPath + "|" + etag)))[..20];

    /// <summary>Where the status of the job started by a manifest is written: <c>_faceswap/status.json</c> beside it.</summary>
    public static string StatusPathFor(string manifestPath) => FolderOf(manifestPath) + JobFiles.Folder + "/status.json";

    /// <summary>Whether a blob path names a manifest in the inbox container.</summary>
    public bool IsManifest(string path) =>
        path.StartsWith(drop.Inbox + "/", StringComparison.Ordinal)
        && (path.EndsWith("/" + drop.ManifestName, StringComparison.Ordinal))
        && !path.Split('/').Contains(JobFiles.Folder);

    /// <inheritdoc />
    public async Task<DropOutcome> HandleAsync(string manifestPath, CancellationToken cancellationToken)
    {
        if (!IsManifest(manifestPath))
        {
            return new DropOutcome(DropResult.Ignored, null, $"not a {drop.ManifestName} in the {drop.Inbox} container");
        }

        if (await store.GetPropertiesAsync(manifestPath, cancellationToken) is not { } properties)
        {
            return new DropOutcome(DropResult.Ignored, null, "the manifest no longer exists");
        }

        var jobId = JobIdFor(manifestPath, properties.ETag);
        var grain = grains.GetGrain<IBatchGrain>(jobId);
        if ((await grain.GetStatusAsync()).Spec is not null)
        {
            return new DropOutcome(DropResult.AlreadyStarted, jobId, null);
        }

        var folder = FolderOf(manifestPath);
        DropManifest manifest;
        try
        {
            manifest = DropManifest.Parse(await store.ReadAllBytesAsync(manifestPath, DropManifest.MaxBytes, cancellationToken));
        }
        catch (FormatException e)
        {
            return await RejectAsync(manifestPath, jobId, e.Message, JobErrorCodes.InvalidManifest, null, cancellationToken);
        }
        catch (BlobTooLargeException)
        {
            return await RejectAsync(manifestPath, jobId, $"the manifest is larger than {DropManifest.MaxBytes / 1024} KB", JobErrorCodes.ManifestTooLarge, null, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return new DropOutcome(DropResult.Ignored, jobId, "the manifest no longer exists");
        }

        var request = new SubmitJobRequest
        {
            Source = manifest.Source is { } source && source.StartsWith("./", StringComparison.Ordinal) ? folder + source[2..] : manifest.Source,
            Sources = manifest.Sources?.Select(s => s.StartsWith("./", StringComparison.Ordinal) ? folder + s[2..] : s).ToList(),
            Input = folder,
            Output = manifest.Output ?? drop.Outbox + folder[drop.Inbox.Length..],
            // References may be relative to the manifest's folder too ("./anna.jpg").
            Options = manifest.Options is { References: { } references } withReferences
                ? withReferences with { References = references.Select(r => r.StartsWith("./", StringComparison.Ordinal) ? folder + r[2..] : r).ToList() }
                : manifest.Options,
            ConsentReference = manifest.ConsentReference,
        };
        var (spec, errors, codes) = await JobRequestValidation.ValidateAsync(request, "blob-drop", store, JobPolicy.Of(options.Value), cancellationToken);
        if (spec is null)
        {
            var field = errors.Keys.First();
            return await RejectAsync(manifestPath, jobId, string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")),
                codes.GetValueOrDefault(field) ?? ErrorCodes.InvalidRequest, field, cancellationToken);
        }

        JobStatus status;
        try
        {
            status = await grain.StartAsync(spec with { StatusPath = StatusPathFor(manifestPath) });
        }
        catch (JobRefusedException e)
        {
            return await RejectAsync(manifestPath, jobId, $"{e.Field} {e.Message}", e.Code, e.Field, cancellationToken);
        }

        LogStarted(jobId, manifestPath, status.State);
        return new DropOutcome(DropResult.Started, jobId, status.Error);
    }

    private async Task<DropOutcome> RejectAsync(string manifestPath, string jobId, string reason, string code, string? field, CancellationToken cancellationToken)
    {
        var status = new JobStatus
        {
            JobId = jobId,
            State = JobState.Failed,
            Created = DateTimeOffset.UtcNow,
            Finished = DateTimeOffset.UtcNow,
            Error = $"{manifestPath}: {reason}",
            ErrorCode = code,
            ErrorField = field,
        };
        await store.WriteAsync(StatusPathFor(manifestPath), JsonSerializer.SerializeToUtf8Bytes(status, new JsonSerializerOptions(FaceSwapJson.Options) { WriteIndented = true }), "application/json", null, cancellationToken);
        LogRejected(manifestPath, reason);
        return new DropOutcome(DropResult.Rejected, jobId, reason);
    }

    private static string FolderOf(string path) => path[..(path.LastIndexOf('/') + 1)];

    [LoggerMessage(1, LogLevel.Information, "Blob drop {ManifestPath} started job {JobId} ({State})")]
    private partial void LogStarted(string jobId, string manifestPath, JobState state);

    [LoggerMessage(2, LogLevel.Warning, "Blob drop {ManifestPath} rejected: {Reason}")]
    private partial void LogRejected(string manifestPath, string reason);
}
