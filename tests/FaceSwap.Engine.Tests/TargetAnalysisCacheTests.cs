using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Tests;

/// <summary>The repeat-image cache: same content analysed once, even when requested concurrently; bounded; outputs unchanged.</summary>
public sealed class TargetAnalysisCacheTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Fact]
    public void Concurrent_copies_of_one_photo_are_analysed_once_and_swap_exactly_as_without_the_cache()
    {
        using var source = fixture.Engine.PrepareSource(fixture.CropFace(3, 0));
        var bytes = File.ReadAllBytes(TestAssets.Sample(1));
        using var cache = new TargetAnalysisCache();
        var request = new SwapRequest { OutputFormat = ImageFormat.Png, MeasureAfter = false, Cache = cache };

        var results = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(4)
            .Select(_ => fixture.Engine.Swap(bytes, source, request)).ToList();
        var uncached = fixture.Engine.Swap(bytes, source, request with { Cache = null });

        Assert.Equal((1L, 7L), (cache.Misses, cache.Hits));
        Assert.Equal(7, results.Count(r => r.CacheHit));
        Assert.Single(results, r => r.TimingsMs.ContainsKey("detect"));
        Assert.All(results, r => Assert.Equal(uncached.Output, r.Output));
    }

    [Fact]
    public void The_least_recently_used_image_is_evicted_and_a_frame_over_the_byte_budget_is_not_kept()
    {
        var calls = 0;
        TargetAnalysis Analyse(int size)
        {
            calls++;
            return new TargetAnalysis(new Mat(size, size, MatType.CV_8UC3, Scalar.All(0)), [], [], CacheHit: false);
        }

        byte[] Content(int n) => [(byte)n];
        using var cache = new TargetAnalysisCache(maxEntries: 2, maxBytes: 3 * 100 * 100 * 2);
        cache.GetOrAnalyse(Content(1), () => Analyse(100)).Frame.Dispose();
        cache.GetOrAnalyse(Content(2), () => Analyse(100)).Frame.Dispose();
        cache.GetOrAnalyse(Content(1), () => Analyse(100)).Frame.Dispose(); // 1 is now the most recent
        cache.GetOrAnalyse(Content(3), () => Analyse(100)).Frame.Dispose(); // evicts 2
        Assert.Equal((3, 2), (calls, cache.Count));
        Assert.True(cache.GetOrAnalyse(Content(1), () => Analyse(100)).CacheHit);
        Assert.False(cache.GetOrAnalyse(Content(2), () => Analyse(100)).CacheHit);

        cache.GetOrAnalyse(Content(4), () => Analyse(200)).Frame.Dispose(); // 120 KB > 60 KB budget
        Assert.False(cache.GetOrAnalyse(Content(4), () => Analyse(200)).CacheHit);
    }

    [Fact]
    public void Copies_of_a_photo_without_a_face_are_analysed_once_and_say_so_in_their_no_face_error()
    {
        using var source = fixture.Engine.PrepareSource(fixture.CropFace(3, 0));
        var bytes = TestImages.Gradient(640, 480);
        using var cache = new TargetAnalysisCache();
        var request = new SwapRequest { Cache = cache };

        var errors = Enumerable.Range(0, 3).Select(_ => Assert.Throws<FaceSwapException>(() => fixture.Engine.Swap(bytes, source, request))).ToList();

        Assert.All(errors, e => Assert.Equal(FaceSwapErrorKind.NoFace, e.Kind));
        Assert.Equal([false, true, true], errors.Select(e => e.AnalysisCacheHit));
        Assert.Equal((1L, 2L), (cache.Misses, cache.Hits));
    }

    [Fact]
    public void A_failed_analysis_is_not_cached()
    {
        using var cache = new TargetAnalysisCache();
        Assert.Throws<FaceSwapException>(() => cache.GetOrAnalyse([1, 2, 3], () => throw new FaceSwapException(FaceSwapErrorKind.TruncatedImage, "truncated")));
        Assert.Equal(0, cache.Count);
        Assert.False(cache.GetOrAnalyse([1, 2, 3], () => new TargetAnalysis(new Mat(), [], [], false)).CacheHit);
    }
}
