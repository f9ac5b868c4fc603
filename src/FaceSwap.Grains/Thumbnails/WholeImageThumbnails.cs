using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Grains.Hosting;
using FaceSwap.Storage;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.Thumbnails;

/// <summary>
/// Thumbnails that need a full-size decode, made on inference silos, where images are decoded anyway: one at a time
/// per silo, never over the silo's pixel limit.
/// </summary>
public sealed class WholeImageThumbnails(IBlobStore store, IOptions<FaceSwapSiloOptions> options) : IDisposable
{
    private readonly SemaphoreSlim oneAtATime = new(1);
    private readonly CancellationTokenSource stopping = new();

    /// <summary>A thumbnail of the image at <paramref name="path"/>, decoded whole if it must be.</summary>
    public async Task<ThumbnailResult> ThumbnailAsync(string path, int longest, long maxPixels, long maxBytes)
    {
        await oneAtATime.WaitAsync(stopping.Token);
        try
        {
            // Off the grain's scheduler, as all decoding on this silo.
            return await Task.Run(async () =>
            {
                var bytes = await store.ReadAllBytesAsync(path, maxBytes, stopping.Token);
                var limit = Math.Min(maxPixels, options.Value.MaxPixels);
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
            oneAtATime.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        stopping.Cancel();
        stopping.Dispose();
    }
}
