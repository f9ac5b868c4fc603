using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// A job's progress on its way to storage: finished pages folded into the persisted counters and cursor (persisted at
/// most every <see cref="PersistInterval"/> unless forced), the status blob mirrored, the end persisted with its summary
/// (<see cref="Publishing"/> meanwhile), and the job index's record of whether the job is unfinished. One per job
/// activation; used on the grain's single thread.
/// </summary>
/// <param name="state">The job's persisted state.</param>
/// <param name="ledger">Its pages in memory.</param>
/// <param name="store">Where the status blob and summary go.</param>
/// <param name="jobId">The job.</param>
/// <param name="snapshot">The job's status as its activation has it now (<see cref="JobStatusView.Snapshot"/>).</param>
/// <param name="index">The job index.</param>
/// <param name="logger">The job's logger.</param>
/// <param name="time">The clock of the persist interval (the system's when null).</param>
public sealed class JobProgress(
    IPersistentState<BatchState> state,
    PageLedger ledger,
    IBlobStore store,
    string jobId,
    Func<JobStatus> snapshot,
    Func<IJobIndexGrain> index,
    ILogger logger,
    TimeProvider? time = null)
{
    /// <summary>How often a running job persists its folded progress at most.</summary>
    public static readonly TimeSpan PersistInterval = TimeSpan.FromSeconds(2);

    private readonly JobSummaryWriter summaries = new(store);
    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private DateTimeOffset lastPersist;

    /// <summary>
    /// Whether the end is being persisted and published: until the state and summary are both written the status still
    /// reads running (<see cref="JobStatusView.Published"/>), so no one who sees the end finds the summary missing.
    /// </summary>
    public bool Publishing { get; private set; }

    /// <summary>Folds finished leading pages into the persisted counters and cursor; persists at most every <see cref="PersistInterval"/> unless <paramref name="force"/>.</summary>
    public async Task FoldFinishedAsync(bool force)
    {
        if (ledger.FoldFinished(state.State) && (force || clock.GetUtcNow() - lastPersist > PersistInterval))
        {
            await state.WriteStateAsync();
            lastPersist = clock.GetUtcNow();
            await WriteStatusBlobAsync(force: false);
        }
    }

    /// <summary>Folds every page, finished or not, persists and writes the summary: a cancelled job's images that were in flight are all in.</summary>
    public async Task FoldAllAsync()
    {
        ledger.FoldAll(state.State);
        await state.WriteStateAsync();
        await WriteSummaryAsync();
    }

    /// <summary>Persists the terminal state <paramref name="end"/> and writes the summary (<see cref="Publishing"/> meanwhile), then marks the job finished in the index.</summary>
    public async Task PersistEndAsync(JobState end)
    {
        Publishing = true;
        state.State.State = end;
        state.State.Finished = DateTimeOffset.UtcNow;
        try
        {
            await state.WriteStateAsync();
            await WriteSummaryAsync();
        }
        finally
        {
            Publishing = false;
        }

        await MarkInIndexAsync(unfinished: false);
    }

    /// <summary>
    /// Records in the job index whether this job is unfinished, so that a host's start wakes every unfinished job
    /// (reminders do that in a cluster, but the embedded host keeps them in memory). A failure is logged: the job's
    /// own state is what counts, and its reminder or a status read still wakes it.
    /// </summary>
    public async Task MarkInIndexAsync(bool unfinished)
    {
        try
        {
            await index().MarkAsync(jobId, unfinished);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogIndexFailed(e, jobId);
        }
    }

    /// <summary>Mirrors the status to the spec's status blob, if it has one (blob-drop jobs); at most every few seconds unless forced.</summary>
    public async Task WriteStatusBlobAsync(bool force)
    {
        try
        {
            await summaries.WriteStatusAsync(state.State.Spec?.StatusPath, snapshot(), force);
        }
        catch (IOException e)
        {
            logger.LogStatusFailed(e, jobId, state.State.Spec?.StatusPath ?? "");
        }
    }

    private async Task WriteSummaryAsync()
    {
        await WriteStatusBlobAsync(force: true);
        await summaries.WriteSummaryAsync(jobId, snapshot(), state.State);
    }
}
