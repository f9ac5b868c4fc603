using System.Security.Cryptography;
using System.Text.Json;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using ImageMagick;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>
/// `faceswap run` over a folder of what phones and cameras leave behind (issue 23 items 13 and 24, issue 25 item 4):
/// the real process, real files, every file in the outcomes with its own code.
/// </summary>
public sealed class RunPhotoTests : IDisposable
{
    private readonly DirectoryInfo work = System.IO.Directory.CreateTempSubdirectory("faceswap-run-photos-");

    private string Input => Path.Combine(work.FullName, "in");

    [Fact]
    public async Task Every_photo_like_file_is_in_the_outcomes_heic_and_avif_are_swapped_and_the_others_have_their_own_code()
    {
        var small = DemoPhotos.HalfSize(2);
        Write("group.jpg", small);
        Write("phone/IMG_0001.heic", File.ReadAllBytes(Fixtures.HeicPhoto));
        Write("phone/IMG_0002.avif", Fixtures.Avif(small));
        Write("scans/page.tif", Convert(small, MagickFormat.Tiff));
        Write("scans/party.gif", Convert(small, MagickFormat.Gif));
        Write("renamed-gif.png", Convert(small, MagickFormat.Gif));
        Write("moving.webp", AnimatedWebp());
        Write("huge.png", TestImages.OneBitPng(50000, 50000));
        var output = Path.Combine(work.FullName, "out");

        var run = await CliProcess.RunAsync(Arguments(output));

        Assert.True(run.ExitCode == 0, run.StdErr);
        var outcomes = Outcomes(output);
        Assert.Equal(8, outcomes.Count);
        Assert.Equal(("ok", null), Outcome(outcomes, "phone/IMG_0001.heic"));
        Assert.Equal(("ok", null), Outcome(outcomes, "phone/IMG_0002.avif"));
        Assert.Equal(("failed", "unsupported_format"), Outcome(outcomes, "scans/page.tif"));
        Assert.Equal(("failed", "unsupported_format"), Outcome(outcomes, "scans/party.gif"));
        Assert.Equal(("failed", "content_mismatch"), Outcome(outcomes, "renamed-gif.png"));
        Assert.Equal(("failed", "animated_image"), Outcome(outcomes, "moving.webp"));
        Assert.Equal(("failed", "image_too_large"), Outcome(outcomes, "huge.png"));

        // HEIC and AVIF are written as JPEG (the engine writes no HEIF), named so, with the camera's EXIF.
        Assert.Equal("phone/IMG_0001.jpg", outcomes["phone/IMG_0001.heic"].GetProperty("output").GetString());
        var heicOut = File.ReadAllBytes(Path.Combine(output, "phone", "IMG_0001.jpg"));
        Assert.Equal("jpeg", ImageCodec.Sniff(heicOut));
        Assert.Equal("SONY", ImageMetadataReader.ReadMetadata(new MemoryStream(heicOut)).OfType<ExifIfd0Directory>().Single().GetDescription(ExifDirectoryBase.TagMake));
        Assert.True(File.Exists(Path.Combine(output, "phone", "IMG_0002.jpg")));
        Assert.False(File.Exists(Path.Combine(output, "scans", "page.tif")));
    }

