using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Grains.Thumbnails;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Inference;

/// <summary>Thumbnails that need a full-size decode, made where images are decoded anyway: one at a time per silo.</summary>
public sealed partial class EngineService
{
    private readonly SemaphoreSlim thumbnails = new(1);

    /// <summary>A thumbnail of the image at <paramref name="path"/>, decoded whole if it must be (never over the silo's pixel limit).</summary>
    public async Task<ThumbnailResult> ThumbnailAsync(string path, int longest, long maxPixels, long maxBytes)
    {
        await thumbnails.WaitAsync(stopping.Token);
        try
        {
            // Off the grain's scheduler, as all decoding on this silo.
            return await Task.Run(async () =>
            {
                var bytes = await store.ReadAllBytesAsync(path, maxBytes, stopping.Token);
                var limit = Math.Min(maxPixels, options.MaxPixels);
                return new ThumbnailResult(ThumbnailImage.Make(bytes, longest, limit, maxWholeDecodePixels: limit), null, null);
            });
        }
        catch (FaceSwapException e)
        {
            return new ThumbnailResult(null, e.Code, e.Message);
        }
        catch (BlobNotFoundException)
        {
            return new ThumbnailResult(null, "not_found", $"no image at {path}");
        }
        catch (BlobTooLargeException e)
        {
            return new ThumbnailResult(null, "file_too_large", e.Message);
        }
        finally
        {
            thumbnails.Release();
        }
    }
}
