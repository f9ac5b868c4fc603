using FaceSwap.Grains.Inference;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// The one cache of the engine's sources (<see cref="BoundedCache{TValue}"/>): made once however many ask at the same
/// time, a failure not kept, and never more than its capacity, the least recently used dropped first.
/// </summary>
public sealed class BoundedCacheTests
{
    [Fact]
    public async Task Sixteen_callers_at_once_make_a_value_once()
    {
        var cache = new BoundedCache<string>(4);
        var made = 0;
        var release = new TaskCompletionSource();
        var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(() => cache.GetOrAddAsync("source|v1", async () =>
        {
            Interlocked.Increment(ref made);
            await release.Task;
            return "prepared";
        }))).ToList();

        await Task.Delay(100);
        release.SetResult();

        Assert.All(await Task.WhenAll(callers), value => Assert.Equal("prepared", value));
        Assert.Equal(1, made);
    }

    [Fact]
    public async Task A_failed_value_is_made_again_by_the_next_caller()
    {
        var cache = new BoundedCache<string>(4);
        var attempts = 0;
        Task<string> Make() => ++attempts == 1 ? Task.FromException<string>(new IOException("source unreadable")) : Task.FromResult("fixed");

        await Assert.ThrowsAsync<IOException>(() => cache.GetOrAddAsync("source|v1", Make));
        Assert.Equal(0, cache.Count);

        Assert.Equal("fixed", await cache.GetOrAddAsync("source|v1", Make));
        Assert.Equal("fixed", await cache.GetOrAddAsync("source|v1", Make));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task Past_its_capacity_it_drops_the_least_recently_used_and_keeps_the_rest()
    {
        var cache = new BoundedCache<string>(3);
        var made = new List<string>();
        Task<string> Make(string key)
        {
            made.Add(key);
            return Task.FromResult(key.ToUpperInvariant());
        }

        foreach (var key in new[] { "a", "b", "c" })
        {
            await cache.GetOrAddAsync(key, () => Make(key));
        }

        await cache.GetOrAddAsync("a", () => Make("a")); // a is now the most recently used; b the least
        await cache.GetOrAddAsync("d", () => Make("d"));

        Assert.Equal(3, cache.Count);
        Assert.True(cache.TryGet("a", out _));
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.True(cache.TryGet("d", out var d));
        Assert.Equal("D", d);
        Assert.Equal(["a", "b", "c", "d"], made);
    }
}
