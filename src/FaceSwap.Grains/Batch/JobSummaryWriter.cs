using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// What a job publishes besides its outcomes: the status blob of a job whose spec names one (blob drops), mirrored at
/// most every few seconds while it runs, and <c>summary.json</c> at its end (counts, rates, stages, review, sources).
/// One writer per job activation.
/// </summary>
public sealed class JobSummaryWriter(IBlobStore store)
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(5);
    private static readonly JsonSerializerOptions Indented = new(FaceSwapJson.Options) { WriteIndented = true };

    private DateTimeOffset lastStatusWrite;

    /// <summary>
    /// Writes <paramref name="status"/> to <paramref name="path"/> (nothing when null), unless the last write is younger
    /// than a few seconds and <paramref name="force"/> is not set.
    /// </summary>
    /// <exception cref="IOException">The store could not write it.</exception>
    public async Task WriteStatusAsync(string? path, JobStatus status, bool force)
    {
        if (path is null || (!force && DateTimeOffset.UtcNow - lastStatusWrite < StatusInterval))
        {
            return;
        }

        lastStatusWrite = DateTimeOffset.UtcNow;
        await store.WriteAsync(path, JsonSerializer.SerializeToUtf8Bytes(status, Indented), "application/json", null);
    }

    /// <summary>Writes the summary of a job that has ended, from its status and persisted state and its outcomes manifest.</summary>
    public async Task WriteSummaryAsync(string jobId, JobStatus status, BatchState state)
    {
        var spec = state.Spec ?? throw new InvalidOperationException("the job has no spec");
        var manifest = JobFiles.Outcomes(spec, jobId);
        var elapsed = ((status.Finished ?? DateTimeOffset.UtcNow) - (state.Started ?? status.Created)).TotalSeconds;
        var faces = await FaceReview.ReadAsync(store, manifest);
        var summary = new
        {
            jobId,
            state = status.State,
            error = status.Error,
            errorCode = status.ErrorCode,
            errorField = status.ErrorField,
            counts = status.Counters,
            created = status.Created,
            started = state.Started,
            finished = status.Finished,
            elapsedSeconds = Math.Round(elapsed, 2),
            imagesPerSecond = elapsed > 0 ? Math.Round(status.Counters.Finished / elapsed, 2) : 0,
            spec = status.Spec,
            specHash = state.SpecHash,
            stages = await StageTable.ReadAsync(store, manifest),
            quality = faces.Quality,
            review = faces.Review,
            preview = spec.Options.Preview is { } requested
                ? new
                {
                    requested,
                    images = status.Counters.Discovered,
                    inputImages = state.Preview?.InputImages,
                    contactSheet = state.Preview?.ContactSheet,
                    contactSheetFaces = state.Preview?.ContactSheet is null ? (int?)null : state.Preview.Faces,
                    contactSheetError = state.Preview?.Error,
                }
                : null,
            sources = SourceMatrix.IsMatrix(spec)
                ? await SourceMatrix.TableAsync(spec, (await OutcomeIndex.OpenAsync(store, manifest)).EachAsync())
                : null,
        };
        await store.WriteAsync(JobFiles.Summary(spec, jobId), JsonSerializer.SerializeToUtf8Bytes(summary, Indented), "application/json", null);
    }
}
