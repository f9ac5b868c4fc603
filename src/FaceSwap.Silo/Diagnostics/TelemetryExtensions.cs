using System.Diagnostics;
using Azure.Monitor.OpenTelemetry.AspNetCore;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Placement;
using FaceSwap.Silo.Api.Security;
using Orleans.Dashboard;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FaceSwap.Silo.Diagnostics;

/// <summary>
/// Metrics, traces and logs through OpenTelemetry, the Orleans Dashboard and the readiness endpoint (docs/operations.md).
/// Exporters follow the standard environment variables: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, Azure Monitor
/// when APPLICATIONINSIGHTS_CONNECTION_STRING is set, nothing by default.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "FaceSwap:Telemetry";

    /// <summary>Orleans' meter.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Orleans on the silo: grain-call activity propagation (so job traces cross silos) and the dashboard's data collection.</summary>
    public static ISiloBuilder AddFaceSwapObservability(this ISiloBuilder orleans)
    {
        orleans.AddActivityPropagation();
        orleans.AddDashboard();
        return orleans;
    }

    /// <summary>
    /// OpenTelemetry with FaceSwap's, Orleans' and ASP.NET Core's meters and sources, when an exporter is configured or
    /// FaceSwap:Telemetry:Enabled is true; readiness checks always.
    /// </summary>
    public static WebApplicationBuilder AddFaceSwapTelemetry(this WebApplicationBuilder builder, FaceSwapSiloOptions silo, string? siloName)
    {
        builder.AddFaceSwapReadiness(silo);
        builder.AddFaceSwapOpenTelemetry(silo, siloName);
        return builder;
    }

    /// <summary>
    /// The environment variables the exporters read (OTEL_*, APPLICATIONINSIGHTS_CONNECTION_STRING), for hosts built
    /// without the default configuration sources (the CLI's embedded silos), which must still export like `serve`.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> ExporterEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => new KeyValuePair<string, string?>((string)e.Key, e.Value as string))
            .Where(e => e.Key.StartsWith("OTEL_", StringComparison.Ordinal) || e.Key == "APPLICATIONINSIGHTS_CONNECTION_STRING");

    /// <summary>
    /// OpenTelemetry on any host (served silos, and the CLI's embedded ones: `run`, `bench`) when an exporter is
    /// configured or FaceSwap:Telemetry:Enabled is true; true when it was added.
    /// </summary>
    public static bool AddFaceSwapOpenTelemetry(this IHostApplicationBuilder builder, FaceSwapSiloOptions silo, string? siloName)
    {
        var configuration = builder.Configuration;
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var azureMonitor = !string.IsNullOrWhiteSpace(configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        var ratio = Math.Clamp(configuration.GetValue($"{Section}:TraceSampleRatio", 0.05), 0, 1);
        if (!otlp && !azureMonitor && !configuration.GetValue($"{Section}:Enabled", false))
        {
            return false;
        }

        var inference = SiloRoles.RunsInference(SiloRoles.TryParse(silo.Role, out var role) ? role : null);
        if (inference)
        {
            GpuMetrics.TryStart();
        }

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("faceswap", serviceInstanceId: string.IsNullOrWhiteSpace(siloName) ? Environment.MachineName : siloName))
            .WithMetrics(m =>
            {
                m.AddMeter(FaceSwapTelemetry.Name, OrleansMeter, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime");
                m.AddView(FaceSwapTelemetry.BatchSize.Name, new ExplicitBucketHistogramConfiguration { Boundaries = [1, 2, 4, 8, 16, 32, 64] });
            })
            .WithTracing(t =>
            {
                t.AddSource(FaceSwapTelemetry.Name, "Microsoft.Orleans.*");
                if (!azureMonitor)
                {
                    // The Azure Monitor distro brings its own ASP.NET Core instrumentation and sampler.
                    t.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/healthz") && !http.Request.Path.StartsWithSegments("/readyz"));
                    t.SetSampler(new FaceSwapSampler(ratio));
                }
            })
            .WithLogging();
        builder.Services.Configure<OpenTelemetryLoggerOptions>(o =>
        {
            o.IncludeScopes = true;
            o.IncludeFormattedMessage = true;
        });
        if (otlp)
        {
            otel.UseOtlpExporter();
        }

        if (azureMonitor)
        {
            otel.UseAzureMonitor(o =>
            {
                o.ConnectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
                o.SamplingRatio = (float)ratio;
            });
        }

        return true;
    }

    /// <summary>/readyz (health checks tagged ready) and the Orleans Dashboard under /dashboard for the admin role.</summary>
    public static WebApplication MapFaceSwapObservability(this WebApplication app)
    {
        app.MapFaceSwapReadiness();
        app.MapOrleansDashboard(routePrefix: "/dashboard").RequireAuthorization(ApiRoles.Admin);
        return app;
    }

    /// <summary>
    /// Samples job spans whenever tracing is on (one per job run, cheap), image spans (and so their stage spans) with
    /// probability <c>ratio</c> inside a sampled job, and everything else parent-based with a trace-id ratio.
    /// </summary>
    public sealed class FaceSwapSampler(double ratio) : Sampler
    {
        private readonly Sampler others = new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio));

        /// <inheritdoc />
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        {
            if (samplingParameters.Name == FaceSwapTelemetry.JobSpan)
            {
                return new SamplingResult(ratio > 0 ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
            }

            if (samplingParameters.Name == FaceSwapTelemetry.ImageSpan)
            {
                var parentSampled = (samplingParameters.ParentContext.TraceFlags & ActivityTraceFlags.Recorded) != 0;
                return new SamplingResult(parentSampled && (ratio >= 1 || Random.Shared.NextDouble() < ratio)
                    ? SamplingDecision.RecordAndSample
                    : SamplingDecision.Drop);
            }

            return others.ShouldSample(samplingParameters);
        }
    }
}
