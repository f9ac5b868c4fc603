using System.Collections.Concurrent;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// What the silos of one test cluster did to storage: writes per path, which silos read which input, and which silos
/// are dead. Shared by the in-process silos through a static registry keyed by cluster id.
/// </summary>
public sealed class StorageLedger : IDisposable
{
    private static readonly ConcurrentDictionary<string, StorageLedger> Registry = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> dead = new();

    private StorageLedger(string key) => Key = key;

    /// <summary>The registry key (the cluster id).</summary>
    public string Key { get; }

    /// <summary>Completed and started WriteAsync calls per path, by live silos.</summary>
    public ConcurrentDictionary<string, int> Writes { get; } = new();

    /// <summary>Silos that read each path (ReadAllBytesAsync).</summary>
    public ConcurrentDictionary<string, ConcurrentBag<string>> Readers { get; } = new();

    /// <summary>When each silo last started reading an input.</summary>
    public ConcurrentDictionary<string, DateTime> LastRead { get; } = new();

    /// <summary>Warnings and errors the silos logged.</summary>
    public TestLoggerProvider Logs { get; } = new(null);

    /// <summary>Creates and registers a ledger.</summary>
    public static StorageLedger Create(string key)
    {
        var ledger = new StorageLedger(key);
        Registry[key] = ledger;
        return ledger;
    }

    /// <summary>The ledger registered under <paramref name="key"/>.</summary>
    public static StorageLedger For(string key) => Registry[key];

    /// <summary>
    /// Marks a silo dead: from now on its storage calls are parked, as for a process that was killed (an in-process
    /// silo's engine threads outlive its "kill"; without this they would still write after the silo is gone).
    /// </summary>
    public void MarkDead(string silo) => dead.TryAdd(silo, new CancellationTokenSource());

    /// <summary>
    /// Fails the parked calls of a dead silo once its runtime has stopped (it can no longer answer anyone), so that its
    /// engine threads end and the silo can be disposed.
    /// </summary>
    public void ReleaseDead(string silo)
    {
        if (dead.TryGetValue(silo, out var parked))
        {
            parked.Cancel();
        }
    }

    /// <summary>Whether a silo was marked dead.</summary>
    public bool IsDead(string silo) => dead.ContainsKey(silo);

    /// <summary>Parks a dead silo's call until <see cref="ReleaseDead"/>, then fails it.</summary>
    public async Task HangAsync(string silo)
    {
        TestTrace.Write($"dead silo {silo}: storage call parked");
        try
        {
            await Task.Delay(Timeout.Infinite, dead[silo].Token);
        }
        catch (OperationCanceledException)
        {
        }

        throw new IOException($"silo {silo} is dead");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Registry.TryRemove(Key, out _);
        foreach (var parked in dead.Values)
        {
            parked.Cancel();
            parked.Dispose();
        }
    }
}

/// <summary>A blob store decorator that records calls in a <see cref="StorageLedger"/> and stops a dead silo's I/O.</summary>
public sealed class CountingBlobStore(IBlobStore inner, string silo, StorageLedger ledger) : IBlobStore
{
    /// <inheritdoc />
    public async Task WriteAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default)
    {
        await GateAsync();
        ledger.Writes.AddOrUpdate(path, 1, (_, n) => n + 1);
        await inner.WriteAsync(path, content, contentType, metadata, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> WriteIfAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, WriteCondition condition, CancellationToken cancellationToken = default)
    {
        await GateAsync();

        // Only a write that happened is an upload; one refused by its condition wrote nothing.
        var written = await inner.WriteIfAsync(path, content, contentType, metadata, condition, cancellationToken);
        if (written)
        {
            ledger.Writes.AddOrUpdate(path, 1, (_, n) => n + 1);
        }

        return written;
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAllBytesAsync(string path, long maxBytes, CancellationToken cancellationToken = default)
    {
        await GateAsync();
        ledger.Readers.GetOrAdd(path, _ => []).Add(silo);
        ledger.LastRead[silo] = DateTime.UtcNow;
        return await inner.ReadAllBytesAsync(path, maxBytes, cancellationToken);
    }

    /// <inheritdoc />
    public Task<byte[]> ReadRangeAsync(string path, long offset, int maxBytes, CancellationToken cancellationToken = default) =>
        inner.ReadRangeAsync(path, offset, maxBytes, cancellationToken);

    /// <inheritdoc />
    public async Task AppendLinesAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken = default)
    {
        await GateAsync();
        await inner.AppendLinesAsync(path, lines, cancellationToken);
    }

    /// <inheritdoc />
    public Task<BlobPage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken = default) =>
        inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

    /// <inheritdoc />
    public Task<BlobItemInfo?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default) =>
        inner.GetPropertiesAsync(path, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string path, CancellationToken cancellationToken = default) =>
        inner.GetMetadataAsync(path, cancellationToken);

    /// <inheritdoc />
    public Task<BlobStamp?> GetStampAsync(string path, CancellationToken cancellationToken = default) =>
        inner.GetStampAsync(path, cancellationToken);

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) => inner.ExistsAsync(path, cancellationToken);

    private Task GateAsync() => ledger.IsDead(silo) ? ledger.HangAsync(silo) : Task.CompletedTask;
}
