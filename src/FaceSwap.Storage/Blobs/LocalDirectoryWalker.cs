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

    private readonly List<BlobItemInfo> _items = new(Math.Min(want, 1024));

    /// <summary>Walks from <paramref name="directory"/> (whose key is <paramref name="directoryKey"/>) until the page is full.</summary>
    /// <param name="directory">The full path of the folder to start from.</param>
    /// <param name="directoryKey">Its path relative to the container, ending with '/', or empty for the container itself.</param>
    /// <param name="namePrefix">Only entries of the start folder whose name starts with this are listed.</param>
    public List<BlobItemInfo> Walk(string directory, string directoryKey, string namePrefix)
    {
        WalkDirectory(directory, directoryKey, namePrefix);
        return _items;
    }

    /// <returns><see langword="true"/> when the page is full.</returns>
    private bool WalkDirectory(string directory, string directoryKey, string namePrefix)
    {
        string? afterSibling = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var need = want - _items.Count;
            var batch = SelectSmallest(directory, directoryKey, namePrefix, afterSibling, need);
            foreach (var entry in batch)
            {
                var fullPath = Path.Join(directory, entry.Name);
                if (entry.IsDirectory)
                {
                    if (WalkDirectory(fullPath, entry.Key, string.Empty))
                    {
                        return true;
                    }
                }
                else if (TryCreateItem(fullPath, entry, out var item))
                {
                    _items.Add(item);
                    if (_items.Count == want)
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
        if (entry.IsLink && !store.IsInsideRoot(fullPath))
        {
            return false;
        }

        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            return false; // deleted since the folder was read
        }

        item = LocalBlobStore.ToItem($"{container}/{entry.Key}", info);
        return true;
    }

    /// <summary>Reads a folder and keeps, in ascending key order, the <paramref name="count"/> smallest entries still to visit.</summary>
    private List<Entry> SelectSmallest(string directory, string directoryKey, string namePrefix, string? afterSibling, int count)
    {
        var heap = new PriorityQueue<Entry, string>(Descending);
        try
        {
            var entries = new FileSystemEnumerable<Entry>(
                directory,
                (ref FileSystemEntry e) =>
                {
                    var isLink = (e.Attributes & FileAttributes.ReparsePoint) != 0;
                    var isDirectory = e.IsDirectory;
                    var name = e.FileName.ToString();
                    return new Entry(name, directoryKey + name + (isDirectory ? "/" : string.Empty), isDirectory, isLink);
                },
                Options)
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) =>
                    !FileSystemHelpers.IsHidden(e.FileName)
                    && e.FileName.StartsWith(namePrefix, StringComparison.Ordinal)
                    && !(e.IsDirectory && (e.Attributes & FileAttributes.ReparsePoint) != 0),
            };

            foreach (var entry in entries)
            {
                if (!IsStillToVisit(entry, afterSibling))
                {
                    continue;
                }

                if (heap.Count < count)
                {
                    heap.Enqueue(entry, entry.Key);
                }
                else if (heap.TryPeek(out _, out var largest) && string.CompareOrdinal(entry.Key, largest) < 0)
                {
                    heap.DequeueEnqueue(entry, entry.Key);
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

    private bool IsStillToVisit(Entry entry, string? afterSibling)
    {
        if (afterSibling is not null && string.CompareOrdinal(entry.Key, afterSibling) <= 0)
        {
            return false;
        }

        if (token is null || string.CompareOrdinal(entry.Key, token) > 0)
        {
            return true;
        }

        // A folder that sorts before the token still matters when the token lies inside it.
        return entry.IsDirectory && token.StartsWith(entry.Key, StringComparison.Ordinal);
    }

    private readonly record struct Entry(string Name, string Key, bool IsDirectory, bool IsLink);
}
