using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Batch;

/// <summary>One listing page in memory: where it starts and ends in the listing, how many images it had and their outcomes.</summary>
public sealed class LedgerPage(string? startToken, string? nextToken, bool lastPage)
{
    /// <summary>The listing cursor the page starts at (null: the beginning).</summary>
    public string? StartToken { get; } = startToken;

    /// <summary>The listing cursor after the page (null: it is the round's last page).</summary>
    public string? NextToken { get; } = nextToken;

    /// <summary>Whether the page is the round's last.</summary>
    public bool LastPage { get; } = lastPage;

    /// <summary>How many work items the page listed.</summary>
    public int Listed { get; set; }

    /// <summary>How many of them have outcomes.</summary>
    public int Done { get; private set; }

    /// <summary>The counters of those outcomes.</summary>
    public JobCounters Counters { get; private set; } = new();

    /// <summary>Whether every image the page listed has its outcome.</summary>
    public bool Finished => Done == Listed;

    /// <summary>The page's outcome counters plus the images it listed.</summary>
    public JobCounters Totals => Counters with { Discovered = Counters.Discovered + Listed };

    /// <summary>Records one image's outcome.</summary>
    public void Record(ImageOutcome outcome)
    {
        Counters = Counters.Add(outcome);
        Done++;
    }

    /// <summary>Records the whole page's counters at once, as a partition answers them; a cancelled page ends at what finished.</summary>
    public void Complete(JobCounters counters, bool cancelled)
    {
        Counters = counters;
        Done = cancelled ? (int)counters.Finished : Listed;
    }
}

/// <summary>
/// A job's progress between persists: the pages whose images are out, in listing order. A page is folded into the
/// persisted counters and cursor only when it and every page before it are finished, so the persisted cursor never
/// passes an image without an outcome, and a page run again after a lost silo counts once.
/// </summary>
public sealed class PageLedger
{
    private readonly LinkedList<LedgerPage> pages = new();

    /// <summary>How many work items the pages in memory listed.</summary>
    public long Listed => pages.Sum(p => (long)p.Listed);

    /// <summary>Whether the round's last page has been listed.</summary>
    public bool LastPageListed => pages.Last?.Value.LastPage ?? false;

    /// <summary>Opens the next page of the listing.</summary>
    public LedgerPage Open(string? startToken, string? nextToken)
    {
        var page = new LedgerPage(startToken, nextToken, lastPage: nextToken is null);
        pages.AddLast(page);
        return page;
    }

    /// <summary>The persisted counters plus every page in memory, finished or not: what a job's status shows.</summary>
    public JobCounters Current(JobCounters persisted)
    {
        foreach (var page in pages)
        {
            persisted = persisted.Plus(page.Totals);
        }

        return persisted;
    }

    /// <summary>Folds the finished leading pages into <paramref name="state"/>'s counters and cursor; whether any were.</summary>
    public bool FoldFinished(BatchState state)
    {
        var changed = false;
        while (pages.First is { Value.Finished: true } first)
        {
            state.Counters = state.Counters.Plus(first.Value.Totals);
            state.ResumeToken = first.Value.NextToken;
            state.ListingComplete = first.Value.LastPage;
            pages.RemoveFirst();
            changed = true;
        }

        return changed;
    }

    /// <summary>A stopped job's pages, finished or not, into the persisted counters (the cursor stays): what its status showed.</summary>
    public void FoldAll(BatchState state)
    {
        state.Counters = Current(state.Counters);
        pages.Clear();
    }
}
