using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;

namespace FaceSwap.Silo.Api;

/// <summary>Why an uploaded file is refused: the HTTP status, a stable code and a sentence for people.</summary>
public sealed record UploadRefusal(int Status, string Code, string Message);

/// <summary>
/// The checks an uploaded photo passes before it is stored: the same the engine applies when a job reads it, done on
/// the header only (nothing is decoded). A name the job would not list, content that is no image the engine reads
/// (sniffed from the leading bytes, whatever the name says), content of another format than the name says, and a
/// header over the host's pixel limit are refused, each with the error class a job would give it.
/// </summary>
public static class UploadedImageCheck
{
    /// <summary>The refusal of an upload of <paramref name="content"/> named <paramref name="name"/>, or null to store it.</summary>
    public static UploadRefusal? Check(string name, byte[] content, long maxPixels)
    {
        var extension = Path.GetExtension(name);
        if (ImageCodec.UnreadablePhotoExtensions.Contains(extension))
        {
            return Unprocessable(FaceSwapErrorKind.UnsupportedFormat, $"{extension} photos are not read: convert them to JPEG, PNG, WebP, HEIC or AVIF");
        }

        if (!ImageCodec.ReadableExtensions.Contains(extension))
        {
            return Unprocessable(FaceSwapErrorKind.NotAnImage,
                $"'{Path.GetFileName(name)}' is not named as a photo: a job reads {string.Join(", ", ImageCodec.ReadableExtensions.Order())}");
        }

        if (content.Length == 0)
        {
            return Unprocessable(FaceSwapErrorKind.EmptyFile, "the file is empty (0 bytes)");
        }

        try
        {
            if (ImageCodec.Sniff(content) is null)
            {
                return Unprocessable(FaceSwapErrorKind.NotAnImage, "the file's content is not an image in a supported format (jpg, png, bmp, webp, heic, avif)");
            }

            ImageCodec.CheckContentMatchesName(content, name);
            var (width, height) = ImageCodec.ReadSize(content);
            if ((long)width * height > maxPixels)
            {
                return ForgedHeader.IsForged(content, ImageCodec.Sniff(content), width, height)
                    ? Unprocessable(FaceSwapErrorKind.HeaderMismatch, $"the header claims {width}x{height} pixels, which {content.Length} bytes cannot hold")
                    : Unprocessable(FaceSwapErrorKind.ImageTooLarge, $"the image is {width}x{height}, over this host's limit of {maxPixels / 1e6:0.#} megapixels");
            }
        }
        catch (FaceSwapException e)
        {
            return new UploadRefusal(StatusCodes.Status422UnprocessableEntity, e.Code, e.Message);
        }

        return null;
    }

    private static UploadRefusal Unprocessable(FaceSwapErrorKind kind, string message) =>
        new(StatusCodes.Status422UnprocessableEntity, FaceSwapException.ToCode(kind), message);
}
