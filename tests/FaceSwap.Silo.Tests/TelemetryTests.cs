using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Silo.Diagnostics;
using FaceSwap.Silo.Hosting;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FaceSwap.Silo.Tests;

/// <summary>Metrics and traces of a real job (real engine, real photos) through OpenTelemetry's in-memory and OTLP/HTTP exporters.</summary>
[Trait("Category", "Telemetry")]
public sealed class TelemetryTests
{
    private const string Consent = "consent-ref-7f3a9c";

    private static readonly string[] MeasuredStages = ["decode", "detect", "landmarks", "swap", "blend", "encode", "read", "write"];

    /// <summary>Samples of a stage over the 4 good photos: the analysis stages skip the one the repeat-image cache serves.</summary>
    private static int ExpectedSamples(string stage) => stage is "decode" or "detect" or "landmarks" ? 3 : 4;

    [Fact]
    public async Task A_job_yields_counters_matching_its_outcomes_stage_histograms_and_one_job_span_over_its_images()
    {
        using var folder = new TemporaryDirectory();
        var spans = new LockedList<Activity>();
        var metrics = new LockedList<MetricSnapshot>();
        var logs = new LockedList<LogRecord>();
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath, builder =>
        {
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics));
            builder.Services.ConfigureOpenTelemetryLoggerProvider(l => l.AddInMemoryExporter(logs));
            builder.Logging.AddFilter("FaceSwap.Grains", LogLevel.Debug);
        }, "--FaceSwap:Telemetry:Enabled=true", "--FaceSwap:Telemetry:TraceSampleRatio=1");

        var (jobId, spec, _, outcomes) = await TelemetryJobs.RunAsync(host, photos: 4, corrupt: 1, consent: Consent);
        using (var http = host.CreateClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
        }

        // The job span ends when the dispatch loop returns, just after the job turns Completed.
        var jobSpan = await EventuallyAsync(() => spans.Snapshot().SingleOrDefault(s => s.OperationName == FaceSwapTelemetry.JobSpan && (string?)s.GetTagItem(FaceSwapTelemetry.JobIdAttribute) == jobId));
        Assert.True(host.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));

        // Counters match the outcomes manifest.
        Assert.Equal(5, outcomes.Count);
        var latest = metrics.Snapshot().GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Last());
        foreach (var status in new[] { ImageStatus.Ok, ImageStatus.Failed })
        {
            Assert.Equal(outcomes.Count(o => o.Status == status), SumLong(latest["faceswap.images.processed"], "status", FaceSwapTelemetry.StatusName(status)));
        }

        Assert.Equal(4, outcomes.Count(o => o.Status == ImageStatus.Ok));
        Assert.Equal(outcomes.Sum(o => o.Faces), SumLong(latest["faceswap.faces.swapped"]));
        Assert.InRange(HistogramCount(latest["faceswap.inference.batch.size"]), 2, outcomes.Count);
        Assert.Equal(outcomes.Count, HistogramSum(latest["faceswap.inference.batch.size"]));
        Assert.Equal(outcomes.Count, HistogramCount(latest["faceswap.image.duration"]));

        // Two of the photos have the same content: the second is served by the repeat-image cache, without its own
        // decode, detection or landmarks.
        Assert.Equal(1, outcomes.Count(o => o.CacheHit));

        // One sample per image per stage, and the stage sums are the outcomes' stage times.
        foreach (var stage in MeasuredStages)
        {
            var withStage = outcomes.Where(o => o.Stages?.ContainsKey(stage) == true).ToList();
            Assert.Equal(ExpectedSamples(stage), withStage.Count);
            Assert.Equal(withStage.Count, HistogramCount(latest["faceswap.stage.duration"], "stage", stage));
            // Outcomes round each stage time to 0.1 ms; the histogram sums the raw times (and rounding to whole numbers
            // flipped at x.5 between the two), so they agree to 0.05 ms per image.
            Assert.Equal(withStage.Sum(o => o.Stages![stage]), HistogramSum(latest["faceswap.stage.duration"], "stage", stage), 0.05 * withStage.Count + 0.01);
        }

        // summary.json carries the per-stage table (p50/p95 over the outcomes).
        var summary = System.Text.Json.Nodes.JsonNode.Parse(await host.Store.ReadAllBytesAsync(FaceSwap.Grains.Batch.JobFiles.Summary(spec, jobId), 1 << 20))!;
        foreach (var stage in MeasuredStages)
        {
            var row = summary["stages"]![stage]!;
            Assert.Equal(ExpectedSamples(stage), (int)row["count"]!);
            Assert.InRange((double)row["p50Ms"]!, 0, (double)row["p95Ms"]!);
        }

        // Bytes: every input was read (the corrupt one too), every output written.
        long read = 0, written = 0;
        foreach (var outcome in outcomes)
        {
            read += (await host.Store.GetPropertiesAsync(spec.Input + outcome.Path))!.Size;
            if (outcome.Status == ImageStatus.Ok)
            {
                written += (await host.Store.GetPropertiesAsync(spec.Output + outcome.Path))!.Size;
            }
        }

        Assert.Equal(read, SumLong(latest["faceswap.storage.bytes.read"]));
        Assert.Equal(written, SumLong(latest["faceswap.storage.bytes.written"]));
        Assert.Equal(0, SumLong(latest["faceswap.jobs.active"]));
        Assert.Contains("faceswap.engine.queue.depth", latest.Keys);
        Assert.Contains("faceswap.engine.in_flight", latest.Keys);

        // Orleans' and ASP.NET Core's meters come along; no GPU here, so no GPU metrics at all (absent, not zero).
        Assert.Contains(metrics.Snapshot(), m => m.MeterName == TelemetryExtensions.OrleansMeter);
        Assert.Contains("http.server.request.duration", latest.Keys);
        Assert.False(GpuMetrics.Available);
        Assert.DoesNotContain(latest.Keys, name => name.StartsWith("faceswap.gpu", StringComparison.Ordinal));

        // Logs: the job's records carry its id in scope (the engine's too); no consent reference, no image bytes.
        var records = logs.Snapshot();
        Assert.Contains(records, r => r.CategoryName == typeof(FaceSwap.Grains.Batch.BatchGrain).FullName && Equals(ScopeOf(r).GetValueOrDefault("JobId"), jobId));
        var failed = Assert.Single(records, r => r.CategoryName == typeof(FaceSwap.Grains.Inference.EngineService).FullName && r.FormattedMessage?.Contains("broken0.jpg", StringComparison.Ordinal) == true);
        Assert.Equal(jobId, ScopeOf(failed)["JobId"]);
        Assert.All(records, r =>
        {
            var text = r.FormattedMessage + string.Join(" ", r.Attributes?.Select(a => a.Value) ?? []) + string.Join(" ", ScopeOf(r).Values);
            Assert.DoesNotContain(Consent, text, StringComparison.Ordinal);
            Assert.DoesNotContain("this is not a photo", text, StringComparison.Ordinal);
        });

        // One job span; every image has a span in its trace, under it through the grain calls, with stage children.
        var all = spans.Snapshot();
        var trace = all.Where(s => s.TraceId == jobSpan.TraceId).ToDictionary(s => s.SpanId);
        var images = all.Where(s => s.OperationName == FaceSwapTelemetry.ImageSpan && (string?)s.GetTagItem(FaceSwapTelemetry.JobIdAttribute) == jobId).ToList();
        Assert.Equal(outcomes.Select(o => o.Path).Order(), images.Select(s => (string)s.GetTagItem(FaceSwapTelemetry.PathAttribute)!).Order());
        foreach (var image in images)
        {
            Assert.Equal(jobSpan.TraceId, image.TraceId);
            Assert.True(DescendsFrom(image, jobSpan, trace), $"image span {image.GetTagItem(FaceSwapTelemetry.PathAttribute)} is not under the job span");
        }

        Assert.Contains(trace.Values, s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal));
        foreach (var image in images.Where(i => (string?)i.GetTagItem("faceswap.image.status") == "ok"))
        {
            var stages = all.Where(s => s.ParentSpanId == image.SpanId).Select(s => s.OperationName).ToHashSet();
            var cached = outcomes.Single(o => o.Path == (string?)image.GetTagItem(FaceSwapTelemetry.PathAttribute)).CacheHit;
            Assert.Superset(new HashSet<string>(cached
                ? ["faceswap.swap", "faceswap.blend", "faceswap.encode", "faceswap.read", "faceswap.write"]
                : ["faceswap.decode", "faceswap.detect", "faceswap.landmarks", "faceswap.swap", "faceswap.blend", "faceswap.encode", "faceswap.read", "faceswap.write"]), stages);
        }
    }

    [Fact]
    public void Sampling_keeps_every_job_span_and_about_the_ratio_of_image_spans()
    {
        var sampler = new TelemetryExtensions.FaceSwapSampler(0.1);
        var job = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var dropped = new ActivityContext(job.TraceId, job.SpanId, ActivityTraceFlags.None);

        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(new SamplingParameters(default, job.TraceId, FaceSwapTelemetry.JobSpan, ActivityKind.Internal)).Decision);
        var sampled = Enumerable.Range(0, 10_000).Count(_ =>
            sampler.ShouldSample(new SamplingParameters(job, job.TraceId, FaceSwapTelemetry.ImageSpan, ActivityKind.Internal)).Decision == SamplingDecision.RecordAndSample);
        Assert.InRange(sampled, 800, 1200);
        Assert.Equal(SamplingDecision.Drop, sampler.ShouldSample(new SamplingParameters(dropped, job.TraceId, FaceSwapTelemetry.ImageSpan, ActivityKind.Internal)).Decision);
        Assert.Equal(SamplingDecision.Drop, new TelemetryExtensions.FaceSwapSampler(0).ShouldSample(new SamplingParameters(default, job.TraceId, FaceSwapTelemetry.JobSpan, ActivityKind.Internal)).Decision);
    }

    [Fact]
    public async Task Otlp_http_exports_metrics_and_traces_to_a_receiver_during_a_job()
    {
        using var receiver = new OtlpReceiver();
        using var folder = new TemporaryDirectory();
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath,
            "--OTEL_EXPORTER_OTLP_ENDPOINT=" + receiver.Endpoint,
            "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
            "--OTEL_METRIC_EXPORT_INTERVAL=500",
            "--OTEL_BSP_SCHEDULE_DELAY=200",
            "--FaceSwap:Telemetry:TraceSampleRatio=1");

        await TelemetryJobs.RunAsync(host, photos: 2);

        var posts = await EventuallyAsync(() =>
        {
            var now = receiver.Posts;
            return now.Any(p => p.Path == "/v1/metrics") && now.Any(p => p.Path == "/v1/traces") ? now : null;
        });
        Assert.All(posts, p => Assert.Equal("application/x-protobuf", p.ContentType));
        Assert.All(posts, p => Assert.True(p.Length > 0));
    }

    private static Dictionary<string, object?> ScopeOf(LogRecord record)
    {
        var scope = new Dictionary<string, object?>();
        record.ForEachScope((s, state) =>
        {
            foreach (var kv in s)
            {
                state[kv.Key] = kv.Value;
            }
        }, scope);
        return scope;
    }

    private static bool DescendsFrom(Activity span, Activity ancestor, Dictionary<ActivitySpanId, Activity> trace)
    {
        var parent = span.ParentSpanId;
        for (var hops = 0; hops < 16 && parent != default; hops++)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }

            parent = trace.TryGetValue(parent, out var next) ? next.ParentSpanId : default;
        }

        return false;
    }

    private static IEnumerable<MetricPoint> Points(MetricSnapshot metric, string? tag, string? value)
    {
        foreach (var point in metric.MetricPoints)
        {
            if (tag is null)
            {
                yield return point;
                continue;
            }

            foreach (var kv in point.Tags)
            {
                if (kv.Key == tag && Equals(kv.Value?.ToString(), value))
                {
                    yield return point;
                    break;
                }
            }
        }
    }

    private static long SumLong(MetricSnapshot metric, string? tag = null, string? value = null) =>
        Points(metric, tag, value).Sum(p => p.GetSumLong());

    private static long HistogramCount(MetricSnapshot metric, string? tag = null, string? value = null) =>
        Points(metric, tag, value).Sum(p => p.GetHistogramCount());

    private static double HistogramSum(MetricSnapshot metric, string? tag = null, string? value = null) =>
        Points(metric, tag, value).Sum(p => p.GetHistogramSum());

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (probe() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for telemetry");
            await Task.Delay(100);
        }
    }

    /// <summary>A tiny OTLP/HTTP receiver on loopback that records each POST's path, content type and length.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly LockedList<(string Path, string? ContentType, long Length)> posts = new();

        public OtlpReceiver()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Endpoint = $"http://127.0.0.1:{port}";
            listener.Prefixes.Add(Endpoint + "/");
            listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public string Endpoint { get; }

        public List<(string Path, string? ContentType, long Length)> Posts => posts.Snapshot();

        private async Task LoopAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                if (context.Request.HttpMethod == "POST")
                {
                    posts.Add((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.Length));
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public void Dispose() => listener.Close();
    }
}
