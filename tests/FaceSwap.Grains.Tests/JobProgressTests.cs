using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;
using FaceSwap.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// How a job's progress reaches storage: finished pages persisted at most every couple of seconds while it runs, at
/// once when forced; its end published (the status still reads running) until state and summary are both written.
/// Plain objects, no Orleans cluster.
/// </summary>
public sealed class JobProgressTests : IDisposable
{
    private readonly TemporaryDirectory work = new();
    private readonly FakeState state = new();
    private readonly PageLedger ledger = new();
    private readonly FakeIndex index = new();
    private readonly ManualClock clock = new();
    private readonly JobProgress progress;

    public JobProgressTests()
    {
        state.State.Spec = new JobSpec { Source = "src/face.jpg", Input = "in/", Output = "out/" };
        state.State.State = JobState.Running;
        progress = new JobProgress(state, ledger, new LocalBlobStore(work.FullPath), "job-1",
            () => JobStatusView.Snapshot("job-1", state.State, ledger, 0, false, null, new PendingSourceCheck()),
            () => index, NullLogger.Instance, clock);
    }

    public void Dispose() => work.Dispose();

    [Fact]
    public async Task Finished_pages_are_persisted_at_most_once_per_interval_unless_forced()
    {
        await FinishPageAsync("t1");
        Assert.Equal(1, state.Writes);

        // Within the interval: folded in memory, not written.
        clock.Advance(TimeSpan.FromSeconds(1));
        await FinishPageAsync("t2");
        Assert.Equal(1, state.Writes);
        Assert.Equal("t2", state.State.ResumeToken);

        await FinishPageAsync("t3", force: true);
        Assert.Equal(2, state.Writes);

        clock.Advance(JobProgress.PersistInterval + TimeSpan.FromMilliseconds(1));
        await FinishPageAsync("t4");
        Assert.Equal(3, state.Writes);
        Assert.Equal(4, state.State.Counters.Ok);
    }

    [Fact]
    public async Task Nothing_is_written_while_no_page_has_finished_even_when_forced()
    {
        var open = ledger.Open(null, "t1");
        open.Listed = 1;

        await progress.FoldFinishedAsync(force: true);

        Assert.Equal(0, state.Writes);
        Assert.Null(state.State.ResumeToken);
    }

    [Fact]
    public async Task The_end_reads_as_publishing_until_state_and_summary_are_written_then_the_index_hears_it()
    {
        var publishingDuringWrite = false;
        state.OnWrite = () => publishingDuringWrite = progress.Publishing;

        await progress.PersistEndAsync(JobState.Completed);

        Assert.True(publishingDuringWrite);
        Assert.False(progress.Publishing);
        Assert.Equal(JobState.Completed, state.State.State);
        Assert.NotNull(state.State.Finished);
        Assert.True(File.Exists(Path.Combine(work.FullPath, JobFiles.Summary(state.State.Spec!, "job-1"))));
        Assert.Equal([("job-1", false)], index.Marks);
    }

    [Fact]
    public async Task A_failed_write_still_ends_publishing()
    {
        state.OnWrite = () => throw new IOException("disk full");

        await Assert.ThrowsAsync<IOException>(() => progress.PersistEndAsync(JobState.Cancelled));

        Assert.False(progress.Publishing);
        Assert.Empty(index.Marks);
    }

    [Fact]
    public async Task A_job_index_that_cannot_be_reached_does_not_fail_the_job()
    {
        index.Failure = new TimeoutException("index silo gone");

        await progress.MarkInIndexAsync(unfinished: true);

        Assert.Empty(index.Marks);
    }

    private async Task FinishPageAsync(string next, bool force = false)
    {
        var page = ledger.Open(state.State.ResumeToken, next);
        page.Listed = 1;
        page.Record(new ImageOutcome { Path = $"{next}.jpg", Status = ImageStatus.Ok });
        await progress.FoldFinishedAsync(force);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }

    private sealed class FakeState : IPersistentState<BatchState>
    {
        public BatchState State { get; set; } = new();

        public string? Etag => null;

        public bool RecordExists => Writes > 0;

        public int Writes { get; private set; }

        public Action? OnWrite { get; set; }

        public Task ClearStateAsync() => Task.CompletedTask;

        public Task ReadStateAsync() => Task.CompletedTask;

        public async Task WriteStateAsync()
        {
            await Task.Yield();
            OnWrite?.Invoke();
            Writes++;
        }
    }

    private sealed class FakeIndex : IJobIndexGrain
    {
        public List<(string JobId, bool Unfinished)> Marks { get; } = [];

        public Exception? Failure { get; set; }

        public Task AddAsync(string jobId, DateTimeOffset created) => Task.CompletedTask;

        public Task<JobIndexPage> ListAsync(int limit, string? cursor) => throw new NotSupportedException();

        public Task MarkAsync(string jobId, bool unfinished)
        {
            if (Failure is not null)
            {
                return Task.FromException(Failure);
            }

            Marks.Add((jobId, unfinished));
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<string>> UnfinishedAsync() => Task.FromResult<IReadOnlyList<string>>([]);
    }
}
