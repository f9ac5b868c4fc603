using System.Diagnostics;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Safety;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// The storage side of one image, the same for every engine (the face engine and the load test's null engine): the
/// output check before any work (this job's own output counted again, another job's skipped, a file FaceSwap did not
/// write kept), the conditional write after it with the output metadata, and the untouched copy.
/// </summary>
public sealed class ImageProcessor(IBlobStore store, string siloName)
{
    /// <summary>The code of an image whose output changed between the check and the write (not by this job).</summary>
    public const string OutputChanged = "output_changed";

    /// <summary>The code of an image dropped because the job's activation that sent it is gone; its new one does the image.</summary>
    public const string SupersededCode = "superseded";

    /// <summary>The outcome of <paramref name="item"/> before any work: its paths, silo and identity.</summary>
    public ImageOutcome Blank(WorkBatch batch, WorkItem item)
    {
        var relative = SourceMatrix.OutputRelative(batch.Spec, item);
        var outputRelative = OutputNames.For(batch.Spec, relative);
        return new ImageOutcome { Path = relative, Output = outputRelative == relative ? null : outputRelative, Silo = siloName, Identity = item.Identity };
    }

    /// <summary>Where the output of an image goes.</summary>
    public static string OutputPath(WorkBatch batch, ImageOutcome blank) => batch.Spec.Output + (blank.Output ?? blank.Path);

    /// <summary>
    /// What is at the output path: the outcome when the image needs no work (done before, or someone's file that is
    /// kept), else the stamp the write is conditional on.
    /// </summary>
    public async Task<OutputCheck> CheckOutputAsync(WorkBatch batch, WorkItem item, ImageOutcome blank, long started, StageTimer? timer, CancellationToken cancellationToken)
    {
        var outputPath = OutputPath(batch, blank);
        BlobStamp? seen;
        using (timer?.Time("read"))
        {
            seen = await store.GetStampAsync(outputPath, cancellationToken).ConfigureAwait(false);
        }

        var existing = seen?.Metadata;
        if (OutputMetadata.Matches(existing, item.ETag, batch.SpecHash))
        {
            // This job's own output, written before its dispatcher was lost, counts once as ok; another job's is skipped.
            return new OutputCheck(seen, (RecordedOutcome.Recount(existing, batch, item, blank) ?? blank with { Status = ImageStatus.Skipped }) with { Milliseconds = Elapsed(started) });
        }

        // A file FaceSwap did not write (someone's photo, an edited output) is never replaced unless the job says so.
        if (existing is not null && !OutputMetadata.IsOurs(existing) && !batch.Spec.Options.Overwrite
            && !await CarriesJobMarkAsync(outputPath, cancellationToken).ConfigureAwait(false))
        {
            return new OutputCheck(seen, blank with
            {
                Status = ImageStatus.Skipped,
                ErrorClass = OutputMetadata.NotOurs,
                Message = "a file that FaceSwap did not write is at the output path; it is kept (the overwrite option replaces it)",
                Milliseconds = Elapsed(started),
            });
        }

        return new OutputCheck(seen, null);
    }

    /// <summary>
    /// Writes an output, only over what the check saw: of two runs that did the same image (a job back in a new
    /// activation while the lost one's batches still ran), one uploads and the other counts the upload it finds. The
    /// ok outcome is recorded with the output, so the job counts it again if it meets the output once more. Null when
    /// written; else the outcome of the image whose output someone else wrote first.
    /// </summary>
    public async Task<ImageOutcome?> WriteAsync(WorkBatch batch, WorkItem item, ImageOutcome done, byte[] output, bool marked, BlobStamp? seen, long started, CancellationToken cancellationToken)
    {
        var outputPath = OutputPath(batch, done);
        var metadata = new Dictionary<string, string>
        {
            [OutputMetadata.InputETag] = item.ETag,
            [OutputMetadata.SpecHash] = batch.SpecHash,
            [OutputMetadata.JobId] = batch.JobId,
            [OutputMetadata.Outcome] = RecordedOutcome.Encode(done),
        };
        if (marked)
        {
            metadata[OutputMetadata.Generated] = "trainedAlgorithmicMedia";
        }

        if (!await store.WriteIfAsync(outputPath, output, ContentType(outputPath), metadata, WriteCondition.Unchanged(seen), cancellationToken).ConfigureAwait(false))
        {
            return await LostWriteRaceAsync(batch, item, done, outputPath, started, cancellationToken).ConfigureAwait(false);
        }

        FaceSwapTelemetry.BytesWritten.Add(output.Length);
        return null;
    }

