using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>A served host (local storage, served defaults) for the thumbnail tests.</summary>
public sealed class ThumbnailHostFixture : IAsyncLifetime
{
    private readonly TemporaryDirectory root = new("faceswap-thumbnails");

    /// <summary>The host.</summary>
    public ApiHost Host { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Host = await ApiHost.StartAsync("local:" + root.FullPath, "--FaceSwap:Safety:RequireConsent=true");

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        root.Dispose();
    }
}

/// <summary>
/// Thumbnails cost a bounded amount of memory on the api silo: hostile headers are refused before any decode, large
/// photos are reduced while they are decoded, decodes are few at a time, and results are cached.
/// </summary>
public sealed class ThumbnailTests(ThumbnailHostFixture fixture, ITestOutputHelper output) : IClassFixture<ThumbnailHostFixture>
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task A_48_kb_png_whose_header_says_20000x20000_is_refused_from_its_header_with_a_code_and_nothing_is_decoded()
    {
        var bomb = HeaderOnlyPng(20000, 20000, 48 * 1024);
        Assert.InRange(bomb.Length, 40_000, 60_000);
        var jobId = await CompletedJobAsync(("bomb.png", bomb));

        // Two at once, as in the report; each would have been a 1.6 GB decode.
        using var http = Host.CreateClient(ApiHost.ReadKey);
        using var memory = PeakMemory.Start();
        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => http.GetAsync($"api/jobs/{jobId}/thumbnail?side=input&path=bomb.png")));
        var growth = memory.Stop();
        output.WriteLine($"peak working set grew by {growth / 1e6:0} MB");

        // The thumbnail's class is the one the job's own outcome gives the same file (the engine's rule).
        var expected = EngineRefusal(bomb);
        Assert.Contains(expected, new[] { "header_mismatch", "image_too_large" });
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal(expected, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
            response.Dispose();
        }

        Assert.True(growth < 100_000_000, $"memory grew by {growth / 1e6:0} MB for two refused thumbnails");
    }

    [Fact]
    public async Task Eight_thumbnails_of_a_62_mp_photo_at_once_are_made_from_a_reduced_decode_in_bounded_memory_and_then_served_from_the_cache()
    {
        var jobId = await CompletedJobAsync();
        var status = await StatusAsync(jobId);
        var photo = LargePhoto(9600, 6464);
        await Host.PutBytesAsync(status.Spec!.Output + "big.jpg", photo);
        GC.Collect();

        using var http = Host.CreateClient(ApiHost.ReadKey);
        var url = $"api/jobs/{jobId}/thumbnail?side=output&path=big.jpg&size=256";
        using var memory = PeakMemory.Start();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.GetAsync(url)));
        var growth = memory.Stop();
        output.WriteLine($"eight thumbnails of a {photo.Length / 1e6:0.0} MB, 62 MP JPEG: peak working set grew by {growth / 1e6:0} MB");

        var first = await responses[0].Content.ReadAsByteArrayAsync();
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(first, await response.Content.ReadAsByteArrayAsync());
            response.Dispose();
        }

        var size = ImageCodec.ReadSize(first);
        Assert.Equal(256, size.Width);
        Assert.InRange(size.Height, 171, 173);

        // A full-size decode is 62 MP x 7 bytes (BGRA, then BGR) each, over 3 GB for eight; reduced, a few MB each.
        Assert.True(growth < 250_000_000, $"memory grew by {growth / 1e6:0} MB");

        // Asked again: served from the cache, same bytes.
        using var again = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("hit", again.Headers.GetValues("X-Cache").Single());
        Assert.Equal(first, await again.Content.ReadAsByteArrayAsync());

        // A rewritten output is a new version: its thumbnail is made anew.
        await Host.PutBytesAsync(status.Spec.Output + "big.jpg", TestPhotos.Small(2));
        using var rewritten = await http.GetAsync(url);
        Assert.Equal("miss", rewritten.Headers.GetValues("X-Cache").Single());
        var (width, height) = ImageCodec.ReadSize(TestPhotos.Small(2));
        var small = ImageCodec.ReadSize(await rewritten.Content.ReadAsByteArrayAsync());
        Assert.Equal(256, small.Width);
        Assert.InRange(small.Height, height * 256 / width - 1, height * 256 / width + 1);
    }

    [Fact]
    public async Task A_large_png_which_can_only_be_decoded_whole_gets_its_thumbnail_from_an_inference_silo()
    {
        var jobId = await CompletedJobAsync();
        var status = await StatusAsync(jobId);
        using (var image = ImageCodec.Decode(TestPhotos.Small(1)))
        using (var large = new Mat())
        {
            Cv2.Resize(image, large, new Size(3000, 2000), interpolation: InterpolationFlags.Linear);
            await Host.PutBytesAsync(status.Spec!.Output + "large.png", ImageCodec.Encode(large, ImageFormat.Png));
        }

        using var http = Host.CreateClient(ApiHost.ReadKey);
        using var response = await http.GetAsync($"api/jobs/{jobId}/thumbnail?side=output&path=large.png&size=128");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((128, 85), ImageCodec.ReadSize(await response.Content.ReadAsByteArrayAsync()));
    }

    /// <summary>A completed job over one photo plus <paramref name="extra"/> input files.</summary>
    private async Task<string> CompletedJobAsync(params (string Name, byte[] Bytes)[] extra)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"inbox/thumbs-{id}/a.jpg", TestPhotos.Small(1));
        foreach (var (name, bytes) in extra)
        {
            await Host.PutBytesAsync($"inbox/thumbs-{id}/{name}", bytes);
        }

        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest
        {
            Source = $"faces/{id}/face.jpg", Input = $"inbox/thumbs-{id}/", Output = $"outbox/thumbs-{id}/", JobId = "thumbs-" + id,
            ConsentReference = "thumbnail-tests",
        };
        using (var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!(await StatusAsync(request.JobId!)).IsTerminal)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not finish");
            await Task.Delay(200);
        }

        return request.JobId!;
    }

    private Task<JobStatus> StatusAsync(string jobId) =>
        Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IBatchGrain>(jobId).GetStatusAsync();

    /// <summary>The error class the engine gives an over-limit image (it refuses from the header; nothing is decoded).</summary>
    private static string EngineRefusal(byte[] image)
    {
        try
        {
            using var decoded = ImageCodec.Decode(image);
        }
        catch (FaceSwapException e)
        {
            return e.Code;
        }

        throw new InvalidOperationException("the engine decoded it");
    }

    /// <summary>Demo photo 1 scaled up to <paramref name="width"/>x<paramref name="height"/>, as a JPEG.</summary>
    private static byte[] LargePhoto(int width, int height)
    {
        using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(1)));
        using var large = new Mat();
        Cv2.Resize(image, large, new Size(width, height), interpolation: InterpolationFlags.Linear);
        return ImageCodec.Encode(large, ImageFormat.Jpeg, 85);
    }

    /// <summary>
    /// A PNG whose header says <paramref name="width"/>x<paramref name="height"/> RGB, followed by about
    /// <paramref name="bytes"/> bytes of deflated black rows (far fewer rows than it claims) and IEND.
    /// </summary>
    private static byte[] HeaderOnlyPng(int width, int height, int bytes)
    {
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + width * 3];
            while (idat.Length < bytes)
            {
                z.Write(row);
                z.Flush();
            }
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        SafetyApiTests.Chunk(png, "IHDR", ihdr);
        SafetyApiTests.Chunk(png, "IDAT", idat.ToArray());
        SafetyApiTests.Chunk(png, "IEND", []);
        return png.ToArray();
    }
}

/// <summary>The process's highest working set over a stretch of time, sampled every few milliseconds.</summary>
public sealed class PeakMemory : IDisposable
{
    private readonly long baseline;
    private readonly Thread sampler;
    private long peak;
    private volatile bool stopped;

    private PeakMemory()
    {
        baseline = WorkingSet();
        peak = baseline;
        sampler = new Thread(() =>
        {
            while (!stopped)
            {
                peak = Math.Max(peak, WorkingSet());
                Thread.Sleep(2);
            }
        }) { IsBackground = true };
        sampler.Start();
    }

    /// <summary>Starts sampling.</summary>
    public static PeakMemory Start() => new();

    /// <summary>Stops sampling; how far the working set rose above where it was at the start.</summary>
    public long Stop()
    {
        stopped = true;
        sampler.Join();
        return Math.Max(peak, WorkingSet()) - baseline;
    }

    /// <inheritdoc />
    public void Dispose() => Stop();

    private static long WorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
