using System.Diagnostics;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Safety;
using MetadataExtractor;
using MetadataExtractor.Formats.Xmp;
using OpenCvSharp;
using Xunit.Abstractions;

namespace FaceSwap.Engine.Tests;

/// <summary>The provenance marks: XMP metadata in every format, and the invisible watermark's robustness.</summary>
public sealed class SafetyTests(EngineFixture fixture, ITestOutputHelper output) : IClassFixture<EngineFixture>
{
    private const string IptcExt = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";

    [Theory]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Webp)]
    public void XmpMarkRoundTripsThroughAnIndependentReader(ImageFormat format)
    {
        using var photo = Half(ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(2))));
        var marked = XmpMarker.Mark(ImageCodec.Encode(photo, format), format, "job-xmp-7", watermarked: true);

        // MetadataExtractor finds the XMP where each format keeps it (APP1, iTXt, the WebP XMP chunk).
        var directories = ImageMetadataReader.ReadMetadata(new MemoryStream(marked));
        var xmp = directories.OfType<XmpDirectory>().Single().XmpMeta!;
        Assert.Equal(XmpMarker.TrainedAlgorithmicMedia, xmp.GetPropertyString(IptcExt, "DigitalSourceType"));
        Assert.Equal("job-xmp-7", xmp.GetPropertyString(XmpMarker.FaceSwapNamespace, "JobId"));
        Assert.Contains("AI-generated", xmp.GetLocalizedText("http://purl.org/dc/elements/1.1/", "description", null, "x-default").Value);

        // Our own reader (used by `faceswap verify`) agrees, and the image still decodes to the same pixels' size.
        var read = XmpMarker.Read(marked);
        Assert.True(read.Found);
        Assert.Equal("job-xmp-7", read.JobId);
        using var decoded = ImageCodec.Decode(marked);
        Assert.Equal((photo.Width, photo.Height), (decoded.Width, decoded.Height));
        if (format == ImageFormat.Png)
        {
            using var original = ImageCodec.Decode(ImageCodec.Encode(photo, format));
            Assert.Equal(0, Cv2.Norm(original, decoded, NormTypes.INF));
        }
    }

    [Fact]
    public void UnmarkedImagesHaveNoProvenanceMark()
    {
        Assert.False(XmpMarker.Read(File.ReadAllBytes(TestAssets.Sample(1))).Found);
    }

    [Fact]
    public void EngineOutputsCarryMetadataAndWatermark()
    {
        var source = fixture.Engine.PrepareSource(fixture.CropFace(1, 0));
        var result = fixture.Engine.Swap(File.ReadAllBytes(TestAssets.Sample(3)), source,
            new SwapRequest { JobId = "engine-job-1", Watermark = true, OutputFormat = ImageFormat.Jpeg, Faces = FaceSelection.Largest, MeasureAfter = false });
        var meta = XmpMarker.Read(result.Output);
        Assert.True(meta.Found);
        Assert.Equal("engine-job-1", meta.JobId);
        using var image = ImageCodec.Decode(result.Output);
        var reading = Watermark.Detect(image);
        Assert.True(reading.Found, $"score {reading.Score}");
        Assert.Equal(Watermark.JobTag("engine-job-1"), reading.JobTag);
    }

    [Fact]
    public void An_output_with_no_face_replaced_carries_neither_the_metadata_mark_nor_the_watermark()
    {
        var source = fixture.Engine.PrepareSource(fixture.CropFace(1, 0));
        var result = fixture.Engine.Swap(File.ReadAllBytes(TestAssets.Sample(3)), source,
            new SwapRequest { JobId = "engine-job-2", Watermark = true, OutputFormat = ImageFormat.Jpeg, MinFace = 100_000, MeasureAfter = false });

        Assert.NotEmpty(result.Faces);
        Assert.DoesNotContain(result.Faces, f => f.Swapped);
        Assert.False(result.Marked);
        Assert.False(XmpMarker.Read(result.Output).Found);
        using var image = ImageCodec.Decode(result.Output);
        Assert.False(Watermark.Detect(image).Found);
    }

    [Fact]
    public void WatermarkSurvivesJpeg75AndHalfSizeWithoutFalsePositives()
    {
        var watch = Stopwatch.StartNew();
        string[] jobs = ["job-a", "20260101-1200-abcd", "nightly-batch-42", "customer_77-run-3"];
        int q75Found = 0, halfFound = 0, trials = 0, falsePositives = 0, negatives = 0;
        double minMarked = double.MaxValue, maxUnmarked = 0, minPsnr = double.MaxValue;
        for (var sample = 1; sample <= 4; sample++)
        {
            using var original = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(sample)));
            foreach (var unmarked in Variants(original))
            {
                var reading = Watermark.Detect(unmarked);
                negatives++;
                maxUnmarked = Math.Max(maxUnmarked, reading.Score);
                falsePositives += reading.Found ? 1 : 0;
                unmarked.Dispose();
            }

            foreach (var job in jobs)
            {
                using var marked = original.Clone();
                Watermark.Embed(marked, job);
                minPsnr = Math.Min(minPsnr, Cv2.PSNR(original, marked));
                // As written by a job (quality 92), then the two attacks.
                using var written = ImageCodec.Decode(ImageCodec.Encode(marked, ImageFormat.Jpeg, 92));
                var variants = Variants(written);
                trials++;
                var q75 = Watermark.Detect(variants[1]);
                var half = Watermark.Detect(variants[2]);
                minMarked = Math.Min(minMarked, Math.Min(q75.Score, half.Score));
                q75Found += q75.Found && q75.JobTag == Watermark.JobTag(job) ? 1 : 0;
                halfFound += half.Found && half.JobTag == Watermark.JobTag(job) ? 1 : 0;
                variants.ForEach(v => v.Dispose());
            }
        }

        output.WriteLine($"watermark: JPEG q75 {q75Found}/{trials}, half size {halfFound}/{trials}; lowest marked score {minMarked:0.00}; " +
            $"false positives {falsePositives}/{negatives}, highest unmarked score {maxUnmarked:0.00} (threshold {Watermark.Threshold}); PSNR of the mark at least {minPsnr:0.0} dB; {watch.Elapsed.TotalSeconds:0.0}s");
        Assert.Equal(0, falsePositives);
        Assert.True(minPsnr > 40, $"the watermark is visible: PSNR {minPsnr:0.0} dB");
        Assert.True(q75Found >= 0.95 * trials, $"q75: {q75Found}/{trials}");
        Assert.True(halfFound >= 0.95 * trials, $"half: {halfFound}/{trials}");
    }

    /// <summary>The image itself, re-encoded as JPEG at quality 75, and scaled to half size (then JPEG 75 as well).</summary>
    private static List<Mat> Variants(Mat image)
    {
        var q75 = ImageCodec.Decode(ImageCodec.Encode(image, ImageFormat.Jpeg, 75));
        using var half = new Mat();
        Cv2.Resize(image, half, new Size(image.Width / 2, image.Height / 2), 0, 0, InterpolationFlags.Area);
        var halfJpeg = ImageCodec.Decode(ImageCodec.Encode(half, ImageFormat.Jpeg, 75));
        return [image.Clone(), q75, halfJpeg];
    }

    private static Mat Half(Mat image)
    {
        var half = new Mat();
        Cv2.Resize(image, half, new Size(image.Width / 2, image.Height / 2), 0, 0, InterpolationFlags.Area);
        image.Dispose();
        return half;
    }
}
