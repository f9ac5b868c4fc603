using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// The progress a job persists: the cursor never passes an image without an outcome (a resumed job would skip it), and
/// the counters a status shows add up whether pages are finished, in flight or stopped by a cancel. No Orleans needed.
/// </summary>
public sealed class PageLedgerTests
{
    private static ImageOutcome Outcome(ImageStatus status) => new() { Path = "p.jpg", Status = status };

    private static LedgerPage Listed(PageLedger ledger, string? start, string? next, int images)
    {
        var page = ledger.Open(start, next);
        page.Listed = images;
        return page;
    }

    [Fact]
    public void A_page_finished_before_an_earlier_one_is_not_folded_until_that_one_finishes()
    {
        var ledger = new PageLedger();
        var state = new BatchState();
        var first = Listed(ledger, null, "t1", 2);
        var second = Listed(ledger, "t1", "t2", 1);

        second.Record(Outcome(ImageStatus.Ok));
        first.Record(Outcome(ImageStatus.Failed));

        Assert.False(ledger.FoldFinished(state));
        Assert.Null(state.ResumeToken);
        Assert.Equal(0, state.Counters.Finished);

        first.Record(Outcome(ImageStatus.Ok));

        Assert.True(ledger.FoldFinished(state));
        Assert.Equal("t2", state.ResumeToken);
        Assert.Equal(new JobCounters { Discovered = 3, Ok = 2, Failed = 1 }, state.Counters);
        Assert.False(state.ListingComplete);
        Assert.Equal(0, ledger.Listed);
    }

    [Fact]
    public void The_status_counts_listed_images_in_flight_as_discovered_and_finished_ones_by_outcome()
    {
        var ledger = new PageLedger();
        var persisted = new JobCounters { Discovered = 10, Ok = 10 };
        var page = Listed(ledger, "t9", "t10", 4);
        page.Record(Outcome(ImageStatus.Skipped));

        var current = ledger.Current(persisted);

        Assert.Equal(14, current.Discovered);
        Assert.Equal(10, current.Ok);
        Assert.Equal(1, current.Skipped);
        Assert.Equal(4, ledger.Listed);
    }

    [Fact]
    public void The_last_page_completes_the_listing_once_it_is_folded_and_an_empty_page_folds_at_once()
    {
        var ledger = new PageLedger();
        var state = new BatchState();
        Listed(ledger, null, "t1", 0);
        var last = Listed(ledger, "t1", null, 1);

        Assert.True(ledger.LastPageListed);
        Assert.True(ledger.FoldFinished(state));
        Assert.Equal("t1", state.ResumeToken);
        Assert.False(state.ListingComplete);

        last.Complete(new JobCounters { Ok = 1 }, cancelled: false);

        Assert.True(ledger.FoldFinished(state));
        Assert.True(state.ListingComplete);
        Assert.Null(state.ResumeToken);
    }

    [Fact]
    public void A_cancel_folds_unfinished_pages_into_the_counters_but_leaves_the_cursor_where_outcomes_end()
    {
        var ledger = new PageLedger();
        var state = new BatchState { ResumeToken = "t4", Counters = new JobCounters { Discovered = 5, Ok = 5 } };
        var page = Listed(ledger, "t4", "t5", 3);
        page.Complete(new JobCounters { Ok = 1 }, cancelled: true);

        ledger.FoldAll(state);

        Assert.Equal("t4", state.ResumeToken);
        Assert.Equal(new JobCounters { Discovered = 8, Ok = 6 }, state.Counters);
        Assert.Equal(0, ledger.Listed);
        Assert.False(ledger.FoldFinished(state));
    }
}
