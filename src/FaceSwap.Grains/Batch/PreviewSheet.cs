using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Inference;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Preview jobs (<see cref="JobOptions.Preview"/>): the work source lists the whole input and hands over only the
/// chosen images (<see cref="PreviewWorkSource"/>); once they all have outcomes, an inference silo draws the contact
/// sheet before the job is recorded as completed, so whoever sees "completed" finds it, as with the summary.
/// </summary>
public static class PreviewSheet
{
    /// <summary>
    /// Draws <paramref name="state"/>'s contact sheet on an inference silo and records it (or why it could not be drawn)
    /// in the state for the summary; the notice says so meanwhile.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="state">Its persisted state (not written here).</param>
    /// <param name="work">The round's work source, if made: a preview's knows how many input images it chose from.</param>
    /// <param name="dispatcher">The activation's inference calls.</param>
    /// <param name="notice">What the job's status says.</param>
    /// <param name="logger">The job's logger.</param>
    public static async Task RecordAsync(string jobId, BatchState state, IWorkSource? work, InferenceDispatcher dispatcher, JobNotice notice, ILogger logger)
    {
        var spec = state.Spec!;
        var inputImages = (work as PreviewWorkSource)?.InputImages ?? state.Preview?.InputImages;
        notice.DrawingSheet();
        try
        {
            var faces = await dispatcher.Next().ContactSheetAsync(jobId, spec);
            state.Preview = new PreviewResult { InputImages = inputImages, ContactSheet = JobFiles.ContactSheet(spec, jobId), Faces = faces };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The outputs are written and recorded: the job completes, and its summary says why there is no sheet.
            logger.LogContactSheetFailed(e, jobId);
            state.Preview = new PreviewResult { InputImages = inputImages, Error = e.Message };
        }
        finally
        {
            notice.Clear();
        }
    }
}
