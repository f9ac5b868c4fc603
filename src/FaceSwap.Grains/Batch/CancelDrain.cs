namespace FaceSwap.Grains.Batch;

/// <summary>
/// A cancel's bookkeeping. Nothing new is dispatched after a cancel, but images already in flight on inference silos
/// still finish (their outputs are written), so they are recorded too: the job is <see cref="Draining"/> until the last
/// of them is back and the cancel's own writes are done, and then settles once (its final counters, summary and audit
/// line). One per job activation; used on the grain's single thread.
/// </summary>
/// <param name="settleAsync">Records the outcomes of the images that were in flight at the cancel; must not throw.</param>
public sealed class CancelDrain(Func<Task> settleAsync)
{
    /// <summary>The cancel's own writes (terminal state, summary, audit line), once a cancel has started them.</summary>
    private Task? recorded;

    /// <summary>Recording the outcomes of the images that were in flight at the cancel, once they have all finished.</summary>
    private Task? settled;

    /// <summary>Whether a cancel left images in flight that are still finishing.</summary>
    public bool Draining { get; private set; }

    /// <summary>
    /// Cancels with <paramref name="inFlight"/> images out: draining when there are any, else <paramref name="foldAll"/>
    /// at once; then the cancel's own writes (<paramref name="recordAsync"/>). The caller then settles
    /// (<see cref="SettleIfDrainedAsync"/>) in case the last image came back meanwhile.
    /// </summary>
    public async Task CancelAsync(int inFlight, Action foldAll, Func<Task> recordAsync)
    {
        Draining = inFlight > 0;
        if (!Draining)
        {
            foldAll();
        }

        recorded = recordAsync();
        await recorded;
    }

    /// <summary>Settles once a draining cancel's writes are done and nothing is in flight (<paramref name="inFlight"/>); only once.</summary>
    public Task SettleIfDrainedAsync(int inFlight) =>
        Draining && inFlight == 0 && recorded is { IsCompleted: true } ? settled ??= SettleAsync() : Task.CompletedTask;

    private async Task SettleAsync()
    {
        try
        {
            await settleAsync();
        }
        finally
        {
            Draining = false;
        }
    }
}
