using System.Diagnostics;
using System.Text.Json;
using FaceSwap.Engine.Tests;

namespace FaceSwap.Cli.Tests;

/// <summary>`faceswap serve` in the embedded mode: a folder and a manifest copied into its inbox folder come out swapped in outbox.</summary>
public sealed class ServeDropTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("faceswap-serve-");

    [Fact]
    public async Task Copying_a_folder_and_a_manifest_into_the_inbox_of_a_running_serve_yields_swapped_outputs_in_outbox()
    {
        var port = FaceSwap.Testing.FreePorts.Get(1)[0];
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "faceswap.dll"), "serve", "--models", TestAssets.Models.Path,
                     "--storage", "local:" + root.FullName, "--urls", $"http://127.0.0.1:{port}",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        using var serve = Process.Start(start)!;
        try
        {
            var banner = await serve.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Contains("is serving on", banner);
            Assert.Contains("admin key for this run", await serve.StandardOutput.ReadLineAsync() + await serve.StandardOutput.ReadLineAsync());
            _ = serve.StandardOutput.ReadToEndAsync();
            _ = serve.StandardError.ReadToEndAsync();

            // What a user does: put the photos in place (in a subfolder too), the source face beside them, the manifest last.
            var drop = Path.Combine(root.FullName, "inbox", "wedding");
            Directory.CreateDirectory(Path.Combine(drop, "day2"));
            File.Copy(TestAssets.Sample(1), Path.Combine(drop, "first.jpg"));
            File.Copy(TestAssets.Sample(2), Path.Combine(drop, "day2", "second.jpg"));
            File.Copy(TestAssets.Sample(4), Path.Combine(drop, "day2", "third.jpg"));
            File.Copy(TestAssets.Sample(3), Path.Combine(drop, "face.jpg"));
            await File.WriteAllTextAsync(Path.Combine(drop, "faceswap.json"), """{ "source": "./face.jpg", "consentReference": "signed-form-118" }""");

            var statusFile = Path.Combine(drop, "_faceswap", "status.json");
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            JsonElement status;
            while (true)
            {
                Assert.False(serve.HasExited, "faceswap serve exited");
                if (File.Exists(statusFile))
                {
                    status = JsonDocument.Parse(await File.ReadAllTextAsync(statusFile, timeout.Token)).RootElement;
                    if (status.GetProperty("isTerminal").GetBoolean())
                    {
                        break;
                    }
                }

                await Task.Delay(250, timeout.Token);
            }

            Assert.Equal("completed", status.GetProperty("state").GetString());
            Assert.Equal(3, status.GetProperty("counters").GetProperty("ok").GetInt32());
            var outbox = Path.Combine(root.FullName, "outbox", "wedding");
            Assert.True(File.Exists(Path.Combine(outbox, "first.jpg")));
            Assert.True(File.Exists(Path.Combine(outbox, "day2", "second.jpg")));
            Assert.True(File.Exists(Path.Combine(outbox, "day2", "third.jpg")));
            Assert.False(File.Exists(Path.Combine(outbox, "face.jpg")), "the source face is not an input");
            Assert.NotEqual(await File.ReadAllBytesAsync(Path.Combine(drop, "first.jpg")), await File.ReadAllBytesAsync(Path.Combine(outbox, "first.jpg")));
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }

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
