using System.Diagnostics;

namespace FaceSwap.Engine.Pipeline;

/// <summary>
/// Accumulates wall time per pipeline stage. While a span is current (the engine service's image span), each stage
/// is also a child span of the <c>FaceSwap</c> activity source, named after the stage.
/// </summary>
public sealed class StageTimer
{
    private static readonly ActivitySource Source = new("FaceSwap");
    private readonly Dictionary<string, double> totals = new(StringComparer.Ordinal);

    /// <summary>Milliseconds per stage, in the order stages first ran.</summary>
    public IReadOnlyDictionary<string, double> Totals => totals;

    /// <summary>Starts timing a stage; dispose the result to stop.</summary>
    public Scope Time(string stage) => new(this, stage, Stopwatch.GetTimestamp(), StartSpan(stage));

    /// <summary>The span of a stage timed elsewhere (under the current span, if there is one); null when none is recorded.</summary>
    public static Activity? StartSpan(string stage) => Activity.Current is null ? null : Source.StartActivity("faceswap." + stage);

    /// <summary>Adds time to a stage.</summary>
    public void Add(string stage, double milliseconds) =>
        totals[stage] = totals.GetValueOrDefault(stage) + milliseconds;

    /// <summary>A running measurement.</summary>
    public readonly struct Scope(StageTimer owner, string stage, long started, Activity? activity) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose()
        {
            owner.Add(stage, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            activity?.Dispose();
        }
    }
}
