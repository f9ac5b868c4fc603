using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Testing;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Silo.Tests;

/// <summary>/readyz (cluster joined, models loaded, storage answering; details for admin keys only) and the admin-only Orleans Dashboard.</summary>
[Trait("Category", "Telemetry")]
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_is_503_until_models_load_and_while_storage_is_down_and_the_dashboard_is_admin_only()
    {
        using var folder = new TemporaryDirectory();
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath, "--FaceSwap:Host:LoadModelsAtStart=false");
        using var anonymous = host.CreateClient(apiKey: null);
        using var admin = host.CreateClient(ApiHost.AdminKey);
        using var reader = host.CreateClient(ApiHost.ReadKey);

        // Models load on the first image when they are not loaded at start: not ready before that.
        var before = await ReadyAsync(admin);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.Status);
        Assert.Equal(["models"], before.Failed);
        Assert.Equal("Healthy", (string?)before.Body["checks"]!["cluster"]!["status"]);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("healthz")).StatusCode);

        // Without an admin key: only whether the silo is ready, nothing about which check failed or the silo's name.
        foreach (var caller in new[] { anonymous, reader })
        {
            using var response = await caller.GetAsync("readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            Assert.Equal(["status"], body.Select(p => p.Key));
            Assert.Equal("Unhealthy", (string?)body["status"]);
        }

        Assert.Contains("silo ", (string?)before.Body["checks"]!["cluster"]!["description"], StringComparison.Ordinal);

        await TelemetryJobs.RunAsync(host, photos: 1);
        var after = await ReadyAsync(admin);
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Empty(after.Failed);

        // Storage down (its folder gone): 503 naming storage; back: 200.
        var moved = folder.FullPath + "-away";
        Directory.Move(folder.FullPath, moved);
        try
        {
            var down = await ReadyAsync(admin);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
            Assert.Equal(["storage"], down.Failed);
        }
        finally
        {
            Directory.Move(moved, folder.FullPath);
        }

        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(admin)).Status);
        using (var ready = await anonymous.GetAsync("readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("""{"status":"Healthy"}""", await ready.Content.ReadAsStringAsync());
        }

        // The dashboard: 401 without a key, 403 with a read key, served to the admin.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("dashboard")).StatusCode);
        using var page = await admin.GetAsync("dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Readyz_turns_200_on_its_own_once_models_load_at_start()
    {
        using var folder = new TemporaryDirectory();
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath);
        using var http = host.CreateClient(ApiHost.AdminKey);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        (HttpStatusCode Status, string[] Failed, JsonNode Body) ready;
        while ((ready = await ReadyAsync(http)).Status != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
            await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal(["cluster", "models", "storage"], ready.Body["checks"]!.AsObject().Select(kv => kv.Key).Order());
    }

    [Fact]
    public async Task A_silo_asking_for_cuda_where_it_does_not_load_stays_not_ready_with_the_code_and_logs_why()
    {
        // This machine's build has only the CPU provider, as a GPU image on a host without a usable GPU would.
        using var folder = new TemporaryDirectory();
        var log = new CapturedLog();
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath, builder => builder.Logging.AddProvider(log), "--FaceSwap:ExecutionProvider=cuda");
        // The checks and their codes are shown to admin keys only (anonymous callers get ready or not).
        using var http = host.CreateClient(ApiHost.AdminKey);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        (HttpStatusCode Status, string[] Failed, JsonNode Body) ready;
        while ((ready = await ReadyAsync(http)).Body["checks"]!["models"]!["code"] is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Equal(["models"], ready.Failed);
        Assert.Equal("execution_provider_unavailable", (string?)ready.Body["checks"]!["models"]!["code"]);

        // Still not ready a moment later: nothing fell back to the CPU provider.
        await Task.Delay(1000);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyAsync(http)).Status);
        var line = Assert.Single(log.Lines, l => l.Level == LogLevel.Critical);
        Assert.Contains("execution_provider_unavailable", line.Message);
        Assert.Contains("'cuda'", line.Message);
        Assert.Contains("does not fall back", line.Message);

        // A job sent to it is refused before any image is read (422 naming the options), not run on the CPU.
        await host.PutBytesAsync("inbox/faces/source.jpg", TestPhotos.Small(3));
        await host.PutBytesAsync("inbox/photos/a.jpg", TestPhotos.Small(1));
        using var submitter = host.CreateClient(ApiHost.SubmitKey);
        using var submitted = await submitter.PostAsJsonAsync("api/jobs", new SubmitJobRequest { Source = "inbox/faces/source.jpg", Input = "inbox/photos/", Output = "outbox/photos/" }, FaceSwapJson.Options);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, submitted.StatusCode);
        Assert.NotNull(JsonNode.Parse(await submitted.Content.ReadAsStringAsync())!["errors"]!["options"]);
        Assert.False(Directory.Exists(Path.Combine(folder.FullPath, "outbox", "photos")) && Directory.EnumerateFiles(Path.Combine(folder.FullPath, "outbox", "photos"), "*.jpg", SearchOption.AllDirectories).Any());
    }

    /// <summary>The host's log lines, kept in memory.</summary>
    private sealed class CapturedLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> lines = new();

        public IReadOnlyList<(LogLevel Level, string Message)> Lines => [.. lines];

        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(LogLevel Level, string Message)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((logLevel, formatter(state, exception)));
        }
    }

    private static async Task<(HttpStatusCode Status, string[] Failed, JsonNode Body)> ReadyAsync(HttpClient http)
    {
        using var response = await http.GetAsync("readyz");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (response.StatusCode, body["failed"]!.AsArray().Select(n => (string)n!).ToArray(), body);
    }
}
