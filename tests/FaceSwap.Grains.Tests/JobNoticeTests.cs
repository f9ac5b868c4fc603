using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Inference;

namespace FaceSwap.Grains.Tests;

/// <summary>What a running job's status says while it waits for an inference silo, and that the wait is logged once. No Orleans needed.</summary>
public sealed class JobNoticeTests
{
    [Fact]
    public void A_wait_says_why_and_is_reported_as_beginning_only_once()
    {
        var notice = new JobNotice();

        Assert.True(notice.Waiting(new NoInferenceSiloException(new ArgumentException("no compatible silo"))));
        Assert.Equal(JobNotice.NoSilo, notice.Current);

        Assert.False(notice.Waiting(new SiloUnavailableException("lost")));
        Assert.Equal(JobNotice.SiloLost, notice.Current);

        notice.Clear();
        Assert.Null(notice.Current);
        Assert.True(notice.Waiting(new SiloUnavailableException("lost")));
    }

    [Fact]
    public void A_partition_failure_changes_the_notice_only_when_no_inference_silo_could_run_it()
    {
        var notice = new JobNotice();

        notice.PartitionFailed(new TimeoutException("slow"));
        Assert.Null(notice.Current);

        notice.PartitionFailed(new SiloUnavailableException("lost"));
        Assert.Equal(JobNotice.NoPartitionSilo, notice.Current);

        notice.PartitionFailed(new InvalidOperationException("bad page"));
        Assert.Equal(JobNotice.NoPartitionSilo, notice.Current);
    }

    [Fact]
    public void Drawing_the_sheet_is_not_a_wait_so_a_wait_meanwhile_is_not_logged_as_beginning()
    {
        var notice = new JobNotice();

        notice.DrawingSheet();
        Assert.Equal(JobNotice.Drawing, notice.Current);
        Assert.False(notice.Waiting(new SiloUnavailableException("lost")));
    }
}
