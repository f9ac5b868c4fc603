using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Thumbnails;
using FaceSwap.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace FaceSwap.Silo.Api;

/// <summary>A thumbnail, or why an image has none.</summary>
/// <param name="Jpeg">The thumbnail; null when there is none.</param>
/// <param name="Status">The HTTP status of the answer: 200, 404, 422 or 503.</param>
/// <param name="Code">The error class of an image without a thumbnail (image_too_large, header_mismatch, ...).</param>
/// <param name="Message">Why, for people.</param>
public sealed record Thumbnail(byte[]? Jpeg, int Status, string? Code, string? Message);

/// <summary>
/// Thumbnails for the API with bounded cost: at most <see cref="ConcurrentDecodes"/> decodes at once on this silo, each
/// reduced while decoding (<see cref="ThumbnailImage"/>; images that can only be decoded whole and are larger than
/// <see cref="ThumbnailImage.SmallImagePixels"/> go to an inference silo), and results kept in a cache of at most
/// <see cref="CacheBytes"/>, keyed by the image's version so a rewritten output gets a new thumbnail.
/// </summary>
public sealed class ThumbnailService(IBlobStore store, IGrainFactory grains, IOptions<FaceSwapSiloOptions> options) : IDisposable
{
    /// <summary>Thumbnails decoded at the same time on this silo; others wait their turn.</summary>
    public const int ConcurrentDecodes = 2;

    /// <summary>Bytes of thumbnails (and refusals) kept in memory.</summary>
    public const long CacheBytes = 32L * 1024 * 1024;

    private const int InferenceKeys = 64;

    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = CacheBytes });
    private readonly SemaphoreSlim decodes = new(ConcurrentDecodes);

    /// <summary>
    /// The thumbnail of <paramref name="path"/> (a job's input or output), at most <paramref name="longest"/> pixels on
    /// its longer side, for a job whose limits are <paramref name="maxPixels"/> and <paramref name="maxBytes"/> (the
    /// silo's own pixel limit holds whatever the job says). <c>Cached</c> says whether it came from the cache.
    /// </summary>
    public async Task<(Thumbnail Thumbnail, bool Cached)> GetAsync(string path, int longest, long maxPixels, long maxBytes, CancellationToken cancellationToken)
    {
        if (await store.GetPropertiesAsync(path, cancellationToken) is not { } blob)
        {
            return (new Thumbnail(null, StatusCodes.Status404NotFound, "not_found", "no such image"), false);
        }

        var limit = Math.Min(maxPixels, options.Value.MaxPixels);
        var key = $"{path}\n{blob.ETag}\n{longest}\n{limit}";
        if (cache.TryGetValue(key, out Thumbnail? cached) && cached is not null)
        {
            return (cached, true);
        }

        Thumbnail made;
        await decodes.WaitAsync(cancellationToken);
        try
        {
            made = await MakeAsync(path, longest, limit, maxBytes, cancellationToken);
        }
        finally
        {
            decodes.Release();
        }

        if (made.Status != StatusCodes.Status503ServiceUnavailable)
        {
            cache.Set(key, made, new MemoryCacheEntryOptions { Size = (made.Jpeg?.Length ?? 0) + 256, SlidingExpiration = TimeSpan.FromHours(1) });
        }

        return (made, false);
    }

    private async Task<Thumbnail> MakeAsync(string path, int longest, long limit, long maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await store.ReadAllBytesAsync(path, maxBytes, cancellationToken);
            return new Thumbnail(await Task.Run(() => ThumbnailImage.Make(bytes, longest, limit, ThumbnailImage.SmallImagePixels), cancellationToken), StatusCodes.Status200OK, null, null);
        }
        catch (BlobNotFoundException)
        {
            return new Thumbnail(null, StatusCodes.Status404NotFound, "not_found", "no such image");
        }
        catch (BlobTooLargeException)
        {
            return new Thumbnail(null, StatusCodes.Status422UnprocessableEntity, "file_too_large", $"the file is larger than the job's limit of {maxBytes} bytes");
        }
        catch (FaceSwapException e)
        {
            return new Thumbnail(null, StatusCodes.Status422UnprocessableEntity, e.Code, e.Message);
        }
        catch (ThumbnailException e) when (e.Code == ThumbnailImage.NeedsFullDecode)
        {
            return await FromInferenceSiloAsync(path, longest, limit, maxBytes);
        }
    }

    /// <summary>An image that can only be decoded whole: made where images are decoded anyway.</summary>
    private async Task<Thumbnail> FromInferenceSiloAsync(string path, int longest, long limit, long maxBytes)
    {
        ThumbnailResult result;
        try
        {
            result = await grains.GetGrain<IInferenceGrain>(Random.Shared.Next(InferenceKeys)).ThumbnailAsync(path, longest, limit, maxBytes);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or ArgumentException)
        {
            return new Thumbnail(null, StatusCodes.Status503ServiceUnavailable, "no_inference_silo", "this image's thumbnail is made on an inference silo, and none answered");
        }

        return result switch
        {
            { Jpeg: { } jpeg } => new Thumbnail(jpeg, StatusCodes.Status200OK, null, null),
            { ErrorClass: "not_found" } => new Thumbnail(null, StatusCodes.Status404NotFound, "not_found", result.Message),
            _ => new Thumbnail(null, StatusCodes.Status422UnprocessableEntity, result.ErrorClass, result.Message),
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        cache.Dispose();
        decodes.Dispose();
    }
}
