using System.Diagnostics;
using System.Text.Json;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

public sealed class RunCommandTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-run-");

    private string Input => Path.Combine(work.FullName, "in");

    private string Output => Path.Combine(work.FullName, "out");

    [Fact]
    public async Task Killed_mid_job_then_run_again_finishes_the_rest_and_writes_each_output_once()
    {
        var images = BuildInput(count: 24);
        var source = TestAssets.Sample(3);
        string[] args = ["run", "--models", TestAssets.Models.Path, "--source", source, "--input", Input, "--output", Output, "--concurrency", "1", "--batch-size", "1", "--prefetch", "2"];

        // First run: kill -9 as soon as a few outputs exist.
        int atKill;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "faceswap.dll"));
        args.ToList().ForEach(start.ArgumentList.Add);
        using (var first = Process.Start(start)!)
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (Outputs().Count < 2 && DateTime.UtcNow < deadline && !first.HasExited)
            {
                await Task.Delay(20);
            }

            if (first.HasExited)
            {
                Assert.Fail("the first run finished before it could be killed: " + await first.StandardError.ReadToEndAsync());
            }

            atKill = Outputs().Count;
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        var survivors = Outputs().ToDictionary(p => p, p => File.GetLastWriteTimeUtc(p));
        Assert.True(survivors.Count >= 2 && survivors.Count < images.Count, $"{survivors.Count} outputs after the kill, {atKill} at the kill");

        var second = await CliProcess.RunAsync(args);

        Assert.True(second.ExitCode == 0, second.StdErr);
        Assert.Equal(images.Count, Outputs().Count);
        foreach (var (path, written) in survivors)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        }

        var summary = LatestSummary();
        var counts = summary.GetProperty("counts");
        Assert.Equal("completed", summary.GetProperty("state").GetString());
        Assert.Equal(images.Count, counts.GetProperty("discovered").GetInt32());
        Assert.Equal(survivors.Count, counts.GetProperty("skipped").GetInt32());
        Assert.Equal(images.Count - survivors.Count, counts.GetProperty("ok").GetInt32());

        // The job policy holds for run too: the OS user submits and vouches for the consent.
        var spec = summary.GetProperty("spec");
        Assert.Equal(Environment.UserName, spec.GetProperty("submittedBy").GetString());
        Assert.Equal(FaceSwap.Cli.Commands.RunCommand.LocalRunConsent, spec.GetProperty("consentReference").GetString());
    }

    [Fact]
    public async Task A_missing_input_folder_is_a_clear_error()
    {
        var run = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3), "--input", Path.Combine(work.FullName, "nope"), "--output", Output);
        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Contains("does not exist", run.StdErr);
        Assert.DoesNotContain("   at ", run.StdErr);
    }

    [Fact]
    public async Task A_source_without_a_usable_face_stops_the_job_before_any_image()
    {
        BuildInput(count: 2);
        var profile = Path.Combine(work.FullName, "landscape.png");
        await File.WriteAllBytesAsync(profile, TestImages.Gradient(400, 300, ImageFormat.Png));
        var run = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--source", profile, "--input", Input, "--output", Output);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("no face", run.StdErr);
        Assert.Empty(Outputs());
    }

    private List<string> BuildInput(int count)
    {
        var paths = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(Input, $"set{i % 3}", i % 2 == 0 ? "deep" : string.Empty, $"photo{i}.jpg");
            paths.Add(DemoPhotos.Write(path, DemoPhotos.HalfSize(i % 4 + 1)));
        }

        return paths;
    }

    private List<string> Outputs() => Directory.Exists(Output)
        ? Directory.EnumerateFiles(Output, "*.jpg", SearchOption.AllDirectories).Where(p => !p.Contains("_faceswap", StringComparison.Ordinal)).ToList()
        : [];

    private JsonElement LatestSummary()
    {
        var file = Directory.EnumerateFiles(Path.Combine(Output, "_faceswap"), "summary.json", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        return JsonDocument.Parse(File.ReadAllText(file)).RootElement.Clone();
    }

    public void Dispose() => work.Delete(recursive: true);
}
