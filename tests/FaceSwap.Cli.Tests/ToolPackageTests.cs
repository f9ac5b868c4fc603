using System.Diagnostics;
using System.Reflection;
using FaceSwap.Engine.Tests;
using FaceSwap.Testing;

namespace FaceSwap.Cli.Tests;

/// <summary>
/// The CLI as a .NET tool, as a user on a clean machine gets it: `dotnet pack`, then `dotnet tool install --global`
/// from that folder with a fresh home, .NET CLI home and NuGet package folder, then the installed `faceswap` fetching
/// the models and swapping a folder of photos with the native libraries from its own package.
/// </summary>
[Trait("Category", "Tool")]
public sealed class ToolPackageTests
{
    [Fact]
    public async Task The_packed_tool_installs_on_a_clean_home_prints_its_version_pulls_the_models_and_runs_a_job()
    {
        using var work = new TemporaryDirectory("faceswap-tool");
        var feed = Path.Combine(work.FullPath, "feed");
        var home = Directory.CreateDirectory(Path.Combine(work.FullPath, "home")).FullName;
        Dictionary<string, string> clean = new()
        {
            ["HOME"] = home,
            ["DOTNET_CLI_HOME"] = home,
            ["NUGET_PACKAGES"] = Path.Combine(work.FullPath, "nuget-packages"),
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };

        // Release, without a restore of its own: the Debug build the tests run from is left alone.
        var pack = await RunAsync("dotnet", ["pack", Path.Combine(TestAssets.Root, "src", "FaceSwap.Cli"), "-c", "Release", "--no-restore", "-nologo", "-o", feed], TestAssets.Root, new Dictionary<string, string>());
        Assert.True(pack.ExitCode == 0, pack.StdOut + pack.StdErr);
        Assert.True(File.Exists(Path.Combine(feed, "FaceSwap.Cli.1.0.0.nupkg")), string.Join(", ", Directory.GetFiles(feed)));
        Assert.True(File.Exists(Path.Combine(feed, "FaceSwap.Cli.linux-x64.1.0.0.nupkg")), string.Join(", ", Directory.GetFiles(feed)));

        var install = await RunAsync("dotnet", ["tool", "install", "--global", "--add-source", feed, "FaceSwap.Cli"], work.FullPath, clean);
        Assert.True(install.ExitCode == 0, install.StdOut + install.StdErr);
        Assert.Contains("Tool 'faceswap.cli' (version '1.0.0') was successfully installed.", install.StdOut);
        var faceswap = Path.Combine(home, ".dotnet", "tools", "faceswap");
        Assert.True(File.Exists(faceswap), faceswap);

        // The native libraries come from the tool's own package, for linux-x64.
        var store = Path.Combine(home, ".dotnet", "tools", ".store", "faceswap.cli");
        foreach (var native in new[] { "libonnxruntime.so", "libSkiaSharp.so", "libOpenCvSharpExtern.so" })
        {
            Assert.Single(Directory.EnumerateFiles(store, native, SearchOption.AllDirectories));
        }

        var version = await RunAsync(faceswap, ["--version"], work.FullPath, clean);
        var built = typeof(ExitCodes).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^1\.0\.0(\+[0-9a-f]+)?$", version.StdOut.Trim());
        Assert.StartsWith(built.Split('+')[0], version.StdOut.Trim());

        // Outside the repository and without FACESWAP_MODELS, the models go to ~/.faceswap/models.
        var pull = await RunAsync(faceswap, ["models", "pull"], work.FullPath, clean);
        Assert.True(pull.ExitCode == 0, pull.StdOut + pull.StdErr);
        Assert.Contains($"models in {Path.Combine(home, ".faceswap", "models")}", pull.StdOut + pull.StdErr);

        var input = Directory.CreateDirectory(Path.Combine(work.FullPath, "photos", "nested")).FullName;
        File.Copy(TestAssets.Sample(1), Path.Combine(input, "one.jpg"));
        File.Copy(TestAssets.Sample(4), Path.Combine(work.FullPath, "photos", "two.jpg"));
        var run = await RunAsync(faceswap, ["run", "--source", TestAssets.Sample(3), "--input", "photos", "--output", "out"], work.FullPath, clean);
        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        var verify = await RunAsync(faceswap, ["verify", Path.Combine("out", "nested", "one.jpg"), Path.Combine("out", "two.jpg")], work.FullPath, clean);
        Assert.True(verify.ExitCode == 0, verify.StdOut + verify.StdErr);
        Assert.Equal(2, verify.StdOut.Split('\n').Count(l => l.Contains("watermark: found", StringComparison.Ordinal)));
    }

    private static async Task<CliProcess.Result> RunAsync(string program, string[] args, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A clean machine: nothing of this session's model folder or server settings.
        start.Environment.Remove("FACESWAP_MODELS");
        start.Environment.Remove("FACESWAP_SERVER");
        start.Environment.Remove("FACESWAP_API_KEY");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(timeout.Token);
        return new CliProcess.Result(process.ExitCode, await stdout, await stderr);
    }
}
