using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Cli.Commands;
using FaceSwap.Client;
using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using FaceSwap.Silo.Tests;
using FaceSwap.Testing;

namespace FaceSwap.Cli.Tests;

/// <summary>A real server (Kestrel, Orleans, the real engine) over local folders, for the remote commands' tests.</summary>
public sealed class LocalServerFixture : IAsyncLifetime
{
    private readonly TemporaryDirectory root = new("faceswap-remote");

    /// <summary>The host.</summary>
    public ApiHost Host { get; private set; } = null!;

    /// <summary>The storage root: containers are its subfolders (inbox/..., outbox/...).</summary>
    public string Root => root.FullPath;

    /// <summary>The server's address as users pass it to --server.</summary>
    public string Server => Host.BaseAddress.ToString().TrimEnd('/');

    /// <inheritdoc />
    public async Task InitializeAsync() => Host = await ApiHost.StartAsync("local:" + root.FullPath);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        root.Dispose();
    }
}

/// <summary>`faceswap submit | status | watch | cancel | results | jobs` run as processes against a real server.</summary>
public sealed class RemoteCommandTests(LocalServerFixture server) : IClassFixture<LocalServerFixture>
{
    private static readonly string[] NoEnvironment = [];

    [Fact]
    public async Task Submit_wait_then_status_results_jobs_and_watch_show_what_the_job_did()
    {
        var (source, input, output) = await NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(server.Host, input, 2);
        await server.Host.PutBytesAsync(input + "broken/bad.jpg", TestPhotos.Corrupt);

        var submit = await RunAsync(["submit", "--source", source, "--input", input, "--output", output, "--batch-size", "2", "--consent", "ref-77", "--wait"], ApiHost.SubmitKey);

        Assert.True(submit.ExitCode == 0, submit.StdErr);
        var lines = submit.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var jobId = lines[0];
        Assert.True(JobIds.IsValid(jobId), submit.StdOut);
        Assert.Contains($"job {jobId} completed: 3 images, 2 swapped", lines[^1]);
        Assert.Contains("1 failed", lines[^1]);
        Assert.Contains($"faceswap results {jobId} --status failed", submit.StdErr);
        foreach (var path in paths)
        {
            Assert.True(File.Exists(Path.Combine(server.Root, output, path)), path);
        }

        Assert.False(File.Exists(Path.Combine(server.Root, output, "broken", "bad.jpg")));

        var status = await RunAsync(["status", jobId], ApiHost.ReadKey);
        Assert.True(status.ExitCode == 0, status.StdErr);
        Assert.Contains($"job {jobId}: completed", status.StdOut);
        Assert.Contains("3/3 done: 2 swapped", status.StdOut);
        Assert.Contains("by studio (consent: ref-77)", status.StdOut);

        var json = await RunAsync(["status", jobId, "--json"], ApiHost.ReadKey);
        using (var document = JsonDocument.Parse(json.StdOut))
        {
            Assert.Equal("completed", document.RootElement.GetProperty("state").GetString());
            Assert.Equal(2, document.RootElement.GetProperty("counters").GetProperty("ok").GetInt32());
        }

        var failed = await RunAsync(["results", jobId, "--status", "failed", "--json"], ApiHost.ReadKey);
        Assert.True(failed.ExitCode == 0, failed.StdErr);
        using (var document = JsonDocument.Parse(failed.StdOut))
        {
            var failure = Assert.Single(document.RootElement.EnumerateArray());
            Assert.Equal("broken/bad.jpg", failure.GetProperty("path").GetString());
            Assert.Equal("not_an_image", failure.GetProperty("errorClass").GetString());
        }

        var all = await RunAsync(["results", jobId], ApiHost.ReadKey);
        var rows = all.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, rows.Length);
        Assert.Equal(2, rows.Count(r => r.StartsWith("ok ", StringComparison.Ordinal) && r.Contains(" faces", StringComparison.Ordinal)));
        Assert.Contains(rows, r => r.StartsWith("failed", StringComparison.Ordinal) && r.Contains("broken/bad.jpg  not_an_image: ", StringComparison.Ordinal));
        Assert.Contains("3 of 3 results", all.StdErr);

