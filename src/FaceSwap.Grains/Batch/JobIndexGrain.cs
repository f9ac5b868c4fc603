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
    public async Task AddAsync(string jobId, DateTimeOffset created)
    {
        var entries = state.State.Entries;
        if (entries.Any(e => e.JobId == jobId))
        {
            return;
        }

        var entry = new JobIndexEntry(jobId, created);
        var at = entries.FindLastIndex(e => Compare(e, entry) < 0) + 1;
        entries.Insert(at, entry);
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Someone else wrote the index (a previous activation that is not quite gone): take theirs and add again.
            await state.ReadStateAsync();
            if (!state.State.Entries.Any(e => e.JobId == jobId))
            {
                state.State.Entries.Insert(state.State.Entries.FindLastIndex(e => Compare(e, entry) < 0) + 1, entry);
            }

            await state.WriteStateAsync();
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
}

/// <summary>One job of the index.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.JobIndexEntry")]
public sealed record JobIndexEntry([property: Id(0)] string JobId, [property: Id(1)] DateTimeOffset Created);
