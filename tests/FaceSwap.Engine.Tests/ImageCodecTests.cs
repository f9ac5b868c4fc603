using FaceSwap.Engine.Imaging;

namespace FaceSwap.Engine.Tests;

public sealed class ImageCodecTests
{
    [Fact]
    public void Exif_orientation_is_applied_on_decode()
    {
        var jpeg = TestImages.Gradient(300, 200);
        var rotated = TestImages.WithExifOrientation(jpeg, 6);
        using var plain = ImageCodec.Decode(jpeg);
        using var upright = ImageCodec.Decode(rotated);
        Assert.Equal((300, 200), (plain.Width, plain.Height));
        Assert.Equal((200, 300), (upright.Width, upright.Height));
        Assert.Equal((200, 300), ImageCodec.ReadSize(rotated));
    }

    [Theory]
    [InlineData("out.jpg", new byte[] { 0xFF, 0xD8 })]
    [InlineData("out.png", new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' })]
    [InlineData("out.webp", new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F' })]
    public void Writes_the_format_the_extension_names(string path, byte[] magic)
    {
        using var image = ImageCodec.Decode(TestImages.Gradient(64, 48));
        var bytes = ImageCodec.Encode(image, ImageCodec.FormatFromPath(path));
        Assert.Equal(magic, bytes[..magic.Length]);
        Assert.Equal((64, 48), ImageCodec.ReadSize(bytes));
    }

    [Fact]
    public void Bad_inputs_give_distinct_errors()
    {
        var jpeg = TestImages.Gradient(640, 480);
        Assert.Equal(FaceSwapErrorKind.NotAnImage, Assert.Throws<FaceSwapException>(() => ImageCodec.Decode("hello, not an image"u8.ToArray())).Kind);
        Assert.Equal(FaceSwapErrorKind.TruncatedImage, Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(jpeg[..(jpeg.Length / 2)])).Kind);
        var tooLarge = Assert.Throws<FaceSwapException>(() => ImageCodec.Decode(jpeg, maxPixels: 100_000));
        Assert.Equal(FaceSwapErrorKind.ImageTooLarge, tooLarge.Kind);
        Assert.Contains("640x480", tooLarge.Message);
        Assert.Equal(FaceSwapErrorKind.UnsupportedFormat, Assert.Throws<FaceSwapException>(() => ImageCodec.FormatFromPath("x.gif")).Kind);
    }
}
