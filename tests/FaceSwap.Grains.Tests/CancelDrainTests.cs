using FaceSwap.Grains.Batch;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// A cancel with images in flight: the job drains until the last is back and the cancel's own writes are done, then
/// settles exactly once. No Orleans needed.
/// </summary>
public sealed class CancelDrainTests
{
    private int settles;
    private int folds;

    [Fact]
    public async Task A_cancel_with_nothing_in_flight_folds_at_once_and_never_drains()
    {
        var drain = new CancelDrain(SettleAsync);

        await drain.CancelAsync(0, () => folds++, () => Task.CompletedTask);
        await drain.SettleIfDrainedAsync(0);

        Assert.Equal(1, folds);
        Assert.False(drain.Draining);
        Assert.Equal(0, settles);
    }

    [Fact]
    public async Task A_draining_cancel_settles_once_only_after_its_writes_and_the_last_image()
    {
        var drain = new CancelDrain(SettleAsync);
        var writes = new TaskCompletionSource();

        var cancel = drain.CancelAsync(2, () => folds++, () => writes.Task);
        Assert.True(drain.Draining);
        Assert.Equal(0, folds);

        // The last image is back before the cancel's writes are done: nothing settles yet.
        await drain.SettleIfDrainedAsync(0);
        Assert.Equal(0, settles);

        writes.SetResult();
        await cancel;
        await drain.SettleIfDrainedAsync(1);
        Assert.Equal(0, settles);
        Assert.True(drain.Draining);

        await drain.SettleIfDrainedAsync(0);
        await drain.SettleIfDrainedAsync(0);
        Assert.Equal(1, settles);
        Assert.False(drain.Draining);
    }

    private Task SettleAsync()
    {
        settles++;
        return Task.CompletedTask;
    }
}
