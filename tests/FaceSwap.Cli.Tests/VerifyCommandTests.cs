using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Safety;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>`faceswap verify`: the metadata mark and the watermark, on marked files, stripped copies and originals.</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-verify-");

    [Fact]
    public async Task Verify_reports_the_metadata_mark_and_the_watermark_and_fails_on_unmarked_files()
    {
        using var photo = ImageCodec.Decode(await File.ReadAllBytesAsync(TestAssets.Sample(4)));
        Watermark.Embed(photo, "verify-job-1");
        var marked = Write("marked.jpg", XmpMarker.Mark(ImageCodec.Encode(photo, ImageFormat.Jpeg), ImageFormat.Jpeg, "verify-job-1", watermarked: true));
        // Metadata stripped by a re-encode at quality 75 and half size: only the watermark is left.
        using var half = new Mat();
        Cv2.Resize(photo, half, new Size(photo.Width / 2, photo.Height / 2), 0, 0, InterpolationFlags.Area);
        var stripped = Write("stripped.jpg", ImageCodec.Encode(half, ImageFormat.Jpeg, 75));

        var run = await CliProcess.RunAsync("verify", marked, stripped);

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        var blocks = run.StdOut.Split(work.FullName, StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("metadata:  AI-generated (IPTC DigitalSourceType trainedAlgorithmicMedia), job verify-job-1", blocks[0]);
        Assert.Contains($"watermark: found, job tag {Watermark.JobTag("verify-job-1")} (matches job verify-job-1), confidence", blocks[0]);
        Assert.Contains("metadata:  not found", blocks[1]);
        Assert.Contains($"watermark: found, job tag {Watermark.JobTag("verify-job-1")}", blocks[1]);

        var original = await CliProcess.RunAsync("verify", TestAssets.Sample(1), "--json");
        Assert.Equal(6, original.ExitCode);
        Assert.Contains("\"found\":false", original.StdOut);
        Assert.DoesNotContain("\"found\":true", original.StdOut);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(work.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <inheritdoc />
    public void Dispose() => work.Delete(recursive: true);
}
