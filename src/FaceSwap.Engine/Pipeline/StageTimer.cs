using System.Diagnostics;

namespace FaceSwap.Engine.Pipeline;

/// <summary>Accumulates wall time per pipeline stage.</summary>
public sealed class StageTimer
{
    private readonly Dictionary<string, double> totals = new(StringComparer.Ordinal);

    /// <summary>Milliseconds per stage, in the order stages first ran.</summary>
    public IReadOnlyDictionary<string, double> Totals => totals;

    /// <summary>Starts timing a stage; dispose the result to stop.</summary>
    public Scope Time(string stage) => new(this, stage, Stopwatch.GetTimestamp());

    /// <summary>Adds time to a stage.</summary>
    public void Add(string stage, double milliseconds) =>
        totals[stage] = totals.GetValueOrDefault(stage) + milliseconds;

    /// <summary>A running measurement.</summary>
    public readonly struct Scope(StageTimer owner, string stage, long started) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => owner.Add(stage, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
