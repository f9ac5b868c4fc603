using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Samples.SubmitFolder;
using Moq;

namespace FaceSwap.Client.Tests;

/// <summary>
/// What an SDK user's own tests look like: the sample's code run against a mocked <see cref="FaceSwapClient"/> (Moq),
/// with no server, no network and no storage.
/// </summary>
public sealed class MockedClientTests
{
    private static readonly SubmitJobRequest Request = new() { Source = "faces/anna.jpg", Input = "inbox/wedding/", Output = "outbox/wedding/" };

    [Fact]
    public async Task The_sample_follows_a_mocked_job_to_its_end_and_lists_the_failures_of_every_results_page()
    {
        var running = Status(JobState.Running, discovered: 4, ok: 1, failed: 0);
        var final = Status(JobState.Completed, discovered: 4, ok: 1, failed: 3);
        var operation = new Mock<JobOperation>();
        operation.Setup(o => o.Id).Returns("job-1");
        operation.Setup(o => o.WaitForCompletionAsync(It.IsAny<IProgress<JobStatus>>(), It.IsAny<CancellationToken>()))
            .Returns((IProgress<JobStatus> progress, CancellationToken _) =>
            {
                progress.Report(running);
                progress.Report(final);
                return Task.FromResult(final);
            });
        var client = new Mock<FaceSwapClient>();
        client.Setup(c => c.SubmitJobAsync(Request, It.IsAny<CancellationToken>())).ReturnsAsync(operation.Object);
        client.Setup(c => c.GetResultsAsync("job-1", ImageStatus.Failed, It.IsAny<CancellationToken>()))
            .Returns(AsyncPageable<ImageOutcome>.FromPages(
            [
                Page<ImageOutcome>.FromValues([Failed("a.jpg", "not_an_image"), Failed("b/c.jpg", "image_too_large")], "next", 3),
                Page<ImageOutcome>.FromValues([Failed("d.png", "not_an_image")], null, 3),
            ]));
        using var output = new StringWriter();

        var report = await new FolderJob(client.Object, output).RunAsync(Request, CancellationToken.None);

        Assert.Same(final, report.Final);
        Assert.Equal(["a.jpg", "b/c.jpg", "d.png"], report.Failures.Select(f => f.Path));
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "job job-1: inbox/wedding/ -> outbox/wedding/",
            "  1/4 done (25%), 0 failed",
            "  4/4 done (100%), 3 failed",
            "job job-1 Completed: 1 ok, 0 without a face, 3 failed",
            "failed a.jpg: not_an_image",
            "failed b/c.jpg: image_too_large",
            "failed d.png: not_an_image",
        ],
            lines);
        client.Verify(c => c.SubmitJobAsync(Request, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_refusal_from_a_mocked_client_reaches_the_caller_with_its_status_and_error_code()
    {
        var client = new Mock<FaceSwapClient>();
        client.Setup(c => c.SubmitJobAsync(It.IsAny<SubmitJobRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FaceSwapRequestFailedException(400, "the output folder is inside the input", JobRefusalCodes.OutputOverlapsInput));
        using var output = new StringWriter();

        var refused = await Assert.ThrowsAsync<FaceSwapRequestFailedException>(() => new FolderJob(client.Object, output).RunAsync(Request, CancellationToken.None));

        Assert.Equal((400, JobRefusalCodes.OutputOverlapsInput), (refused.Status, refused.ErrorCode));
        Assert.Empty(output.ToString());
        client.Verify(c => c.GetResultsAsync(It.IsAny<string>(), It.IsAny<ImageStatus?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task An_operation_resumed_from_an_id_over_a_mocked_client_updates_and_waits_through_the_clients_virtual_members()
    {
        var running = Status(JobState.Running, discovered: 2, ok: 1, failed: 0);
        var done = Status(JobState.Completed, discovered: 2, ok: 2, failed: 0);
        var client = new Mock<FaceSwapClient>();
        client.Setup(c => c.GetJobAsync("job-1", It.IsAny<CancellationToken>())).ReturnsAsync(running);
        client.Setup(c => c.WatchAsync("job-1", false, null, It.IsAny<CancellationToken>()))
            .Returns(Events(new JobEvent(JobEventKind.Status, "1", running, null), new JobEvent(JobEventKind.Done, "2", done, null)));
        var operation = new JobOperation(client.Object, "job-1");

        Assert.False(operation.HasCompleted);
        Assert.Null(operation.LatestStatus);
        Assert.Equal(JobState.Running, (await operation.UpdateStatusAsync()).State);
        Assert.False(operation.HasValue);
        var final = await operation.WaitForCompletionAsync();

        Assert.Same(done, final);
        Assert.True(operation.HasCompleted);
        Assert.Same(done, operation.Value);
    }

    private static JobStatus Status(JobState state, long discovered, long ok, long failed) => new()
    {
        JobId = "job-1",
        State = state,
        Counters = new JobCounters { Discovered = discovered, Ok = ok, Failed = failed },
    };

    private static ImageOutcome Failed(string path, string errorClass) => new() { Path = path, Status = ImageStatus.Failed, ErrorClass = errorClass };

    private static async IAsyncEnumerable<JobEvent> Events(params JobEvent[] events)
    {
        foreach (var e in events)
        {
            await Task.Yield();
            yield return e;
        }
    }
}
