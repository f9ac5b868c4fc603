using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Which images a preview (<see cref="JobOptions.Preview"/>) swaps: <c>count</c> images spread over the input's
/// folders, the same ones for the same input whatever the listing's page size, chosen from a stream of listed names
/// with memory bounded by the count (never the input's size).
/// </summary>
/// <remarks>
/// Every name gets a rank, a hash of its path relative to the input. With at most <c>count</c> folders, images are
/// taken round-robin over the folders (in folder order), each folder's in rank order: every folder shows, and a folder
/// of 1,000 photos gives no more than one of 3 until each has given one. With more folders, the <c>count</c> folders
/// of lowest rank give one image each: a sample over the tree, not its first folders. Within a folder the rank picks a
/// sample too, not the first names (a burst of shots named in sequence is not all that a preview shows).
/// </remarks>
public sealed class PreviewSelection(int count)
{
    /// <summary>The chosen folders so far (at most <c>count</c>), by rank; each with its best-ranked images.</summary>
    private readonly SortedDictionary<Ranked, SortedSet<Ranked>> folders = new();

    /// <summary>The keys of <see cref="folders"/>, for their worst in logarithmic time.</summary>
    private readonly SortedSet<Ranked> ranks = new();

    /// <summary>Input images seen.</summary>
    public long Seen { get; private set; }

    /// <summary>Offers one listed input image, <paramref name="relative"/> being its path under the input prefix.</summary>
    public void Add(string relative, BlobItemInfo blob)
    {
        Seen++;
        var slash = relative.LastIndexOf('/');
        var folder = new Ranked(Rank(slash < 0 ? "" : relative[..slash]), slash < 0 ? "" : relative[..slash], null);
        if (!folders.TryGetValue(folder, out var images))
        {
            if (folders.Count >= count)
            {
                var worst = ranks.Max!;
                if (folder.CompareTo(worst) > 0)
                {
                    // Never taken: the folders kept rank better, and that only gets stricter.
                    return;
                }

                folders.Remove(worst);
                ranks.Remove(worst);
            }

            images = [];
            folders.Add(folder, images);
            ranks.Add(folder);
        }

        images.Add(new Ranked(Rank(relative), relative, blob));
        if (images.Count > count)
        {
            images.Remove(images.Max!);
        }
    }

    /// <summary>The chosen images, in path order (as a listing would give them).</summary>
    public IReadOnlyList<BlobItemInfo> Chosen()
    {
        // Round-robin over the folders in folder order; with more folders than the count only the best-ranked are kept.
        var queues = folders.OrderBy(f => f.Key.Name, StringComparer.Ordinal).Select(f => new Queue<Ranked>(f.Value)).ToList();
        var chosen = new List<Ranked>();
        while (chosen.Count < count && queues.Any(q => q.Count > 0))
        {
            foreach (var queue in queues)
            {
                if (chosen.Count < count && queue.TryDequeue(out var image))
                {
                    chosen.Add(image);
                }
            }
        }

        return chosen.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Blob!).ToList();
    }

    /// <summary>A stable rank for a name: the first 8 bytes of its SHA-256.</summary>
    private static ulong Rank(string name) => BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    /// <summary>A name with its rank, ordered by rank then name.</summary>
    private sealed record Ranked(ulong Rank, string Name, BlobItemInfo? Blob) : IComparable<Ranked>
    {
        public int CompareTo(Ranked? other) =>
            other is null ? 1 : Rank != other.Rank ? Rank.CompareTo(other.Rank) : string.CompareOrdinal(Name, other.Name);
    }
}

/// <summary>
/// A preview round's work: the whole input is listed once (names only), <see cref="PreviewSelection"/> chooses the
/// images, and they come back as one page. The choice is the same every time, so a preview resumed after its silo was
/// lost lists again and gets the same images (their outputs already written are counted, not redone).
/// </summary>
public sealed class PreviewWorkSource(IBlobStore store, JobSpec spec, int count) : IWorkSource
{
    private const int ListingPage = 1000;

    /// <summary>The input images the preview chose from, once listed.</summary>
    public long? InputImages { get; private set; }

    /// <inheritdoc />
    public async Task<WorkPage> PageAsync(string? token, int pageSize)
    {
        var selection = new PreviewSelection(count);
        string? next = null;
        do
        {
            var listing = await store.ListAsync(spec.Input, next, ListingPage);
            foreach (var blob in listing.Items.Where(b => JobFiles.IsInputImage(spec, b.Path)))
            {
                selection.Add(blob.Path[spec.Input.Length..], blob);
            }

            next = listing.ContinuationToken;
        }
        while (next is not null);

        InputImages = selection.Seen;
        return WorkSources.Page(spec, selection.Chosen(), nextToken: null, retryRound: false);
    }
}
