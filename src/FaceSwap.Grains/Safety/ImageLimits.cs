using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;

namespace FaceSwap.Grains.Safety;

/// <summary>Pixel limits checked from an image's header, before anything decodes it.</summary>
public static class ImageLimits
{
    /// <summary>
    /// Refuses an image whose header declares more than <paramref name="maxPixels"/> pixels, with the engine's own
    /// error (<c>image_too_large</c>, or <c>header_mismatch</c> for a header the file cannot back), without decoding a
    /// pixel. Bytes that are not a readable image pass: whoever decodes them next reports that in its own words.
    /// </summary>
    /// <exception cref="FaceSwapException">The header declares more pixels than allowed.</exception>
    public static void RefuseOverLimit(byte[] data, long maxPixels)
    {
        (int Width, int Height) size;
        try
        {
            size = ImageCodec.ReadSize(data);
        }
        catch (FaceSwapException)
        {
            return;
        }

        if ((long)size.Width * size.Height <= maxPixels)
        {
            return;
        }

        // ImageCodec.Decode checks the header against the limit before it allocates or decodes any pixel
        // (docs/safety.md), so for an over-limit header this call only classifies it: one rule, the engine's.
        using var unreachable = ImageCodec.Decode(data, maxPixels);
        throw new FaceSwapException(FaceSwapErrorKind.ImageTooLarge,
            $"image is {size.Width}x{size.Height}, over the limit of {maxPixels / 1e6:0.#} megapixels");
    }
}
