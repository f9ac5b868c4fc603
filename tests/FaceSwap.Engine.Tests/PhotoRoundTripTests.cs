using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Icc;
using OpenCvSharp;
using SkiaSharp;
using Xunit.Abstractions;

namespace FaceSwap.Engine.Tests;

/// <summary>
/// Photos kept intact through a swap (issue 25, item 4): the camera's EXIF and the ICC profile read back by an
/// independent reader (MetadataExtractor), colours outside the faces of a Display-P3 photo measured unchanged,
/// transparency kept, HEIC and AVIF photos swapped.
/// </summary>
public sealed class PhotoRoundTripTests(EngineFixture fixture, ITestOutputHelper output) : IClassFixture<EngineFixture>
{
    private SourceFace Source => source ??= fixture.Engine.PrepareSource(fixture.CropFace(1, 0));
    private SourceFace? source;

    [Theory]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Webp)]
    public void The_cameras_exif_and_the_icc_profile_survive_the_swap_orientation_normalised_gps_kept_unless_stripped(ImageFormat format)
    {
        var photo = File.ReadAllBytes(TestAssets.Sample(1));
        var before = ImageMetadataReader.ReadMetadata(new MemoryStream(photo));
        var kept = Swap(photo, format, stripGps: false);
        var stripped = Swap(photo, format, stripGps: true);
        Assert.True(kept.Faces.Count(f => f.Swapped) >= 1);

        foreach (var (result, gps) in new[] { (kept, true), (stripped, false) })
        {
            var after = ImageMetadataReader.ReadMetadata(new MemoryStream(result.Output));
            Assert.Equal("SONY", Tag<ExifIfd0Directory>(after, ExifDirectoryBase.TagMake));
            Assert.Equal("ILCE-7M2", Tag<ExifIfd0Directory>(after, ExifDirectoryBase.TagModel));
            Assert.Equal(Tag<ExifSubIfdDirectory>(before, ExifDirectoryBase.TagDateTimeOriginal), Tag<ExifSubIfdDirectory>(after, ExifDirectoryBase.TagDateTimeOriginal));
            Assert.Equal(Tag<ExifSubIfdDirectory>(before, ExifDirectoryBase.TagLensModel), Tag<ExifSubIfdDirectory>(after, ExifDirectoryBase.TagLensModel));
            Assert.Equal("1", after.OfType<ExifIfd0Directory>().Single().GetString(ExifDirectoryBase.TagOrientation));
            Assert.Equal(gps, after.OfType<GpsDirectory>().Any(d => d.ContainsTag(GpsDirectory.TagLatitude)));

            var iccBefore = before.OfType<IccDirectory>().Single();
            var iccAfter = after.OfType<IccDirectory>().Single();
            Assert.Equal(iccBefore.GetDescription(IccDirectory.TagTagDesc), iccAfter.GetDescription(IccDirectory.TagTagDesc));
            Assert.Equal(iccBefore.GetInt32(IccDirectory.TagProfileByteCount), iccAfter.GetInt32(IccDirectory.TagProfileByteCount));
            output.WriteLine($"{format}: EXIF {Tag<ExifIfd0Directory>(after, ExifDirectoryBase.TagMake)} {Tag<ExifSubIfdDirectory>(after, ExifDirectoryBase.TagDateTimeOriginal)}, GPS {gps}, ICC '{iccAfter.GetDescription(IccDirectory.TagTagDesc)}'");
        }
    }

    [Fact]
    public void A_turned_photo_is_written_upright_with_orientation_1()
    {
        var turned = TestImages.WithExifOrientation(File.ReadAllBytes(TestAssets.Sample(1)), 6);
        var result = Swap(turned, ImageFormat.Jpeg, stripGps: false);
        Assert.Equal((1280, 1920), (result.Width, result.Height));
        var after = ImageMetadataReader.ReadMetadata(new MemoryStream(result.Output));
        Assert.Equal("1", after.OfType<ExifIfd0Directory>().Single().GetString(ExifDirectoryBase.TagOrientation));
        Assert.Equal((1280, 1920), ImageCodec.ReadSize(result.Output));
    }

    [Fact]
    public void A_display_p3_jpegs_colours_outside_the_faces_are_unchanged()
    {
        // Demo photo 2's pixels tagged as Display P3 (Skia writes the profile into the JPEG).
        using var pixels = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(2)));
        var p3 = SKColorSpace.CreateRgb(SKColorSpaceTransferFn.Srgb, SKColorSpaceXyz.DisplayP3);
        var photo = EncodeTagged(pixels, p3);
        Assert.NotNull(PhotoMetadata.Read(photo).Icc);

        var result = Swap(photo, ImageFormat.Jpeg, stripGps: false, watermark: false);
        Assert.True(result.Faces.Count(f => f.Swapped) >= 1);
        Assert.NotNull(PhotoMetadata.Read(result.Output).Icc);

        // Colour-managed decodes (as a viewer shows them), in sRGB, compared outside the swapped faces.
        using var shownBefore = DecodeToSrgb(photo, honourProfile: true);
        using var shownAfter = DecodeToSrgb(result.Output, honourProfile: true);
        using var profileLost = DecodeToSrgb(result.Output, honourProfile: false);
        using var outside = OutsideFaces(shownBefore.Size(), result.Faces);
        var kept = MeanDifference(shownBefore, shownAfter, outside);
        var lost = MeanDifference(shownBefore, profileLost, outside);
        output.WriteLine($"mean colour difference outside the faces: {kept:0.00} levels with the profile kept (JPEG re-encode only), {lost:0.00} had it been dropped");
        Assert.True(kept < 1.5, $"colours shifted by {kept:0.00} levels outside the faces");
        Assert.True(lost > 3 * kept, $"the test photo is not wide-gamut enough to show a shift ({lost:0.00})");
    }

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Webp)]
    public void Transparency_is_kept(ImageFormat format)
    {
        using var pixels = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(2)));
        using var alpha = new Mat(pixels.Size(), MatType.CV_8UC1, Scalar.All(0));
        Cv2.Ellipse(alpha, new RotatedRect(new Point2f(pixels.Width / 2f, pixels.Height / 2f), new Size2f(pixels.Width * 0.95f, pixels.Height * 0.95f), 0), Scalar.All(255), -1);
        Cv2.Rectangle(alpha, new Rect(0, 0, pixels.Width, 40), Scalar.All(128), -1);
        var photo = ImageCodec.Encode(pixels, format, 92, alpha);

        var result = Swap(photo, format, stripGps: false);
        Assert.True(result.Faces.Count(f => f.Swapped) >= 1);
        using var alphaAfter = ImageCodec.DecodeAlpha(result.Output);
        Assert.NotNull(alphaAfter);
        Assert.Equal(0, Cv2.Norm(alpha, alphaAfter!, NormTypes.INF));
    }

    [Fact]
    public void A_heic_photo_is_swapped_with_its_exif_and_profile()
    {
        var heic = File.ReadAllBytes(Fixtures.HeicPhoto);
        var result = Swap(heic, ImageFormat.Jpeg, stripGps: false);
        var swapped = result.Faces.Count(f => f.Swapped);
        Assert.True(swapped >= 1);
        Assert.Equal((960, 684), (result.Width, result.Height));
        var after = ImageMetadataReader.ReadMetadata(new MemoryStream(result.Output));
        Assert.Equal("SONY", Tag<ExifIfd0Directory>(after, ExifDirectoryBase.TagMake));
        Assert.Contains("sRGB", after.OfType<IccDirectory>().Single().GetDescription(IccDirectory.TagTagDesc));
        output.WriteLine($"HEIC: {swapped} of {result.Faces.Count} faces swapped, similarity after {string.Join(", ", result.Faces.Select(f => f.SimilarityAfter?.ToString("0.00") ?? "-"))}");
    }

    [Fact]
    public void An_avif_photo_is_swapped()
    {
        var avif = Fixtures.Avif(File.ReadAllBytes(TestAssets.Sample(2)));
        var result = Swap(avif, ImageFormat.Jpeg, stripGps: false);
        var swapped = result.Faces.Count(f => f.Swapped);
        Assert.True(swapped >= 1);
        var after = ImageMetadataReader.ReadMetadata(new MemoryStream(result.Output));
        Assert.Equal("SONY", Tag<ExifIfd0Directory>(after, ExifDirectoryBase.TagMake));
        output.WriteLine($"AVIF ({avif.Length} bytes): {swapped} of {result.Faces.Count} faces swapped");
    }

    private SwapResult Swap(byte[] photo, ImageFormat format, bool stripGps, bool watermark = true) =>
        fixture.Engine.Swap(photo, Source, new SwapRequest
        {
            OutputFormat = format,
            StripGps = stripGps,
            JobId = "photo-round-trip",
            Watermark = watermark,
            MeasureAfter = true,
        });

    private static string? Tag<T>(IEnumerable<MetadataExtractor.Directory> directories, int tag) where T : MetadataExtractor.Directory =>
        directories.OfType<T>().FirstOrDefault()?.GetDescription(tag);

    private static byte[] EncodeTagged(Mat bgr, SKColorSpace colorSpace)
    {
        using var bgra = new Mat();
        Cv2.CvtColor(bgr, bgra, ColorConversionCodes.BGR2BGRA);
        var info = new SKImageInfo(bgra.Width, bgra.Height, SKColorType.Bgra8888, SKAlphaType.Opaque, colorSpace);
        using var pixmap = new SKPixmap(info, bgra.Data, (int)bgra.Step());
        using var data = pixmap.Encode(SKEncodedImageFormat.Jpeg, 95)!;
        return data.ToArray();
    }

    /// <summary>Decodes into sRGB: converted through the file's ICC profile, or (<paramref name="honourProfile"/> false) taken as sRGB as it is.</summary>
    private static Mat DecodeToSrgb(byte[] data, bool honourProfile)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(data))!;
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Bgra8888, SKAlphaType.Opaque, honourProfile ? SKColorSpace.CreateSrgb() : null);
        var bgra = new Mat(info.Height, info.Width, MatType.CV_8UC4);
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, bgra.Data));
        var bgr = new Mat();
        Cv2.CvtColor(bgra, bgr, ColorConversionCodes.BGRA2BGR);
        bgra.Dispose();
        return bgr;
    }

    /// <summary>A mask of everything but the swapped faces, each box grown by 60% (the blend reaches past the box).</summary>
    private static Mat OutsideFaces(Size size, IEnumerable<FaceReport> faces)
    {
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(255));
        foreach (var face in faces.Where(f => f.Swapped))
        {
            var (x, y, w, h) = (face.Box[0], face.Box[1], face.Box[2], face.Box[3]);
            Cv2.Rectangle(mask, new Rect(x - w * 3 / 10, y - h * 3 / 10, w * 16 / 10, h * 16 / 10), Scalar.All(0), -1);
        }

        return mask;
    }

    private static double MeanDifference(Mat a, Mat b, Mat mask)
    {
        using var difference = new Mat();
        Cv2.Absdiff(a, b, difference);
        var mean = Cv2.Mean(difference, mask);
        return (mean.Val0 + mean.Val1 + mean.Val2) / 3;
    }
}
