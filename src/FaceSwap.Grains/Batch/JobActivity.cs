namespace FaceSwap.Grains.Batch;

/// <summary>
/// The live side of one job activation that its grain and pumps share: this run's id, the images in flight, the wake
/// that a returning batch or page gives the pump waiting for it, and the activation's end. Used on the grain's single
/// thread.
/// </summary>
public sealed class JobActivity
{
    /// <summary>Cancelled when the activation goes: its inference calls stop before their next attempt.</summary>
    private readonly CancellationTokenSource stopping = new();

    private TaskCompletionSource wake = NewWake();

    /// <summary>This activation's run: batches carry it, and inference silos drop the work of a run that is no longer current.</summary>
    public Guid Run { get; } = Guid.NewGuid();

    /// <summary>How many images are in flight on inference grains or partitions.</summary>
    public int InFlight { get; set; }

    /// <summary>Whether the activation is going: its loops stop, and a new activation resumes from the persisted cursor.</summary>
    public bool Deactivated { get; private set; }

    /// <summary>Cancelled once the activation goes.</summary>
    public CancellationToken Stopping => stopping.Token;

    /// <summary>The activation goes: its inference calls stop and a waiting pump wakes up to end.</summary>
    public void Deactivate()
    {
        Deactivated = true;
        stopping.Cancel();
        Wake();
    }

    /// <summary>Wakes the pump waiting in <see cref="WaitAsync"/> (now, or at its next wait).</summary>
    public void Wake() => wake.TrySetResult();

    /// <summary>Waits until something returned, the job ended or the activation goes.</summary>
    public async Task WaitAsync()
    {
        await wake.Task;
        wake = NewWake();
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
