using FaceSwap.Engine.Tests;
using FaceSwap.Grains.Hosting;

namespace FaceSwap.Cli.Tests;

/// <summary>
/// A setting out of range stops the silo of `serve` and of `run` as it starts: one line naming the setting, no stack
/// trace, nothing served or written.
/// </summary>
public sealed class HostSettingsTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("faceswap-settings-");

    [Theory]
    [InlineData("FaceSwap__Prefetch", "0", "FaceSwap:Prefetch 0 is out of range: it must be 1 to 4096")]
    [InlineData("FaceSwap__ModelBatch", "1000", "FaceSwap:ModelBatch 1000 is out of range: it must be 1 to 256")]
    [InlineData("FaceSwap__Host__AdvertisedAddress", "silo.example", "FaceSwap:Host:AdvertisedAddress 'silo.example' is not an IP address")]
    [InlineData("Api__Keys__0__Role", "boss", "Api:Keys:0: Name is required")]
    public async Task Serve_with_a_bad_setting_stops_at_start_with_one_line_naming_it(string name, string value, string message)
    {
        var port = FaceSwap.Testing.FreePorts.Get(1)[0];

        var serve = await CliProcess.RunAsync(new Dictionary<string, string> { [name] = value },
            "serve", "--models", TestAssets.Models.Path, "--storage", "local:" + root.FullName, "--urls", $"http://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.Failure, serve.ExitCode);
        Assert.DoesNotContain("is serving on", serve.StdOut);
        var error = Assert.Single(serve.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: invalid configuration: ", error);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task The_embedded_silo_of_run_refuses_an_out_of_range_setting_before_it_starts()
    {
        var state = Path.Combine(root.FullName, "state");

        var refused = await Assert.ThrowsAsync<CliException>(() => EmbeddedPlatform.StartAsync(
            o => (o.Storage, o.ModelsPath, o.Concurrency, o.RepeatImageCacheEntries) = ("local", TestAssets.Models.Path, 100000, -1),
            state, CancellationToken.None));

        Assert.Equal(ExitCodes.Failure, refused.ExitCode);
        Assert.Equal("invalid configuration: FaceSwap:Concurrency 100000 is out of range: it must be 0 to 256; " +
            "FaceSwap:RepeatImageCacheEntries -1 is out of range: it must be 0 to 4096", refused.Message);
        Assert.False(Directory.Exists(state), "the refused silo wrote job state");
    }

    [Fact]
    public async Task Run_with_a_storage_setting_it_does_not_understand_says_so_in_one_line()
    {
        var input = Directory.CreateDirectory(Path.Combine(root.FullName, "in")).FullName;

        var run = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3),
            "--input", input, "--output", Path.Combine(root.FullName, "out"), "--storage", "ftp://somewhere");

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        var error = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --storage: The storage setting 'ftp://somewh...' is not understood.", error);
        Assert.False(Directory.Exists(Path.Combine(root.FullName, "out")));
    }

    [Fact]
    public void The_one_line_names_every_problem_of_every_options_type()
    {
        var silo = new Microsoft.Extensions.Options.OptionsValidationException("", typeof(FaceSwapSiloOptions), ["FaceSwap:Prefetch 0 is out of range", "FaceSwap:Role: unknown"]);
        var keys = new Microsoft.Extensions.Options.OptionsValidationException("ApiKey", typeof(object), ["Api:Keys:0: Name is\nrequired"]);

        Assert.Equal("invalid configuration: FaceSwap:Prefetch 0 is out of range; FaceSwap:Role: unknown; Api:Keys:0: Name is required",
            InvalidConfiguration.OneLine(new AggregateException(silo, keys)));
        Assert.Null(InvalidConfiguration.OneLine(new InvalidOperationException("something else")));
    }

    public void Dispose() => root.Delete(recursive: true);
}