    /// <summary>
    /// The copy-unswapped option: the input written to the output under its own name, byte for byte, with the output
    /// metadata that lets a resumed job skip it but without the AI-generated mark (nothing in it was changed).
    /// </summary>
    public async Task<ImageOutcome> CopyUntouchedAsync(WorkBatch batch, WorkItem item, byte[] bytes, ImageOutcome outcome, long started, CancellationToken cancellationToken)
    {
        // The output path checked before the swap is the one of the job's format; a copy keeps the input's name, where
        // someone's own file may be (checked the same way, unless the job says overwrite).
        var path = batch.Spec.Output + outcome.Path;
        var seen = await store.GetStampAsync(path, cancellationToken).ConfigureAwait(false);
        if (outcome.Output is not null && !batch.Spec.Options.Overwrite && seen?.Metadata is { } existing && !OutputMetadata.IsOurs(existing))
        {
            return outcome with
            {
                Status = ImageStatus.Skipped,
                ErrorClass = OutputMetadata.NotOurs,
                Message = "a file that FaceSwap did not write is where the untouched copy would go; it is kept (the overwrite option replaces it)",
                Output = null,
                Milliseconds = Elapsed(started),
            };
        }

        // Only over what was seen, as a swapped output: of two runs copying the same image, one writes.
        if (!await store.WriteIfAsync(path, bytes, ContentType(path), new Dictionary<string, string>
        {
            [OutputMetadata.InputETag] = item.ETag,
            [OutputMetadata.SpecHash] = batch.SpecHash,
            [OutputMetadata.JobId] = batch.JobId,
        }, WriteCondition.Unchanged(seen), cancellationToken).ConfigureAwait(false))
        {
            return await LostWriteRaceAsync(batch, item, outcome with { Output = null }, path, started, cancellationToken).ConfigureAwait(false);
        }

        FaceSwapTelemetry.BytesWritten.Add(bytes.Length);
        return outcome with { Output = null, Untouched = true, Marked = false, Milliseconds = Elapsed(started) };
    }

    /// <summary>The outcome of an image whose job's dispatcher is gone.</summary>
    public static ImageOutcome Superseded(ImageOutcome blank, long started) => blank with
    {
        Status = ImageStatus.Failed,
        ErrorClass = SupersededCode,
        Message = "the job's dispatcher that sent this image is gone; the job's live run does the image",
        Milliseconds = Elapsed(started),
    };

    /// <summary>Milliseconds since <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp), to one decimal.</summary>
    public static double Elapsed(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);

    /// <summary>
    /// The outcome of an image whose output someone else wrote between the check and this write: this job's own
    /// writer (counted once, from what it recorded), another job's with the same spec (skipped), or anything else (the
    /// output changed under the job: failed, so a retry round looks again).
    /// </summary>
    private async Task<ImageOutcome> LostWriteRaceAsync(WorkBatch batch, WorkItem item, ImageOutcome blank, string outputPath, long started, CancellationToken cancellationToken)
    {
        var now = await store.GetStampAsync(outputPath, cancellationToken).ConfigureAwait(false);
        if (RecordedOutcome.Recount(now?.Metadata, batch, item, blank) is { } recounted)
        {
            return recounted with { Milliseconds = Elapsed(started) };
        }

        return OutputMetadata.Matches(now?.Metadata, item.ETag, batch.SpecHash)
            ? blank with { Status = ImageStatus.Skipped, Milliseconds = Elapsed(started) }
            : blank with
            {
                Status = ImageStatus.Failed,
                ErrorClass = OutputChanged,
                Message = "the output was written by someone else while the image was swapped; it is kept",
                Milliseconds = Elapsed(started),
            };
    }

    /// <summary>
    /// Whether a file without FaceSwap's stored metadata still is a FaceSwap output: its XMP names a job. That is an
    /// output whose metadata was lost (a crash between a rewrite's sidecar and its content, a copy that changed its
    /// time), which a job redoes rather than keeps. The XMP sits at the start of every format the engine writes.
    /// </summary>
    private async Task<bool> CarriesJobMarkAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var head = await store.ReadRangeAsync(path, 0, 256 * 1024, cancellationToken).ConfigureAwait(false);
            return XmpMarker.Read(head) is { Found: true, JobId: not null };
        }
        catch (Exception e) when (e is IOException or InvalidBlobPathException)
        {
            return false; // unreadable: kept, as a file that is not ours
        }
    }

    private static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".bmp" => "image/bmp",
        ".heic" or ".heif" => "image/heic",
        ".avif" => "image/avif",
        _ => "image/jpeg",
    };
}

/// <summary>What the output check found: the stamp a write is conditional on, and the outcome when no work is needed.</summary>
public sealed record OutputCheck(BlobStamp? Seen, ImageOutcome? Done);
