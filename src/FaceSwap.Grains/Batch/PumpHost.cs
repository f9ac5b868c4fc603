using FaceSwap.Abstractions.Jobs;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// What a job's pumps (<see cref="ItemPump"/>, <see cref="PartitionPump"/>) use of its grain's activation: its state,
/// pages and work source, the live activity and notice, and the hooks into the grain. Every member is used on the
/// grain's single thread.
/// </summary>
public sealed record PumpHost
{
    /// <summary>The job.</summary>
    public required string JobId { get; init; }

    /// <summary>Its persisted state.</summary>
    public required Func<BatchState> State { get; init; }

    /// <summary>Its pages in memory.</summary>
    public required PageLedger Ledger { get; init; }

    /// <summary>The current round's work source.</summary>
    public required Func<IWorkSource> Work { get; init; }

    /// <summary>The activation's images in flight, wake and end.</summary>
    public required JobActivity Activity { get; init; }

    /// <summary>What the job's status says while it waits.</summary>
    public required JobNotice Notice { get; init; }

    /// <summary>The job's logger (the BatchGrain's category).</summary>
    public required ILogger Logger { get; init; }

    /// <summary>Keeps the activation from being collected while the window runs.</summary>
    public required Action KeepAlive { get; init; }

    /// <summary>Folds finished pages into the persisted progress; forced, it persists now (<see cref="JobProgress.FoldFinishedAsync"/>).</summary>
    public required Func<bool, Task> FoldAsync { get; init; }

    /// <summary>Ends the job: the round is listed and nothing is in flight.</summary>
    public required Func<Task> FinishAsync { get; init; }

    /// <summary>A batch or page of this many images came back: counted out of flight, the pump woken, a draining cancel settled.</summary>
    public required Action<int> Returned { get; init; }

    /// <summary>Whether the job runs and its activation stays.</summary>
    public bool Running => State().State == JobState.Running && !Activity.Deactivated;
}
