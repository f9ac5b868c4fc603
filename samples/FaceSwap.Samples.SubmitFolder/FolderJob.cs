using System.Globalization;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Client;

namespace FaceSwap.Samples.SubmitFolder;

/// <summary>What became of a folder's job.</summary>
/// <param name="Final">The job's final status.</param>
/// <param name="Failures">The images that failed, each with its error class.</param>
public sealed record FolderJobReport(JobStatus Final, IReadOnlyList<ImageOutcome> Failures);

/// <summary>
/// Swaps one face into every photo of a storage folder: submits the job, follows its progress until it ends and lists
/// the images that failed. Everything goes through <see cref="FaceSwapClient"/>, so a test can hand it a mocked client.
/// </summary>
public sealed class FolderJob(FaceSwapClient client, TextWriter output)
{
    /// <summary>Submits <paramref name="request"/>, waits for the job and reports its failures.</summary>
    /// <param name="request">The source face, the input folder and the output folder.</param>
    /// <param name="cancellationToken">Stops following (the job goes on on the server).</param>
    /// <returns>The final status and the failed images.</returns>
    public async Task<FolderJobReport> RunAsync(SubmitJobRequest request, CancellationToken cancellationToken)
    {
        var operation = await client.SubmitJobAsync(request, cancellationToken);
        output.WriteLine($"job {operation.Id}: {request.Input} -> {request.Output}");

        var final = await operation.WaitForCompletionAsync(new Progress(output), cancellationToken);
        output.WriteLine($"job {operation.Id} {final.State}: {final.Counters.Ok} ok, {final.Counters.NoFace} without a face, {final.Counters.Failed} failed");

        var failures = new List<ImageOutcome>();
        await foreach (var failure in client.GetResultsAsync(operation.Id, ImageStatus.Failed, cancellationToken))
        {
            failures.Add(failure);
            output.WriteLine($"failed {failure.Path}: {failure.ErrorClass}");
        }

        return new FolderJobReport(final, failures);
    }

    /// <summary>One line per status the job reports, at most one per whole percent.</summary>
    private sealed class Progress(TextWriter output) : IProgress<JobStatus>
    {
        private long lastPercent = -1;

        public void Report(JobStatus value)
        {
            var counters = value.Counters;
            var percent = counters.Discovered == 0 ? 0 : counters.Finished * 100 / counters.Discovered;
            if (percent != lastPercent || value.IsTerminal)
            {
                lastPercent = percent;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {counters.Finished}/{counters.Discovered} done ({percent}%), {counters.Failed} failed"));
            }
        }
    }
}
