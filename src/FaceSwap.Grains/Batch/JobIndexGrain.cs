using System.Globalization;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Placement;
using Orleans.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Every job of the cluster in creation order, so that the API can page through them newest first. One entry per
/// job (a few dozen bytes), whoever created it: the API, the CLI or a blob drop.
/// </summary>
[ApiSiloPlacement]
public sealed class JobIndexGrain(
    [PersistentState("index", BatchGrain.StorageName)] IPersistentState<JobIndexState> state) : Grain, IJobIndexGrain
{
    /// <inheritdoc />
    /// <remarks>A new job is unfinished until its grain says otherwise (<see cref="MarkAsync"/>).</remarks>
    public Task AddAsync(string jobId, DateTimeOffset created) => ChangeAsync(index =>
    {
        var changed = false;
        if (!index.Entries.Any(e => e.JobId == jobId))
        {
            var entry = new JobIndexEntry(jobId, created);
            index.Entries.Insert(index.Entries.FindLastIndex(e => Compare(e, entry) < 0) + 1, entry);
            changed = true;
        }

        return (index.Unfinished?.Add(jobId) ?? false) || changed;
    });

    /// <inheritdoc />
    public Task MarkAsync(string jobId, bool unfinished) => ChangeAsync(index =>
        index.Unfinished is { } set && (unfinished ? set.Add(jobId) : set.Remove(jobId)));

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> UnfinishedAsync()
    {
        var entries = state.State.Entries;
        if (state.State.Unfinished is { } set)
        {
            return entries.Where(e => set.Contains(e.JobId)).Select(e => e.JobId).Reverse().ToList();
        }

        // An index from before unfinished jobs were recorded: every job once (finished ones just answer their status);
        // the ones still running record themselves when they wake up.
        var all = entries.Select(e => e.JobId).Reverse().ToList();
        await ChangeAsync(index =>
        {
            index.Unfinished ??= [];
            return true;
        });
        return all;
    }

    /// <summary>
    /// Applies a change and writes the index when it changed anything; when someone else wrote it first (a previous
    /// activation that is not quite gone), takes theirs and applies the change again.
    /// </summary>
    private async Task ChangeAsync(Func<JobIndexState, bool> change)
    {
        if (!change(state.State))
        {
            return;
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            await state.ReadStateAsync();
            if (change(state.State))
            {
                await state.WriteStateAsync();
            }
        }
    }

    /// <inheritdoc />
    public Task<JobIndexPage> ListAsync(int limit, string? cursor)
    {
        limit = Math.Clamp(limit, 1, 1000);
        var entries = state.State.Entries;
        var start = entries.Count - 1;
        if (ParseCursor(cursor) is { } after)
        {
            start = entries.FindLastIndex(e => Compare(e, after) < 0);
        }

        var ids = new List<string>();
        var i = start;
        for (; i >= 0 && ids.Count < limit; i--)
        {
            ids.Add(entries[i].JobId);
        }

        var next = i >= 0 && ids.Count > 0 ? FormatCursor(entries[i + 1]) : null;
        return Task.FromResult(new JobIndexPage(ids, next));
    }

    private static int Compare(JobIndexEntry a, JobIndexEntry b)
    {
        var byTime = a.Created.CompareTo(b.Created);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.JobId, b.JobId);
    }

    private static string FormatCursor(JobIndexEntry e) => $"{e.Created.UtcTicks.ToString(CultureInfo.InvariantCulture)}.{e.JobId}";

    private static JobIndexEntry? ParseCursor(string? cursor)
    {
        var dot = cursor?.IndexOf('.') ?? -1;
        return dot > 0 && long.TryParse(cursor.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new JobIndexEntry(cursor![(dot + 1)..], new DateTimeOffset(ticks, TimeSpan.Zero))
            : null;
    }
}

/// <summary>The persisted job list, oldest first.</summary>
[GenerateSerializer, Alias("FaceSwap.JobIndexState")]
public sealed class JobIndexState
{
    /// <summary>The jobs.</summary>
    [Id(0)] public List<JobIndexEntry> Entries { get; set; } = [];

    /// <summary>
    /// The jobs that are unfinished (running, or started and not yet ended); null in an index written before this was
    /// recorded, until a host's start has woken every job once.
    /// </summary>
    [Id(1)] public HashSet<string>? Unfinished { get; set; }
}

/// <summary>One job of the index.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.JobIndexEntry")]
public sealed record JobIndexEntry([property: Id(0)] string JobId, [property: Id(1)] DateTimeOffset Created);
