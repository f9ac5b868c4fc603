using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FaceSwap.Abstractions.Jobs;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Diagnostics;

/// <summary>
/// FaceSwap's own telemetry: the <c>FaceSwap</c> meter and activity source and their instruments (see docs/operations.md).
/// Instruments are process-wide; per-silo observable values come from the engines registered with <see cref="RegisterEngine"/>.
/// </summary>
public static class FaceSwapTelemetry
{
    /// <summary>Name of the meter and of the activity source.</summary>
    public const string Name = "FaceSwap";

    /// <summary>Span names.</summary>
    public const string JobSpan = "faceswap.job";

    /// <summary>Span of one image.</summary>
    public const string ImageSpan = "faceswap.image";

    /// <summary>Attribute names.</summary>
    public const string JobIdAttribute = "faceswap.job.id";

    /// <summary>Relative path of an image (relative to the job's input and output prefixes).</summary>
    public const string PathAttribute = "faceswap.image.path";

    /// <summary>Silo attribute on per-silo metrics.</summary>
    public const string SiloAttribute = "faceswap.silo";

    /// <summary>The stages that have a duration histogram series (the outcome's Stages keys).</summary>
    public static readonly IReadOnlyList<string> Stages = ["decode", "detect", "landmarks", "embed", "swap", "blend", "encode", "verify", "read", "write"];

    private static readonly ConcurrentDictionary<EngineGauges, byte> Engines = new();

    /// <summary>The activity source of FaceSwap's spans.</summary>
    public static ActivitySource Source { get; } = new(Name);

    /// <summary>The meter of FaceSwap's instruments.</summary>
    public static Meter Meter { get; } = new(Name);

    /// <summary>Images finished by an engine, by <c>status</c> (ok, no_face, failed, skipped) and silo.</summary>
    public static Counter<long> ImagesProcessed { get; } = Meter.CreateCounter<long>("faceswap.images.processed", "{image}", "Images finished by the engine, by status");

    /// <summary>Faces swapped in written outputs.</summary>
    public static Counter<long> FacesSwapped { get; } = Meter.CreateCounter<long>("faceswap.faces.swapped", "{face}", "Faces swapped in written outputs");

    /// <summary>Milliseconds per pipeline stage of one image, by <c>stage</c>.</summary>
    public static Histogram<double> StageDuration { get; } = Meter.CreateHistogram<double>("faceswap.stage.duration", "ms", "Time one image spent in a pipeline stage, by stage");

    /// <summary>Milliseconds for one image, end to end on the engine.</summary>
    public static Histogram<double> ImageDuration { get; } = Meter.CreateHistogram<double>("faceswap.image.duration", "ms", "Time one image took on the engine, end to end");

    /// <summary>Images per batch handed to an inference grain.</summary>
    public static Histogram<int> BatchSize { get; } = Meter.CreateHistogram<int>("faceswap.inference.batch.size", "{image}", "Images per batch handed to an inference silo");

    /// <summary>Jobs whose dispatch loop runs on this process.</summary>
    public static UpDownCounter<long> ActiveJobs { get; } = Meter.CreateUpDownCounter<long>("faceswap.jobs.active", "{job}", "Jobs whose dispatch loop is running");

    /// <summary>Bytes of input images read.</summary>
    public static Counter<long> BytesRead { get; } = Meter.CreateCounter<long>("faceswap.storage.bytes.read", "By", "Bytes of input images read from storage");

    /// <summary>Bytes of outputs written.</summary>
    public static Counter<long> BytesWritten { get; } = Meter.CreateCounter<long>("faceswap.storage.bytes.written", "By", "Bytes of output images written to storage");

    static FaceSwapTelemetry()
    {
        Meter.CreateObservableUpDownCounter("faceswap.engine.queue.depth", () => Observe(e => e.QueueDepth()), "{image}", "Images waiting in a silo's engine queue");
        Meter.CreateObservableUpDownCounter("faceswap.engine.in_flight", () => Observe(e => e.InFlight), "{image}", "Images a silo's engine is processing now");
    }

