using FaceSwap.Engine.Imaging;
using ImageMagick;

namespace FaceSwap.Engine.Tests;

/// <summary>
/// Inputs that look like photos but are not what their name says, animated, unsupported or enormous: each is refused
/// with its own code, from the header where it can be (issue 23, items 13 and 24).
/// </summary>
public sealed class PhotoFormatTests
{
    [Fact]
    public void A_gif_renamed_png_is_a_content_mismatch_and_a_gif_by_its_own_name_is_an_unsupported_format()
    {
        var gif = Encode(TestImages.Gradient(64, 48), MagickFormat.Gif);
        Assert.Equal("gif", ImageCodec.Sniff(gif));
        var renamed = Assert.Throws<FaceSwapException>(() => ImageCodec.CheckContentMatchesName(gif, "holiday.png"));
        Assert.Equal("content_mismatch", renamed.Code);

        ImageCodec.CheckContentMatchesName(gif, "holiday.gif");
        Assert.Equal("unsupported_format", Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(gif)).Code);
    }

    [Fact]
    public void A_tiff_is_an_unsupported_format_not_an_image_that_is_not_one()
    {
        var tiff = Encode(TestImages.Gradient(64, 48), MagickFormat.Tiff);
        Assert.Equal("tiff", ImageCodec.Sniff(tiff));
        Assert.Equal("unsupported_format", Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(tiff)).Code);
        Assert.Equal("unsupported_format", Assert.Throws<FaceSwapException>(() => ImageCodec.ReadSize(tiff)).Code);
        Assert.Equal("content_mismatch", Assert.Throws<FaceSwapException>(() => ImageCodec.CheckContentMatchesName(TestImages.Gradient(64, 48), "scan.tif")).Code);
    }

    [Fact]
    public void An_animated_webp_is_refused_as_animated_instead_of_losing_its_frames()
    {
        using var frames = new MagickImageCollection();
        foreach (var colour in new[] { MagickColors.Red, MagickColors.Blue, MagickColors.Green })
        {
            frames.Add(new MagickImage(colour, 64, 48) { AnimationDelay = 20 });
        }

        var animated = frames.ToByteArray(MagickFormat.WebP);
        Assert.Equal("webp", ImageCodec.Sniff(animated));
        var refused = Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(animated));
        Assert.Equal("animated_image", refused.Code);
        Assert.Contains("3 frames", refused.Message);

        // A still WebP is read as before.
        using var still = ImageCodec.Decode(TestImages.Gradient(64, 48, ImageFormat.Webp));
        Assert.Equal(64, still.Width);
    }

    [Fact]
    public void A_real_50000x50000_png_is_image_too_large_and_a_forged_header_is_still_header_mismatch()
    {
        // A real, complete 1-bit greyscale PNG of 50000x50000 (2.5 gigapixels): a few hundred KB, every row present.
        var real = TestImages.OneBitPng(50000, 50000);
        var tooLarge = Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(real));
        Assert.Equal("image_too_large", tooLarge.Code);
        Assert.Contains("50000x50000", tooLarge.Message);

        // The same header over a few KB of rows: no deflate stream packs 312 MB of rows into that.
        var forged = real[..4096];
        Assert.Equal("header_mismatch", Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(forged)).Code);
    }

    [Fact]
    public void Heic_and_avif_are_read_upright_with_their_size_from_the_header()
    {
        var heic = File.ReadAllBytes(Fixtures.HeicPhoto);
        Assert.Equal("heic", ImageCodec.Sniff(heic));
        Assert.Equal((960, 684), ImageCodec.ReadSize(heic));
        using var decoded = ImageCodec.Decode(heic);
        Assert.Equal((960, 684), (decoded.Width, decoded.Height));

        var avif = Fixtures.Avif(TestImages.Gradient(320, 200));
        Assert.Equal("avif", ImageCodec.Sniff(avif));
        Assert.Equal((320, 200), ImageCodec.ReadSize(avif));
        ImageCodec.CheckContentMatchesName(avif, "phone.avif");
        ImageCodec.CheckContentMatchesName(heic, "phone.heic");
        Assert.Equal("image_too_large", Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(heic, maxPixels: 100_000)).Code);
    }

    [Fact]
    public void A_truncated_or_damaged_heic_is_refused_with_a_code_and_its_metadata_is_not_carried()
    {
        var heic = File.ReadAllBytes(Fixtures.HeicPhoto);
        var truncated = heic[..(heic.Length / 2)];
        var refused = Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(truncated));
        Assert.Equal("corrupt_image", refused.Code);

        var damaged = (byte[])heic.Clone();
        Array.Fill(damaged, (byte)0x5A, 64, 512);
        Assert.Contains(Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(damaged)).Code, new[] { "corrupt_image", "not_an_image" });
        Assert.Equal(PhotoMetadata.None, PhotoMetadata.Read(damaged));
    }

    private static byte[] Encode(byte[] image, MagickFormat format)
    {
        using var magick = new MagickImage(image);
        return magick.ToByteArray(format);
    }
}
