using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Preview jobs (<see cref="JobOptions.Preview"/>): the work source lists the whole input and hands over only the
/// chosen images (<see cref="PreviewWorkSource"/>); once they all have outcomes, an inference silo draws the contact
/// sheet before the job is recorded as completed, so whoever sees "completed" finds it, as with the summary.
/// </summary>
public sealed partial class BatchGrain
{
    /// <summary>What a running preview's status says while its contact sheet is drawn.</summary>
    public const string DrawingNotice = JobNotice.Drawing;

    /// <summary>The message of a preview size out of range (code <see cref="JobRefusalCodes.PreviewOutOfRange"/>).</summary>
    public static readonly string PreviewRange = JobRequestValidation.PreviewRange;

    /// <summary>Draws the contact sheet on an inference silo and records it (or why it could not be drawn) for the summary.</summary>
    private async Task RecordPreviewAsync()
    {
        var spec = state.State.Spec!;
        var inputImages = (work as PreviewWorkSource)?.InputImages ?? state.State.Preview?.InputImages;
        notice.DrawingSheet();
        try
        {
            var faces = await Dispatcher.Next().ContactSheetAsync(JobId, spec);
            state.State.Preview = new PreviewResult { InputImages = inputImages, ContactSheet = JobFiles.ContactSheet(spec, JobId), Faces = faces };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The outputs are written and recorded: the job completes, and its summary says why there is no sheet.
            logger.LogContactSheetFailed(e, JobId);
            state.State.Preview = new PreviewResult { InputImages = inputImages, Error = e.Message };
        }
        finally
        {
            notice.Clear();
        }
    }
}
