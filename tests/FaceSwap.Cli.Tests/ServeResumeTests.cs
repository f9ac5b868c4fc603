using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>Issue 23, item 9: `faceswap serve` killed mid-job and started again carries the job on by itself.</summary>
public sealed class ServeResumeTests : IDisposable
{
    private const int Photos = 12;
    private const string Key = "serve-resume-test-key";

    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("faceswap-serve-resume-");

    private string Outbox => Path.Combine(root.FullName, "outbox", "job");

    [Fact]
    public async Task An_unfinished_job_resumes_when_serve_starts_again_without_anyone_reading_its_status()
    {
        // Before, a job resumed only when its status was read: the embedded host keeps reminders in memory.
        var inbox = Path.Combine(root.FullName, "inbox", "job");
        Directory.CreateDirectory(inbox);
        for (var i = 0; i < Photos; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(inbox, $"p{i:D2}.jpg"), Distinct(i));
        }

        Directory.CreateDirectory(Path.Combine(root.FullName, "inbox", "faces"));
        File.Copy(TestAssets.Sample(3), Path.Combine(root.FullName, "inbox", "faces", "face.jpg"));

        var (first, address) = await StartServeAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            http.DefaultRequestHeaders.Add("X-Api-Key", Key);
            var request = new SubmitJobRequest
            {
                Source = "inbox/faces/face.jpg", Input = "inbox/job/", Output = "outbox/job/", ConsentReference = "resume-test", JobId = "resume-me",
                Options = new Abstractions.Jobs.JobOptions { BatchSize = 1, Prefetch = 2 },
            };
            using var accepted = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options);
            Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync());

            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (Outputs() < 2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        var atKill = Outputs();
        Assert.InRange(atKill, 2, Photos - 1);

        // Started again; nobody calls the API: the job carries on and finishes by itself.
        var (second, _) = await StartServeAsync();
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            JsonElement? summary = null;
            while (summary is null && DateTime.UtcNow < deadline && !second.HasExited)
            {
                await Task.Delay(250);
                summary = Summary();
            }

            Assert.True(summary is not null, $"the job did not finish after the restart: {Outputs()} of {Photos} outputs ({atKill} at the kill)");
            Assert.Equal("completed", summary.Value.GetProperty("state").GetString());
            Assert.Equal(Photos, Outputs());
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }
    }

    private async Task<(Process Serve, string Address)> StartServeAsync()
    {
        var port = FaceSwap.Testing.FreePorts.Get(1)[0];
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["FACESWAP_ADMIN_KEY"] = Key;
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "faceswap.dll"), "serve", "--models", TestAssets.Models.Path,
                     "--storage", "local:" + root.FullName, "--urls", $"http://127.0.0.1:{port}", "--concurrency", "1",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var serve = Process.Start(start)!;
        var banner = await serve.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Contains("is serving on", banner);
        _ = serve.StandardOutput.ReadToEndAsync();
        _ = serve.StandardError.ReadToEndAsync();
        return (serve, $"http://127.0.0.1:{port}/");
    }

    private int Outputs() => Directory.Exists(Outbox)
        ? Directory.EnumerateFiles(Outbox, "*.jpg", SearchOption.AllDirectories).Count(p => !p.Contains("_faceswap", StringComparison.Ordinal))
        : 0;

    private JsonElement? Summary()
    {
        var folder = Path.Combine(Outbox, "_faceswap", "resume-me");
        var file = Path.Combine(folder, "summary.json");
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(File.ReadAllText(file)).RootElement.Clone();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null; // being written
        }
    }

    /// <summary>Demo photo <c>i % 4 + 1</c> at half size with a mark of its own: no photo comes from the repeat-image cache.</summary>
    private static byte[] Distinct(int i) => DemoPhotos.HalfSize(i % 4 + 1, mark: i);

    public void Dispose()
    {
        try
        {
            root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
