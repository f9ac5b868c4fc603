using System.Text.Json;
using FaceSwap.Engine.Tests;

namespace FaceSwap.Cli.Tests;

/// <summary>`faceswap bench` runs its three phases over one workload and reports them; timings are not asserted.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-bench-test-");

    [Fact]
    public async Task Bench_runs_the_platform_the_ceiling_and_the_naive_loop_over_one_workload_and_writes_json()
    {
        var json = Path.Combine(work.FullName, "bench.json");
        var samples = Path.GetDirectoryName(TestAssets.Sample(1))!;

        var run = await CliProcess.RunAsync("bench", "--models", TestAssets.Models.Path, "--samples", samples, "--count", "3", "--rounds", "2", "--json", json);

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        Assert.Contains("platform/ceiling", run.StdOut);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        foreach (var phase in new[] { "platform", "ceiling", "naive" })
        {
            var p = report.RootElement.GetProperty(phase);
            Assert.Equal(3, p.GetProperty("images").GetInt32());
            // At least two faces swapped per photo (photo 2's full profile is out of the source's reach), the same in every run.
            Assert.True(p.GetProperty("faces").GetInt64() >= 6, $"{phase} swapped {p.GetProperty("faces")} faces");
            Assert.Equal(report.RootElement.GetProperty("ceiling").GetProperty("faces").GetInt64(), p.GetProperty("faces").GetInt64());
            Assert.True(p.GetProperty("imagesPerSecond").GetDouble() > 0);
            Assert.True(p.GetProperty("stages").TryGetProperty("blend", out _), $"{phase} has no blend stage");
        }

        Assert.True(report.RootElement.GetProperty("platformOverCeiling").GetDouble() > 0);
        Assert.True(report.RootElement.GetProperty("platformOverNaive").GetDouble() > 0);
        Assert.True(report.RootElement.GetProperty("platform").GetProperty("cpuMsPerImage").GetDouble() > 0);
        Assert.Equal(2, report.RootElement.GetProperty("rounds").GetInt32());
        Assert.Equal(2, report.RootElement.GetProperty("platformOverCeilingByRound").GetArrayLength());

        // The model table: every embedded model at batch sizes 1, 2, 4 and 8, each measured.
        var rows = report.RootElement.GetProperty("modelBatches").EnumerateArray().ToList();
        Assert.Equal(12, rows.Count);
        foreach (var model in new[] { "fr_detect", "fr_landmark", "fr_feature" })
        {
            Assert.Equal([1, 2, 4, 8], rows.Where(r => r.GetProperty("model").GetString() == model).Select(r => r.GetProperty("batchSize").GetInt32()));
        }

        Assert.All(rows, r => Assert.True(r.GetProperty("itemsPerSecondCallPerCore").GetDouble() > 0 && r.GetProperty("itemsPerSecondOneCallAllCores").GetDouble() > 0));
    }

    [Fact]
    public async Task Bench_can_measure_the_platform_alone_on_smaller_photos()
    {
        var json = Path.Combine(work.FullName, "platform.json");
        var samples = Path.GetDirectoryName(TestAssets.Sample(1))!;

        var run = await CliProcess.RunAsync("bench", "--models", TestAssets.Models.Path, "--samples", samples, "--count", "5", "--max-side", "640",
            "--runs", "platform", "--rounds", "1", "--no-model-table", "--batch-size", "2", "--json", json);

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.Equal(5, report.RootElement.GetProperty("platform").GetProperty("images").GetInt32());
        Assert.Equal(640, report.RootElement.GetProperty("maxSide").GetInt32());
        Assert.False(report.RootElement.TryGetProperty("ceiling", out _));
        Assert.False(report.RootElement.TryGetProperty("platformOverCeiling", out _));
        Assert.False(report.RootElement.TryGetProperty("modelBatches", out _));
    }

    [Fact]
    public async Task Bench_refuses_an_unknown_run()
    {
        var run = await CliProcess.RunAsync("bench", "--models", TestAssets.Models.Path, "--runs", "platform,turbo");

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("not 'turbo'", run.StdErr);
    }

    public void Dispose() => work.Delete(recursive: true);
}
