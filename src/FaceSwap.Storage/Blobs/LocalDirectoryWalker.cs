using System.IO.Enumeration;

namespace FaceSwap.Storage;

/// <summary>
/// Produces one page of a local listing: depth-first, entries of each folder in ordinal order of their keys,
/// where a file's key is its path relative to the container and a folder's key is that path plus '/'.
/// That order is exactly the ordinal order of the files' relative paths, which makes the continuation token
/// simply the relative path of the last file returned.
/// </summary>
/// <remarks>
/// Resuming prunes every folder whose whole subtree sorts before the token without opening it, and each folder
/// is read keeping only the few smallest entries that are still needed (a bounded heap), so memory stays in
/// proportion to the page size and the folder depth, not to the number of files.
/// </remarks>
internal sealed class LocalDirectoryWalker(
    LocalBlobStore store,
    string container,
    string? token,
    int want,
    CancellationToken cancellationToken)
{
    private static readonly EnumerationOptions Options = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private static readonly IComparer<string> Descending = Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a));

    private readonly List<BlobItemInfo> items = new(Math.Min(want, 1024));

    /// <summary>Walks from <paramref name="directory"/> (whose key is <paramref name="directoryKey"/>) until the page is full.</summary>
    /// <param name="directory">The full path of the folder to start from.</param>
    /// <param name="directoryKey">Its path relative to the container, ending with '/', or empty for the container itself.</param>
    /// <param name="namePrefix">Only entries of the start folder whose name starts with this are listed.</param>
    public List<BlobItemInfo> Walk(string directory, string directoryKey, string namePrefix)
    {
        WalkDirectory(directory, directoryKey, namePrefix);
        return items;
    }

    /// <returns><see langword="true"/> when the page is full.</returns>
    private bool WalkDirectory(string directory, string directoryKey, string namePrefix)
    {
        string? afterSibling = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var need = want - items.Count;
            var batch = SelectSmallest(directory, directoryKey, namePrefix, afterSibling, need);
            foreach (var entry in batch)
            {
                var fullPath = Path.Join(directory, entry.Name);
                if (entry.IsDirectory)
                {
                    // Symbolically linked folders are not walked: they could loop, or lead out of the root.
                    if (!IsLink(fullPath) && WalkDirectory(fullPath, entry.Key, string.Empty))
                    {
                        return true;
                    }
                }
                else if (TryCreateItem(fullPath, entry, out var item))
                {
                    items.Add(item);
                    if (items.Count == want)
                    {
                        return true;
                    }
                }

                afterSibling = entry.Key;
            }

            if (batch.Count < need)
            {
                return false;
            }
        }
    }

    private bool TryCreateItem(string fullPath, Entry entry, out BlobItemInfo item)
    {
        item = null!;
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            return false; // deleted since the folder was read
        }

        if ((info.Attributes & FileAttributes.ReparsePoint) != 0 && !store.IsInsideRoot(fullPath))
        {
            return false; // a symbolic link that leads out of the root
        }

        if (FileTypes.Of(fullPath) == FileType.Special)
        {
            return false; // a FIFO, socket or device: not a blob, and reading one could wait forever
        }

        item = LocalBlobStore.ToItem($"{container}/{entry.Key}", info);
        return true;
    }

    /// <summary>Reads a folder and keeps, in ascending key order, the <paramref name="count"/> smallest entries still to visit.</summary>
    /// <remarks>
    /// The filter runs on the raw directory entry without allocating (names are compared as spans, no file status is
    /// read); only entries that enter the bounded heap become strings, and only the selected ones are looked at further.
    /// </remarks>
    private List<Entry> SelectSmallest(string directory, string directoryKey, string namePrefix, string? afterSibling, int count)
    {
        var heap = new PriorityQueue<Entry, string>(Descending);
        string? largest = null;
        try
        {
            var entries = new FileSystemEnumerable<Entry>(
                directory,
                (ref FileSystemEntry e) =>
                {
                    var name = e.FileName.ToString();
                    return new Entry(name, directoryKey + name + (e.IsDirectory ? "/" : string.Empty), e.IsDirectory);
                },
                Options)
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) =>
                {
                    var name = e.FileName;
                    if (FileSystemHelpers.IsHidden(name) || !name.StartsWith(namePrefix, StringComparison.Ordinal))
                    {
                        return false;
                    }

                    var isDirectory = e.IsDirectory;
                    return IsStillToVisit(directoryKey, name, isDirectory, afterSibling)
                           && (largest is null || CompareKey(directoryKey, name, isDirectory, largest) < 0);
                },
            };

            foreach (var entry in entries)
            {
                if (heap.Count < count)
                {
                    heap.Enqueue(entry, entry.Key);
                }
                else
                {
                    heap.DequeueEnqueue(entry, entry.Key);
                }

                if (heap.Count == count)
                {
                    heap.TryPeek(out _, out largest);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The folder does not exist (or vanished): nothing under it.
        }

        var result = new List<Entry>(heap.Count);
        while (heap.TryDequeue(out var entry, out _))
        {
            result.Add(entry);
        }

        result.Reverse();
        return result;
    }

    private bool IsStillToVisit(string directoryKey, ReadOnlySpan<char> name, bool isDirectory, string? afterSibling)
    {
        if (afterSibling is not null && CompareKey(directoryKey, name, isDirectory, afterSibling) <= 0)
        {
            return false;
        }

        if (token is null || CompareKey(directoryKey, name, isDirectory, token) > 0)
        {
            return true;
        }

        // A folder that sorts before the token still matters when the token lies inside it.
        var rest = token.AsSpan();
        return isDirectory
               && rest.StartsWith(directoryKey, StringComparison.Ordinal)
               && rest[directoryKey.Length..].StartsWith(name, StringComparison.Ordinal)
               && rest.Length > directoryKey.Length + name.Length
               && rest[directoryKey.Length + name.Length] == '/';
    }

    /// <summary>
    /// Compares the key <c>directoryKey + name (+ "/" for a folder)</c> with <paramref name="other"/>, ordinally,
    /// without building the key.
    /// </summary>
    internal static int CompareKey(string directoryKey, ReadOnlySpan<char> name, bool isDirectory, string other)
    {
        var rest = other.AsSpan();
        var c = ComparePart(directoryKey, ref rest);
        if (c != 0)
        {
            return c;
        }

        c = ComparePart(name, ref rest);
        if (c != 0)
        {
            return c;
        }

        if (isDirectory)
        {
            c = ComparePart("/", ref rest);
            if (c != 0)
            {
                return c;
            }
        }

        return rest.Length == 0 ? 0 : -1;
    }

    /// <summary>Compares <paramref name="part"/> with the start of <paramref name="rest"/> and moves past it when equal.</summary>
    /// <returns>The comparison of the key so far: negative, positive, or 0 when <paramref name="rest"/> starts with <paramref name="part"/>.</returns>
    private static int ComparePart(ReadOnlySpan<char> part, ref ReadOnlySpan<char> rest)
    {
        var n = Math.Min(part.Length, rest.Length);
        var c = part[..n].SequenceCompareTo(rest[..n]);
        if (c != 0)
        {
            return c;
        }

        if (rest.Length < part.Length)
        {
            return 1; // the other string ended first: the key is longer, so greater
        }

        rest = rest[part.Length..];
        return 0;
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private readonly record struct Entry(string Name, string Key, bool IsDirectory);
}
