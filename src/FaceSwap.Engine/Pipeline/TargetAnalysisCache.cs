using System.Security.Cryptography;
using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using OpenCvSharp;

namespace FaceSwap.Engine.Pipeline;

/// <summary>A target image decoded and analysed: the frame, its faces (largest first, with landmarks) and their identity embeddings.</summary>
public sealed record TargetAnalysis(Mat Frame, IReadOnlyList<DetectedFace> Faces, float[][] Embeddings, bool CacheHit);

/// <summary>
/// A bounded LRU of decoded and analysed targets keyed by content hash (SHA-256): a template used 1,200 times in a job
/// is decoded, detected, landmarked and embedded once. Concurrent requests for the same content wait for the first
/// one instead of analysing it again. Bounded by entries and by decoded bytes; a frame larger than the byte budget is
/// not kept. Safe to use from many threads.
/// </summary>
public sealed class TargetAnalysisCache : IDisposable
{
    private readonly int maxEntries;
    private readonly long maxBytes;
    private readonly object gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> order = new();
    private long bytes;
    private long hits;
    private long misses;

    /// <summary>A cache of at most <paramref name="maxEntries"/> images and <paramref name="maxBytes"/> decoded bytes.</summary>
    public TargetAnalysisCache(int maxEntries = 64, long maxBytes = 256L * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    /// <summary>Analyses served from the cache.</summary>
    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Analyses that ran.</summary>
    public long Misses => Interlocked.Read(ref misses);

    /// <summary>Images held now.</summary>
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

    /// <summary>The content key of an image's bytes.</summary>
    public static string Key(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>
    /// The analysis of <paramref name="content"/>: from the cache (a fresh copy of the frame, the caller owns and may
    /// change it), or by running <paramref name="analyse"/> once for all callers of the same content.
    /// </summary>
    public TargetAnalysis GetOrAnalyse(byte[] content, Func<TargetAnalysis> analyse) => GetOrAnalyse(Key(content), analyse);

    /// <summary>Whether the analysis of the content with this key is held (or being made) now.</summary>
    public bool Contains(string key)
    {
        lock (gate)
        {
            return entries.ContainsKey(key);
        }
    }

    /// <summary>
    /// The analysis of the content whose <see cref="Key"/> is <paramref name="key"/>: from the cache (a fresh copy of the
    /// frame, the caller owns and may change it), or by running <paramref name="analyse"/> once for all callers of it.
    /// </summary>
    public TargetAnalysis GetOrAnalyse(string key, Func<TargetAnalysis> analyse)
    {
        Entry entry;
        bool created;
        lock (gate)
        {
            created = !entries.TryGetValue(key, out var node);
            if (created)
            {
                node = order.AddFirst(new Entry(key, new Lazy<TargetAnalysis>(analyse, LazyThreadSafetyMode.ExecutionAndPublication)));
                entries[key] = node;
            }
            else
            {
                order.Remove(node!);
                order.AddFirst(node!);
            }

            entry = node!.Value;
        }

        TargetAnalysis analysis;
        try
        {
            analysis = entry.Analysis.Value;
        }
        catch
        {
            // A failure (truncated file, no memory) is not cached: the next copy tries again.
            Remove(entry);
            throw;
        }

        if (created)
        {
            Interlocked.Increment(ref misses);
            Admit(entry, analysis);
            return analysis with { Frame = analysis.Frame.Clone(), CacheHit = false };
        }

        Interlocked.Increment(ref hits);
        return analysis with { Frame = analysis.Frame.Clone(), CacheHit = true };
    }

    /// <summary>
    /// Counts the new entry's bytes and evicts the least recently used. An evicted frame is not disposed here: a caller
    /// that got its entry just before may still be copying it; the garbage collector releases it.
    /// </summary>
    private void Admit(Entry entry, TargetAnalysis analysis)
    {
        var size = (long)analysis.Frame.Total() * analysis.Frame.ElemSize();
        lock (gate)
        {
            if (!entries.TryGetValue(entry.Key, out var node) || node.Value != entry)
            {
                return;
            }

            if (size > maxBytes)
            {
                RemoveLocked(node);
                return;
            }

            entry.Bytes = size;
            bytes += size;
            while ((entries.Count > maxEntries || bytes > maxBytes) && order.Last is { } last && last != node)
            {
                RemoveLocked(last);
            }
        }
    }

    private void Remove(Entry entry)
    {
        lock (gate)
        {
            if (entries.TryGetValue(entry.Key, out var node) && node.Value == entry)
            {
                RemoveLocked(node);
            }
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        entries.Remove(node.Value.Key);
        order.Remove(node);
        bytes -= node.Value.Bytes;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate)
        {
            foreach (var entry in order.Where(e => e.Analysis.IsValueCreated))
            {
                entry.Analysis.Value.Frame.Dispose();
            }

            entries.Clear();
            order.Clear();
            bytes = 0;
        }
    }

    private sealed class Entry(string key, Lazy<TargetAnalysis> analysis)
    {
        public string Key { get; } = key;
        public Lazy<TargetAnalysis> Analysis { get; } = analysis;
        public long Bytes { get; set; }
    }
}

/// <summary>Decoding and analysing a target, through the request's cache when it has one.</summary>
public static class TargetAnalyser
{
    /// <summary>
    /// Decodes the target (unless it was decoded ahead) and finds its faces and their embeddings, or takes them from
    /// <see cref="SwapRequest.Cache"/>. Timings of a cache hit have no decode, detect, landmarks or embed stage.
    /// </summary>
    public static TargetAnalysis Analyse(this FaceEngine engine, TargetImage target, SwapRequest request, StageTimer timings) =>
        request.Cache is { } cache
            ? cache.GetOrAnalyse(CacheKey(target, request), () => Run(engine, target, request, timings))
            : Run(engine, target, request, timings);

    /// <summary>The content, plus the selected detector and landmarker when they are not the defaults (they find other faces).</summary>
    private static string CacheKey(TargetImage target, SwapRequest request)
    {
        var content = target.ContentKey ?? TargetAnalysisCache.Key(target.Bytes);
        return request.Detector is null && request.Landmarker is null
            ? content
            : $"{content}|{request.Detector?.Name ?? "default"}|{request.Landmarker?.Name ?? "default"}";
    }

    private static TargetAnalysis Run(FaceEngine engine, TargetImage target, SwapRequest request, StageTimer timings)
    {
        var frame = target.TakeDecoded();
        if (frame is not null)
        {
            timings.Add("decode", target.DecodeMilliseconds);
        }
        else
        {
            using (timings.Time("decode"))
            {
                frame = ImageCodec.Decode(target.Bytes, engine.Options.MaxPixels);
            }
        }

        try
        {
            var faces = engine.FindFaces(frame, timings, request.Detector, request.Landmarker);
            float[][] embeddings;
            using (timings.Time("embed"))
            {
                embeddings = [.. engine.Embedder.EmbedAll(frame, faces.Select(f => f.Landmarks).ToList())];
            }

            return new TargetAnalysis(frame, faces, embeddings, CacheHit: false);
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }
}
