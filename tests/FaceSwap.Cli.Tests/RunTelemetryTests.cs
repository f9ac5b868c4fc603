using System.Collections.Concurrent;
using System.Text;
using FaceSwap.Engine.Tests;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Silo.Tests;
using FaceSwap.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Cli.Tests;

/// <summary>`faceswap run` exports over OTLP like `serve` when OTEL_EXPORTER_OTLP_ENDPOINT is set.</summary>
[Trait("Category", "Telemetry")]
public sealed class RunTelemetryTests
{
    [Fact]
    public async Task Run_exports_its_job_span_and_metrics_to_the_otlp_endpoint_in_the_environment()
    {
        await using var receiver = await OtlpHttpReceiver.StartAsync();
        using var work = new TemporaryDirectory("faceswap-otel");
        var input = Directory.CreateDirectory(Path.Combine(work.FullPath, "in")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(input, "a.jpg"), TestPhotos.Small(1));

        var run = await CliProcess.RunAsync(
            new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            },
            "run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3), "--input", input, "--output", Path.Combine(work.FullPath, "out"));

        Assert.True(run.ExitCode == 0, run.StdErr);
        var traces = receiver.Bodies("/v1/traces");
        Assert.Contains(traces, body => body.Contains(FaceSwapTelemetry.JobSpan, StringComparison.Ordinal));
        Assert.Contains(receiver.Bodies("/v1/metrics"), body => body.Contains(FaceSwapTelemetry.ImagesProcessed.Name, StringComparison.Ordinal));
    }

    /// <summary>A minimal OTLP/HTTP receiver: Kestrel on loopback keeping every body posted to /v1/traces, /v1/metrics and /v1/logs.</summary>
    private sealed class OtlpHttpReceiver : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly ConcurrentQueue<(string Path, string Body)> received = new();

        private OtlpHttpReceiver(WebApplication app) => this.app = app;

        public string Endpoint { get; private set; } = "";

        public static async Task<OtlpHttpReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new OtlpHttpReceiver(app);
            foreach (var signal in new[] { "/v1/traces", "/v1/metrics", "/v1/logs" })
            {
                app.MapPost(signal, async (HttpRequest request) =>
                {
                    using var body = new MemoryStream();
                    await request.Body.CopyToAsync(body);
                    // Protobuf keeps strings as UTF-8 bytes: names of spans and instruments can be found in the text.
                    receiver.received.Enqueue((signal, Encoding.UTF8.GetString(body.ToArray())));
                    return Results.Bytes([], "application/x-protobuf");
                });
            }

            await app.StartAsync();
            receiver.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return receiver;
        }

        public IReadOnlyList<string> Bodies(string path) => [.. received.Where(r => r.Path == path).Select(r => r.Body)];

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