        // Server and key from the environment, as a script would set them.
        var jobs = await RunAsync(["jobs"], key: null, environment: ["FACESWAP_SERVER=" + server.Server, "FACESWAP_API_KEY=" + ApiHost.ReadKey]);
        Assert.True(jobs.ExitCode == 0, jobs.StdErr);
        var row = Assert.Single(jobs.StdOut.Split('\n'), l => l.StartsWith(jobId, StringComparison.Ordinal));
        Assert.Contains("completed", row);
        Assert.Contains($"{input} -> {output}", row);

        var watch = await RunAsync(["watch", jobId], ApiHost.ReadKey);
        Assert.Equal(0, watch.ExitCode);
        Assert.Contains($"job {jobId} completed: 3 images", watch.StdOut);
    }

    [Fact]
    public async Task Watch_follows_a_running_job_to_the_end_and_a_cancelled_job_exits_cancelled()
    {
        var (source, input, output) = await NewBatchAsync();
        await TestPhotos.UploadAsync(server.Host, input, 3);
        var (_, longInput, longOutput) = await NewBatchAsync();
        var longPaths = await TestPhotos.UploadAsync(server.Host, longInput, 10);

        var submitted = await RunAsync(["submit", "--source", source, "--input", input, "--output", output], ApiHost.SubmitKey);
        var jobId = submitted.StdOut.Trim();
        var watch = await RunAsync(["watch", jobId], ApiHost.ReadKey);

        Assert.True(submitted.ExitCode == 0, submitted.StdErr);
        Assert.Contains($"faceswap watch {jobId}", submitted.StdErr);
        Assert.True(watch.ExitCode == 0, watch.StdErr);
        Assert.Contains($"job {jobId} completed: 3 images, 3 swapped", watch.StdOut);
        Assert.Contains("done:", watch.StdErr); // the progress lines

        var slow = await RunAsync(["submit", "--source", source, "--input", longInput, "--output", longOutput, "--batch-size", "1", "--prefetch", "1"], ApiHost.SubmitKey);
        var slowId = slow.StdOut.Trim();
        var cancel = await RunAsync(["cancel", slowId], ApiHost.SubmitKey);
        var cancelledWatch = await RunAsync(["watch", slowId], ApiHost.ReadKey);

        Assert.True(cancel.ExitCode == 0, cancel.StdErr);
        Assert.StartsWith($"job {slowId} cancelled: ", cancel.StdOut);
        Assert.Equal(ExitCodes.Cancelled, cancelledWatch.ExitCode);
        Assert.Contains($"job {slowId} cancelled", cancelledWatch.StdOut);
        var written = Directory.Exists(Path.Combine(server.Root, longOutput))
            ? Directory.EnumerateFiles(Path.Combine(server.Root, longOutput), "*.jpg", SearchOption.AllDirectories).Count(p => !p.Contains("_faceswap", StringComparison.Ordinal))
            : 0;
        Assert.True(written < longPaths.Count, $"{written} of {longPaths.Count} written after the cancel");
    }

    [Fact]
    public async Task Submit_faces_reference_with_a_reference_path_swaps_only_that_persons_faces()
    {
        var (source, input, output) = await NewBatchAsync();
        var reference = source.Replace("source.jpg", "anna.jpg", StringComparison.Ordinal);
        await server.Host.PutBytesAsync(reference, TestPhotos.LeftmostFaceOf(TestPhotos.Small(1)));
        await server.Host.PutBytesAsync(input + "group.jpg", TestPhotos.Small(1));
        await server.Host.PutBytesAsync(input + "others/strangers.jpg", TestPhotos.Small(4));

        var submit = await RunAsync(["submit", "--source", source, "--input", input, "--output", output, "--faces", "reference", "--reference", reference, "--min-face", "20", "--wait"], ApiHost.SubmitKey);
        var noReference = await RunAsync(["submit", "--source", source, "--input", input, "--output", output, "--faces", "reference"], ApiHost.SubmitKey);

        Assert.True(submit.ExitCode == 0, submit.StdErr);
        var jobId = submit.StdOut.Split('\n')[0].Trim();
        var status = await RunAsync(["status", jobId, "--json"], ApiHost.ReadKey);
        using (var document = JsonDocument.Parse(status.StdOut))
        {
            var options = document.RootElement.GetProperty("spec").GetProperty("options");
            Assert.Equal("reference", options.GetProperty("faces").GetString());
            Assert.Equal(reference, Assert.Single(options.GetProperty("references").EnumerateArray()).GetString());
            Assert.Equal(20, options.GetProperty("minFace").GetInt32());
        }

        var results = await RunAsync(["results", jobId, "--json"], ApiHost.ReadKey);
        using (var document = JsonDocument.Parse(results.StdOut))
        {
            var byPath = document.RootElement.EnumerateArray().ToDictionary(o => o.GetProperty("path").GetString()!, o => o.Clone());
            var group = byPath["group.jpg"];
            Assert.Equal(("ok", 1, 2), (group.GetProperty("status").GetString(), group.GetProperty("faces").GetInt32(), group.GetProperty("skipReasons").GetProperty("not_reference").GetInt32()));
            var strangers = byPath["others/strangers.jpg"];
            Assert.Equal(("ok", 0), (strangers.GetProperty("status").GetString(), strangers.GetProperty("faces").GetInt32()));
            Assert.True(group.GetProperty("marked").GetBoolean());
            Assert.False(strangers.GetProperty("marked").GetBoolean());
        }

        Assert.Equal(ExitCodes.Usage, noReference.ExitCode);
        Assert.Equal("error: --faces reference needs at least one --reference FACE_IMAGE", noReference.StdErr.Trim());
    }

    [Fact]
    public async Task Key_missing_job_and_bad_request_errors_are_one_line_with_their_own_exit_codes()
    {
        var (source, input, output) = await NewBatchAsync();
        const string wrongKey = "wrong-key-that-must-never-be-printed";

        var badKey = await RunAsync(["jobs"], wrongKey);
        var readerSubmits = await RunAsync(["submit", "--source", source, "--input", input, "--output", output], ApiHost.ReadKey);
        var noKey = await RunAsync(["jobs"], key: null);
        var missing = await RunAsync(["status", "no-such-job"], ApiHost.ReadKey);
        var badRequest = await RunAsync(["submit", "--source", "inbox/nowhere/face.jpg", "--input", input, "--output", output], ApiHost.SubmitKey);
        var badOption = await RunAsync(["submit", "--source", "inbox/nowhere/face.jpg", "--input", input, "--output", output, "--batch-size", "0"], ApiHost.SubmitKey);

        Assert.Equal(ExitCodes.Auth, badKey.ExitCode);
        Assert.Contains("(401)", badKey.StdErr);
        Assert.DoesNotContain(wrongKey, badKey.StdErr + badKey.StdOut);
        Assert.Equal(ExitCodes.Auth, readerSubmits.ExitCode);
        Assert.Contains("(403)", readerSubmits.StdErr);
        Assert.Equal(ExitCodes.Auth, noKey.ExitCode);
        Assert.Contains("FACESWAP_API_KEY", noKey.StdErr);
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
        Assert.Contains("No such job (404): there is no job 'no-such-job'", missing.StdErr);
        Assert.Equal(ExitCodes.Usage, badRequest.ExitCode);
        Assert.Contains("(400)", badRequest.StdErr);
        Assert.Contains("source: no image at inbox/nowhere/face.jpg", badRequest.StdErr);

        // A value out of range never reaches the server: one line naming the option, the usage exit code.
        Assert.Equal(ExitCodes.Usage, badOption.ExitCode);
        Assert.Equal("error: --batch-size must be 1 to 64, not 0", badOption.StdErr.Trim());
        foreach (var run in new[] { badKey, readerSubmits, noKey, missing, badRequest, badOption })
        {
            var line = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line);
            Assert.Empty(run.StdOut);
        }
    }

    [Fact]
    public async Task A_refused_source_exits_with_the_exit_code_of_its_error_code()
    {
        var (_, input, output) = await NewBatchAsync();
        await server.Host.PutBytesAsync(input + "photo.jpg", TestPhotos.Small(1));
        var id = Guid.NewGuid().ToString("N")[..8];
        using var gradient = new OpenCvSharp.Mat(400, 400, OpenCvSharp.MatType.CV_8UC3, new OpenCvSharp.Scalar(90, 140, 200));
        await server.Host.PutBytesAsync($"inbox/blank-{id}/face.jpg", ImageCodec.Encode(gradient, ImageFormat.Jpeg));
        using (var engine = new EngineFixture())
        {
            // The leftmost face of demo photo 2 is turned to profile.
            await server.Host.PutBytesAsync($"inbox/profile-{id}/face.jpg", engine.CropFace(2, 0));
        }

        var blank = await RunAsync(["submit", "--source", $"inbox/blank-{id}/face.jpg", "--input", input, "--output", output], ApiHost.SubmitKey);
        var profile = await RunAsync(["submit", "--source", $"inbox/profile-{id}/face.jpg", "--input", input, "--output", output + "p/"], ApiHost.SubmitKey);

        Assert.Equal(ExitCodes.For(FaceSwapErrorKind.NoFace), blank.ExitCode);
        Assert.Equal(ExitCodes.For(FaceSwapErrorKind.PoorSource), profile.ExitCode);
        Assert.Contains("(422)", profile.StdErr);
    }

    [Fact]
    public void The_exit_code_of_an_api_error_follows_its_code_whatever_its_text_says()
    {
        static FaceSwapValidationException Refused(string? code, string detail) => new(HttpStatusCode.UnprocessableEntity, "The source face cannot be used", detail,
            extensions: code is null ? null : new Dictionary<string, JsonElement> { ["code"] = JsonSerializer.SerializeToElement(code) });

        Assert.Equal(ExitCodes.For(FaceSwapErrorKind.PoorSource), RemoteConnection.ExitCodeFor(Refused("poor_source", "no face found in the source image")));
        Assert.Equal(ExitCodes.For(FaceSwapErrorKind.NoFace), RemoteConnection.ExitCodeFor(Refused("no_face", "the source face is turned to profile")));
        Assert.Equal(ExitCodes.For(FaceSwapErrorKind.ModelMissing), RemoteConnection.ExitCodeFor(Refused("model_missing", "")));
        Assert.Equal(ExitCodes.Failure, RemoteConnection.ExitCodeFor(Refused("storage_error", "source face 'x': occluded.jpg is missing")));
        Assert.Equal(ExitCodes.Failure, RemoteConnection.ExitCodeFor(Refused(null, "the source face looks occluded")));
        Assert.Equal(ExitCodes.NotFound, RemoteConnection.ExitCodeFor(new FaceSwapNotFoundException("No such job", "there is no job 'x'")));
    }

    private async Task<(string Source, string Input, string Output)> NewBatchAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var source = $"inbox/faces-{id}/source.jpg";
        await server.Host.PutBytesAsync(source, TestPhotos.Small(3));
        return (source, $"inbox/photos-{id}/", $"outbox/photos-{id}/");
    }

    /// <summary>Runs faceswap against the fixture's server with <paramref name="key"/> (none when null) and a clean environment for the remote settings.</summary>
    private Task<CliProcess.Result> RunAsync(string[] args, string? key, string[]? environment = null)
    {
        var all = environment is null ? [.. args, "--server", server.Server] : args;
        return RunProcessAsync(key is null ? all : [.. all, "--api-key", key], environment ?? NoEnvironment);
    }

    private static async Task<CliProcess.Result> RunProcessAsync(string[] args, string[] environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "faceswap.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("FACESWAP_SERVER");
        start.Environment.Remove("FACESWAP_API_KEY");
        foreach (var variable in environment)
        {
            var equals = variable.IndexOf('=', StringComparison.Ordinal);
            start.Environment[variable[..equals]] = variable[(equals + 1)..];
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliProcess.Result(process.ExitCode, await stdout, await stderr);
    }
}
