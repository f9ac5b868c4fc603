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

        var run = await CliProcess.RunAsync("bench", "--models", TestAssets.Models.Path, "--samples", samples, "--count", "3", "--json", json);

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        Assert.Contains("platform/ceiling", run.StdOut);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        foreach (var phase in new[] { "platform", "ceiling", "naive" })
        {
            var p = report.RootElement.GetProperty(phase);
            Assert.Equal(3, p.GetProperty("images").GetInt32());
            Assert.True(p.GetProperty("faces").GetInt64() >= 9, $"{phase} swapped {p.GetProperty("faces")} faces");
            Assert.True(p.GetProperty("imagesPerSecond").GetDouble() > 0);
            Assert.True(p.GetProperty("stages").TryGetProperty("blend", out _), $"{phase} has no blend stage");
        }

        Assert.True(report.RootElement.GetProperty("platformOverCeiling").GetDouble() > 0);
        Assert.True(report.RootElement.GetProperty("platformOverNaive").GetDouble() > 0);
    }

    public void Dispose() => work.Delete(recursive: true);
}
