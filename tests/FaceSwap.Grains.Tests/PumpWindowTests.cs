using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// The loop both pumps share: fill, end the job once drained, else wait for something to come back and fold; a
/// hand-over or the activation's end stops it. Fakes for the grain's side, no Orleans.
/// </summary>
public sealed class PumpWindowTests
{
    private readonly BatchState state = new() { State = JobState.Running };
    private readonly JobActivity activity = new();
    private readonly List<string> calls = [];
    private readonly PumpHost host;

    public PumpWindowTests() => host = new PumpHost
    {
        JobId = "job-1",
        State = () => state,
        Ledger = new PageLedger(),
        Work = () => throw new InvalidOperationException("the window itself never lists"),
        Activity = activity,
        Notice = new JobNotice(),
        Logger = NullLogger.Instance,
        KeepAlive = () => calls.Add("keep-alive"),
        FoldAsync = force =>
        {
            calls.Add(force ? "fold!" : "fold");
            return Task.CompletedTask;
        },
        FinishAsync = () =>
        {
            calls.Add("finish");
            return Task.CompletedTask;
        },
        Returned = _ => { },
    };

    [Fact]
    public async Task A_drained_window_folds_with_force_and_ends_the_job()
    {
        Assert.False(await PumpWindow.RunAsync(host, FillAsync(false), () => true));

        Assert.Equal(["keep-alive", "fill", "fold!", "finish"], calls);
    }

    [Fact]
    public async Task A_window_that_hands_over_returns_true_without_ending_the_job()
    {
        Assert.True(await PumpWindow.RunAsync(host, FillAsync(true), () => true));

        Assert.Equal(["keep-alive", "fill"], calls);
    }

    [Fact]
    public async Task Between_fills_the_window_waits_for_a_wake_and_folds_what_finished()
    {
        var drained = false;
        var run = PumpWindow.RunAsync(host, FillAsync(false), () => drained);
        await Task.Delay(50);
        Assert.False(run.IsCompleted);
        Assert.Equal(["keep-alive", "fill"], calls);

        drained = true;
        activity.Wake();

        Assert.False(await run);
        Assert.Equal(["keep-alive", "fill", "fold", "keep-alive", "fill", "fold!", "finish"], calls);
    }

    [Fact]
    public async Task A_going_activation_or_a_stopped_job_ends_the_loop_without_finishing()
    {
        var run = PumpWindow.RunAsync(host, FillAsync(false), () => false);
        activity.Deactivate();

        Assert.False(await run);
        Assert.Equal(["keep-alive", "fill", "fold"], calls);

        calls.Clear();
        state.State = JobState.Cancelled;
        Assert.False(await PumpWindow.RunAsync(host, FillAsync(false), () => true));
        Assert.Empty(calls);
    }

    private Func<Task<bool>> FillAsync(bool handOver) => () =>
    {
        calls.Add("fill");
        return Task.FromResult(handOver);
    };
}
