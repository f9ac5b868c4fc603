using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using FaceSwap.Testing;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>
/// Issue 23 as a user meets it with `faceswap run`: real folders, symbolic links, a FIFO, signals to the real process,
/// a disk that is full. Each test would have failed before its fix.
/// </summary>
public sealed partial class RunSafetyTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-run-safety-");

    private string Input => Path.Combine(work.FullName, "in");

    private string Output => Path.Combine(work.FullName, "out");

    [Fact]
    public async Task An_output_that_overlaps_the_input_is_refused_with_its_code_and_no_original_changes()
    {
        // Item 3: the input's parent, a symbolic link to the input, a folder inside it, the input itself.
        var photos = BuildInput(count: 2);
        var before = photos.ToDictionary(p => p, Sha256);
        var link = Path.Combine(work.FullName, "link-to-in");
        Directory.CreateSymbolicLink(link, Input);

        foreach (var output in new[] { work.FullName, link, Path.Combine(Input, "swapped"), Input })
        {
            var run = await RunAsync("--output", output);

            Assert.True(run.ExitCode == ExitCodes.Usage, $"--output {output}: exit {run.ExitCode}\n{run.StdErr}");
            Assert.Contains("(output_overlaps_input)", run.StdErr, StringComparison.Ordinal);
            Assert.Single(Lines(run.StdErr));
        }

        Assert.All(before, kv => Assert.Equal(kv.Value, Sha256(kv.Key)));
        Assert.Equal(photos.Order(), Directory.EnumerateFiles(Input, "*", SearchOption.AllDirectories).Order());
    }

    [Fact]
    public async Task Files_at_output_paths_that_FaceSwap_did_not_write_are_kept_as_not_ours_unless_overwrite()
    {
        // Item 3: an output folder that already holds someone's photos under the same names.
        BuildInput(count: 2);
        var theirs = Path.Combine(Output, "set0", "deep", "photo0.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(theirs)!);
        File.Copy(TestAssets.Sample(4), theirs);
        var original = Sha256(theirs);

        var kept = await RunAsync("--output", Output);

        Assert.True(kept.ExitCode == 0, kept.StdErr);
        Assert.Equal(original, Sha256(theirs));
        var outcome = Outcomes(Output).Single(o => o.GetProperty("path").GetString() == "set0/deep/photo0.jpg");
        Assert.Equal("skipped", outcome.GetProperty("status").GetString());
        Assert.Equal("not_ours", outcome.GetProperty("errorClass").GetString());
        Assert.Contains("not_ours", kept.StdErr, StringComparison.Ordinal);
        Assert.Equal(1, LatestSummary(Output).GetProperty("counts").GetProperty("ok").GetInt32());

        var replaced = await RunAsync("--output", Output, "--overwrite");

        Assert.True(replaced.ExitCode == 0, replaced.StdErr);
        Assert.NotEqual(original, Sha256(theirs));
        var counts = LatestSummary(Output).GetProperty("counts");
        Assert.Equal(1, counts.GetProperty("ok").GetInt32());
        Assert.Equal(1, counts.GetProperty("skipped").GetInt32()); // the output FaceSwap wrote the first time

        // A FaceSwap output whose stored metadata is lost (a crash between image and sidecar) still carries the job's
        // XMP: it is redone, not kept as someone else's.
        Directory.Delete(Path.Combine(Output, "set1", ".faceswap-meta"), recursive: true);

        var redone = await RunAsync("--output", Output);

        Assert.True(redone.ExitCode == 0, redone.StdErr);
        var last = Outcomes(Output).Single(o => o.GetProperty("path").GetString() == "set1/photo1.jpg");
        Assert.Equal("ok", last.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Run_max_pixels_reaches_every_image_one_over_it_is_image_too_large_and_one_under_it_is_swapped()
    {
        // Item 5 from the real process: the job's limit, between the two photos' sizes, is the one applied.
        var photos = BuildInput(count: 2);
        var pixels = photos.ToDictionary(p => Path.GetRelativePath(Input, p).Replace('\\', '/'), p =>
        {
            var (width, height) = ImageCodec.ReadSize(File.ReadAllBytes(p));
            return (long)width * height;
        });
        Assert.NotEqual(pixels.Values.Min(), pixels.Values.Max());
        var limit = (pixels.Values.Min() + pixels.Values.Max()) / 2;

        var run = await RunAsync("--output", Output, "--max-pixels", limit.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(run.ExitCode != ExitCodes.Usage, run.StdErr);
        var outcomes = Outcomes(Output).ToDictionary(o => o.GetProperty("path").GetString()!);
        foreach (var (path, size) in pixels)
        {
            var outcome = outcomes[path];
            if (size > limit)
            {
                Assert.Equal("image_too_large", outcome.GetProperty("errorClass").GetString());
                Assert.False(File.Exists(Path.Combine(Output, path)));
            }
            else
            {
                Assert.Equal("ok", outcome.GetProperty("status").GetString());
                Assert.True(File.Exists(Path.Combine(Output, path)));
            }
        }
    }

    [Fact]
    public async Task A_metadata_folder_link_planted_in_the_output_leads_no_write_outside_it()
    {
        // Item 4: out/set1/.faceswap-meta -> a folder elsewhere; the image there fails, nothing is written outside.
        BuildInput(count: 2);
        var elsewhere = Path.Combine(work.FullName, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        Directory.CreateDirectory(Path.Combine(Output, "set1"));
        Directory.CreateSymbolicLink(Path.Combine(Output, "set1", ".faceswap-meta"), elsewhere);

        var run = await RunAsync("--output", Output);

        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
        Assert.False(File.Exists(Path.Combine(Output, "set1", "photo1.jpg")));
        var outcome = Outcomes(Output).Single(o => o.GetProperty("path").GetString() == "set1/photo1.jpg");
        Assert.Equal("failed", outcome.GetProperty("status").GetString());
        Assert.Equal("invalid_path", outcome.GetProperty("errorClass").GetString());
        Assert.True(File.Exists(Path.Combine(Output, "set0", "deep", "photo0.jpg")));
    }

    [Fact]
    public async Task A_fifo_named_like_a_photo_in_the_input_is_left_alone_and_the_job_finishes()
    {
        // Item 8: before, listing it and opening it for reading waited for a writer forever.
        BuildInput(count: 1);
        SpecialFiles.MakeFifo(Path.Combine(Input, "pipe.jpg"));

        var run = await RunAsync("--output", Output);

        Assert.True(run.ExitCode == 0, run.StdErr);
        var counts = LatestSummary(Output).GetProperty("counts");
        Assert.Equal(1, counts.GetProperty("discovered").GetInt32());
        Assert.Equal(1, counts.GetProperty("ok").GetInt32());
        Assert.False(File.Exists(Path.Combine(Output, "pipe.jpg")));
    }

    [Theory]
    [InlineData("--concurrency", "100000", "--concurrency must be 0 to 256, not 100000")]
    [InlineData("--prefetch", "2e9", "'2e9' for option '--prefetch'")]
    [InlineData("--prefetch", "2000000000", "--prefetch must be 1 to 1024, not 2000000000")]
    [InlineData("--batch-size", "-1", "--batch-size must be 1 to 64, not -1")]
    public async Task An_option_out_of_range_is_a_one_line_usage_error_before_anything_starts(string option, string value, string message)
    {
        // Item 11: before, --concurrency 100000 aborted with "Out of memory" (exit 134), --prefetch 2e9 was kept as
        // given and --batch-size -1 silently became 1.
        BuildInput(count: 1);

        var run = await RunAsync("--output", Output, option, value);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(message, Assert.Single(Lines(run.StdErr)), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output));
    }

    [Theory]
    [InlineData("TERM", ExitCodes.Terminated)]
    [InlineData("INT", ExitCodes.Cancelled)]
    public async Task A_signal_mid_run_stops_cleanly_and_the_counts_printed_are_those_of_summary_json_and_the_disk(string signal, int exitCode)
    {
        // Item 14 (and 6): SIGTERM crashed the CLI; Ctrl+C printed counts that summary.json and the outputs on disk did
        // not agree with (images in flight at the stop were written but not counted).
        // Photos each of its own content (none from the repeat-image cache): a run long enough to be stopped mid-way.
        BuildInput(count: 12);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "faceswap.dll"));
        foreach (var arg in Arguments("--output", Output, "--concurrency", "1", "--batch-size", "1", "--prefetch", "4"))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (OutputFiles().Count < 1 && DateTime.UtcNow < deadline && !process.HasExited)
        {
            await Task.Delay(20);
        }

        if (process.HasExited)
        {
            Assert.Fail("the run finished before the signal: " + await stderr);
        }

        Assert.True(Kill(process.Id, signal == "TERM" ? 15 : 2) == 0, $"kill({process.Id}) failed: errno {Marshal.GetLastPInvokeError()}");

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var (output, errors) = (await stdout, await stderr);

        Assert.True(process.ExitCode == exitCode, $"exit {process.ExitCode}\n{errors}");
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        var summary = LatestSummary(Output);
        Assert.Equal("cancelled", summary.GetProperty("state").GetString());
        var counts = summary.GetProperty("counts");
        var printed = PrintedCounts().Match(output);
        Assert.True(printed.Success, output);
        Assert.Equal(counts.GetProperty("ok").GetInt32(), int.Parse(printed.Groups["ok"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(counts.GetProperty("faces").GetInt32(), int.Parse(printed.Groups["faces"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(counts.GetProperty("failed").GetInt32(), int.Parse(printed.Groups["failed"].Value, System.Globalization.CultureInfo.InvariantCulture));

        // Every output on disk is counted: the images in flight at the stop finished and were recorded.
        Assert.Equal(counts.GetProperty("ok").GetInt32(), OutputFiles().Count);
        Assert.Equal(OutputFiles().Count, Outcomes(Output).Count(o => o.GetProperty("status").GetString() == "ok"));
        Assert.InRange(OutputFiles().Count, 1, 11);
    }

    [Fact]
    public async Task A_full_disk_at_start_is_one_line_without_a_stack_trace()
    {
        // Item 14: the output on a file system with no room left (a 512 KB tmpfs, filled), mounted in a private mount
        // namespace by unshare(1), as an unprivileged user may.
        BuildInput(count: 1);
        var script = Path.Combine(work.FullName, "full.sh");
        var mount = Path.Combine(work.FullName, "full");
        var args = string.Join(' ', Arguments("--output", Path.Combine(mount, "out")).Select(a => $"'{a}'"));
        await File.WriteAllTextAsync(script, $"""
            mkdir -p '{mount}' && mount -t tmpfs -o size=512k tmpfs '{mount}' || exit 99
            dd if=/dev/zero of='{mount}/filler' bs=1k count=1024 2>/dev/null
            exec dotnet '{Path.Combine(AppContext.BaseDirectory, "faceswap.dll")}' {args}
            """);
        var start = new ProcessStartInfo("unshare", ["--user", "--map-root-user", "--mount", "bash", script]) { RedirectStandardOutput = true, RedirectStandardError = true };

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        var errors = await stderr;

        Assert.True(process.ExitCode != 99, "this machine does not allow a private tmpfs (unshare --user --mount): " + errors);
        Assert.Equal(ExitCodes.DiskFull, process.ExitCode);
        var line = Assert.Single(Lines(errors));
        Assert.StartsWith("error: no space left on the disk", line, StringComparison.Ordinal);
    }

    /// <summary>kill(2): sends a signal to the process, as `kill` in a shell does.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"cancelled: \d+ images, (?<ok>\d+) swapped \((?<faces>\d+) faces\), \d+ without a face, (?<failed>\d+) failed")]
    private static partial Regex PrintedCounts();

    private Task<CliProcess.Result> RunAsync(params string[] extra) => CliProcess.RunAsync(Arguments(extra));

    private string[] Arguments(params string[] extra) =>
        ["run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3), "--input", Input, .. extra];

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private List<string> BuildInput(int count)
    {
        var paths = new List<string>();
        for (var i = 0; i < count; i++)
        {
            // A mark in a corner makes every photo's content its own, so none comes from the repeat-image cache and a
            // run takes long enough to be stopped mid-way.
            var path = Path.Combine(Input, $"set{i % 3}", i % 2 == 0 ? "deep" : string.Empty, $"photo{i}.jpg");
            paths.Add(DemoPhotos.Write(path, DemoPhotos.HalfSize(i % 4 + 1, mark: i)));
        }

        return paths;
    }

    private List<string> OutputFiles() => Directory.Exists(Output)
        ? Directory.EnumerateFiles(Output, "*.jpg", SearchOption.AllDirectories).Where(p => !p.Contains("_faceswap", StringComparison.Ordinal)).ToList()
        : [];

    private static JsonElement LatestSummary(string output)
    {
        var file = Directory.EnumerateFiles(Path.Combine(output, "_faceswap"), "summary.json", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        return JsonDocument.Parse(File.ReadAllText(file)).RootElement.Clone();
    }

    private static List<JsonElement> Outcomes(string output)
    {
        var file = Directory.EnumerateFiles(Path.Combine(output, "_faceswap"), "outcomes.jsonl", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        return File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    public void Dispose() => work.Delete(recursive: true);
}
