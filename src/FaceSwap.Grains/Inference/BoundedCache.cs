namespace FaceSwap.Grains.Inference;

/// <summary>
/// A least-recently-used cache of values made asynchronously, at most <c>capacity</c> of them: each key's value is made
/// once however many callers ask at the same time, a value whose making failed is not kept (the next caller makes it
/// again, e.g. after a fixed source was uploaded at the same path), and past the capacity the least recently used entry
/// is dropped (not disposed: a worker may still hold it; the garbage collector frees it).
/// </summary>
/// <remarks>
/// Not <c>MemoryCache</c>: its GetOrCreate runs the factory in every concurrent caller (preparing a source runs the
/// detector and embedder, once per engine thread), and with a size limit it refuses to keep a new entry while full
/// until a background compaction ran, so a busy silo would prepare the same source again and again.
/// </remarks>
public sealed class BoundedCache<TValue>
{
    private readonly int capacity;
    private readonly Lock gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> recency = new();

    /// <summary>Creates a cache that keeps at most <paramref name="capacity"/> values.</summary>
    public BoundedCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.capacity = capacity;
    }

    /// <summary>Values kept (made or being made).</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>The value of <paramref name="key"/>, made by <paramref name="make"/> unless it is kept or being made.</summary>
    public async Task<TValue> GetOrAddAsync(string key, Func<Task<TValue>> make)
    {
        var value = Find(key) ?? Add(key, new Lazy<Task<TValue>>(make, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return await value.Value.ConfigureAwait(false);
        }
        catch
        {
            Remove(key, value);
            throw;
        }
    }

    /// <summary>Keeps <paramref name="value"/> under <paramref name="key"/>, in place of what was there.</summary>
    public void Set(string key, TValue value)
    {
        lock (gate)
        {
            if (entries.Remove(key, out var old))
            {
                recency.Remove(old);
            }
        }

        Add(key, new Lazy<Task<TValue>>(Task.FromResult(value)));
    }

    /// <summary>The value of <paramref name="key"/> if it is kept and made.</summary>
    public bool TryGet(string key, out TValue value)
    {
        var found = Find(key);
        if (found is { IsValueCreated: true, Value.IsCompletedSuccessfully: true })
        {
            value = found.Value.Result;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>The values made so far (to dispose them when the owner is disposed).</summary>
    public IReadOnlyList<TValue> Made()
    {
        lock (gate)
        {
            return recency.Select(e => e.Value).Where(v => v is { IsValueCreated: true, Value.IsCompletedSuccessfully: true }).Select(v => v.Value.Result).ToList();
        }
    }

    private Lazy<Task<TValue>>? Find(string key)
    {
        lock (gate)
        {
            if (!entries.TryGetValue(key, out var node))
            {
                return null;
            }

            recency.Remove(node);
            recency.AddFirst(node);
            return node.Value.Value;
        }
    }

    private Lazy<Task<TValue>> Add(string key, Lazy<Task<TValue>> value)
    {
        lock (gate)
        {
            // Another caller may have added the key between the look-up and now: theirs is the one made.
            if (entries.TryGetValue(key, out var existing))
            {
                return existing.Value.Value;
            }

            entries[key] = recency.AddFirst(new Entry(key, value));
            while (entries.Count > capacity && recency.Last is { } oldest)
            {
                recency.RemoveLast();
                entries.Remove(oldest.Value.Key);
            }

            return value;
        }
    }

    private void Remove(string key, Lazy<Task<TValue>> failed)
    {
        lock (gate)
        {
            if (entries.TryGetValue(key, out var node) && ReferenceEquals(node.Value.Value, failed))
            {
                entries.Remove(key);
                recency.Remove(node);
            }
        }
    }

    private sealed record Entry(string Key, Lazy<Task<TValue>> Value);
}