    /// <summary>Registers an engine's queue for the per-silo gauges; dispose to unregister.</summary>
    public static EngineGauges RegisterEngine(string silo, Func<int> queueDepth, ILogger? logger = null)
    {
        var gauges = new EngineGauges(silo, queueDepth, logger);
        Engines[gauges] = 0;
        return gauges;
    }

    /// <summary>The status tag value of an outcome.</summary>
    public static string StatusName(ImageStatus status) => status switch
    {
        ImageStatus.Ok => "ok",
        ImageStatus.NoFace => "no_face",
        ImageStatus.Failed => "failed",
        _ => "skipped",
    };

    /// <summary>Records the metrics of one finished image from its outcome, so metrics and the outcomes manifest agree.</summary>
    public static void RecordOutcome(ImageOutcome outcome, string silo)
    {
        var status = StatusName(outcome.Status);
        ImagesProcessed.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>(SiloAttribute, silo));
        if (outcome.Status == ImageStatus.Ok)
        {
            FacesSwapped.Add(outcome.Faces, new KeyValuePair<string, object?>(SiloAttribute, silo));
        }

        ImageDuration.Record(outcome.Milliseconds, new KeyValuePair<string, object?>("status", status));
        foreach (var (stage, milliseconds) in outcome.Stages ?? new Dictionary<string, double>())
        {
            StageDuration.Record(milliseconds, new KeyValuePair<string, object?>("stage", stage));
        }
    }

    private static IEnumerable<Measurement<int>> Observe(Func<EngineGauges, int> value) =>
        Engines.Keys.Select(e => new Measurement<int>(value(e), new KeyValuePair<string, object?>(SiloAttribute, e.Silo))).ToList();

    /// <summary>One engine's live values for the per-silo gauges.</summary>
    public sealed class EngineGauges : IDisposable
    {
        private readonly Func<int> queueDepth;
        private readonly ILogger? logger;
        private int inFlight;

        internal EngineGauges(string silo, Func<int> queueDepth, ILogger? logger)
        {
            Silo = silo;
            this.queueDepth = queueDepth;
            this.logger = logger;
        }

        /// <summary>The silo's name.</summary>
        public string Silo { get; }

        /// <summary>Images being processed now.</summary>
        public int InFlight => Volatile.Read(ref inFlight);

        internal int QueueDepth() => queueDepth();

        /// <summary>Runs one image: its span (child of <paramref name="parent"/>, the grain call that brought it), the in-flight gauge and its metrics.</summary>
        public async Task<ImageOutcome> RunAsync(ActivityContext parent, WorkBatch batch, WorkItem item, Func<Task<ImageOutcome>> process)
        {
            var previous = Activity.Current;
            Activity.Current = null;
            var relative = item.Path.StartsWith(batch.Spec.Input, StringComparison.Ordinal) ? item.Path[batch.Spec.Input.Length..] : item.Path;
            using var activity = parent == default ? null : Source.StartActivity(ImageSpan, ActivityKind.Internal, parent,
                [new(JobIdAttribute, batch.JobId), new(PathAttribute, relative)]);
            using var scope = logger?.BeginJobScope(batch.JobId);
            Interlocked.Increment(ref inFlight);
            try
            {
                var outcome = await process();
                if (activity is not null)
                {
                    activity.SetTag("faceswap.image.status", StatusName(outcome.Status));
                    activity.SetTag("faceswap.image.faces", outcome.Faces);
                    if (outcome.ErrorClass is { } errorClass)
                    {
                        activity.SetTag("error.type", errorClass);
                        activity.SetStatus(outcome.Status == ImageStatus.Failed ? ActivityStatusCode.Error : ActivityStatusCode.Unset);
                    }
                }

                RecordOutcome(outcome, Silo);
                return outcome;
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
                Activity.Current = previous;
            }
        }

        /// <inheritdoc />
        public void Dispose() => Engines.TryRemove(this, out _);
    }
}