    [Fact]
    public async Task Format_quality_strip_gps_and_copy_unswapped_shape_the_outputs()
    {
        Write("group.jpg", File.ReadAllBytes(TestAssets.Sample(2)));
        var landscape = TestImages.Gradient(640, 480);
        Write("landscape.jpg", landscape);

        // --format png --strip-gps --copy-unswapped: the photo becomes group.png without GPS, the landscape is copied as it is.
        var png = Path.Combine(work.FullName, "png");
        var run = await CliProcess.RunAsync([.. Arguments(png), "--format", "png", "--strip-gps", "--copy-unswapped"]);
        Assert.True(run.ExitCode == 0, run.StdErr);
        var outcomes = Outcomes(png);
        Assert.Equal("group.png", outcomes["group.jpg"].GetProperty("output").GetString());
        var written = File.ReadAllBytes(Path.Combine(png, "group.png"));
        Assert.Equal("png", ImageCodec.Sniff(written));
        var metadata = ImageMetadataReader.ReadMetadata(new MemoryStream(written));
        Assert.Equal("SONY", metadata.OfType<ExifIfd0Directory>().Single().GetDescription(ExifDirectoryBase.TagMake));
        Assert.DoesNotContain(metadata, d => d is GpsDirectory gps && gps.ContainsTag(GpsDirectory.TagLatitude));
        Assert.False(File.Exists(Path.Combine(png, "group.jpg")));

        Assert.Equal("no_face", outcomes["landscape.jpg"].GetProperty("status").GetString());
        Assert.True(outcomes["landscape.jpg"].GetProperty("untouched").GetBoolean());
        Assert.Equal(Sha256(landscape), Sha256(File.ReadAllBytes(Path.Combine(png, "landscape.jpg"))));

        // A copy never replaces someone's file: with --format png the swap's output path was free, the copy's is not.
        var theirs = Path.Combine(work.FullName, "theirs");
        System.IO.Directory.CreateDirectory(theirs);
        var their = File.ReadAllBytes(TestAssets.Sample(4));
        File.WriteAllBytes(Path.Combine(theirs, "landscape.jpg"), their);
        Assert.Equal(0, (await CliProcess.RunAsync([.. Arguments(theirs), "--format", "png", "--copy-unswapped"])).ExitCode);
        Assert.Equal(Sha256(their), Sha256(File.ReadAllBytes(Path.Combine(theirs, "landscape.jpg"))));
        Assert.Equal("not_ours", Outcomes(theirs)["landscape.jpg"].GetProperty("errorClass").GetString());

        // --quality: the same job at 40 and at 95 gives visibly different JPEG sizes; without --copy-unswapped no copy.
        var low = Path.Combine(work.FullName, "q40");
        var high = Path.Combine(work.FullName, "q95");
        Assert.Equal(0, (await CliProcess.RunAsync([.. Arguments(low), "--quality", "40"])).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync([.. Arguments(high), "--quality", "95"])).ExitCode);
        var (lowBytes, highBytes) = (new FileInfo(Path.Combine(low, "group.jpg")).Length, new FileInfo(Path.Combine(high, "group.jpg")).Length);
        Assert.True(highBytes > 2 * lowBytes, $"quality 95: {highBytes} bytes, quality 40: {lowBytes} bytes");
        Assert.False(File.Exists(Path.Combine(low, "landscape.jpg")));

        var refused = await CliProcess.RunAsync([.. Arguments(Path.Combine(work.FullName, "bad")), "--format", "tiff"]);
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("'tiff'", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("'webp'", refused.StdErr, StringComparison.Ordinal);
    }

    private string[] Arguments(string output) =>
        ["run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3), "--input", Input, "--output", output];

    private void Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(Input, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private static byte[] Convert(byte[] image, MagickFormat format)
    {
        using var magick = new MagickImage(image);
        return magick.ToByteArray(format);
    }

    private static byte[] AnimatedWebp()
    {
        using var frames = new MagickImageCollection();
        frames.Add(new MagickImage(MagickColors.Red, 64, 48) { AnimationDelay = 20 });
        frames.Add(new MagickImage(MagickColors.Blue, 64, 48) { AnimationDelay = 20 });
        return frames.ToByteArray(MagickFormat.WebP);
    }

    private static (string?, string?) Outcome(Dictionary<string, JsonElement> outcomes, string path) =>
        (outcomes[path].GetProperty("status").GetString(), outcomes[path].TryGetProperty("errorClass", out var code) ? code.GetString() : null);

    private static Dictionary<string, JsonElement> Outcomes(string output)
    {
        var file = System.IO.Directory.EnumerateFiles(Path.Combine(output, "_faceswap"), "outcomes.jsonl", SearchOption.AllDirectories).Single();
        return File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .ToDictionary(o => o.GetProperty("path").GetString()!);
    }

    private static string Sha256(byte[] bytes) => System.Convert.ToHexStringLower(SHA256.HashData(bytes));

    public void Dispose() => work.Delete(recursive: true);
}
