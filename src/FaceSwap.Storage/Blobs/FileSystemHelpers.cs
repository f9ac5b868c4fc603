namespace FaceSwap.Storage;

/// <summary>File-system helpers shared by the local blob store and the local grain storage.</summary>
internal static class FileSystemHelpers
{
    private const int MaxLinkDepth = 40;

    /// <summary>
    /// Resolves every symbolic link in <paramref name="path"/>, like POSIX realpath, but also for paths whose tail does not exist.
    /// </summary>
    public static string RealPath(string path) => RealPath(path, 0);

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or below it (both already real paths).</summary>
    public static bool IsUnder(string path, string root)
    {
        if (string.Equals(path, root, StringComparison.Ordinal))
        {
            return true;
        }

        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return path.StartsWith(rootWithSeparator, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs a file operation, retrying a few times with backoff when the file is locked by another handle
    /// (sharing or lock violations); other failures are thrown at once.
    /// </summary>
    public static async Task<T> RetryOnSharingViolationAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        const int maxAttempts = 4;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (IOException ex) when (attempt < maxAttempts && IsSharingViolation(ex))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 << attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes <paramref name="content"/> to a hidden temporary file beside <paramref name="path"/>, flushes it to disk and renames it over <paramref name="path"/>.</summary>
    public static async Task WriteAtomicallyAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Join(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                PreallocationSize = content.Length,
            });
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Whether a file name is hidden (starts with '.'); temporary files are hidden too.</summary>
    public static bool IsHidden(ReadOnlySpan<char> name) => name.Length > 0 && name[0] == '.';

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover hidden temporary file is skipped by listings.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }

    private static bool IsSharingViolation(IOException ex)
        => ex is not FileNotFoundException and not DirectoryNotFoundException
           && (ex.HResult & 0xFFFF) is 32 or 33; // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION (also used on Unix)

    private static string RealPath(string path, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            throw new IOException($"Too many levels of symbolic links while resolving '{path}'.");
        }

        var full = Path.IsPathRooted(path) ? path : Path.Join(Directory.GetCurrentDirectory(), path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var segment in full[root.Length..].Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }

            var next = Path.Join(current, segment);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            current = RealPath(Path.IsPathRooted(target) ? target : Path.Join(current, target), depth + 1);
        }

        return current;
    }
}

/// <summary>A fixed set of async locks picked by a key's hash: bounded memory however many keys there are.</summary>
internal sealed class StripedAsyncLock
{
    private readonly SemaphoreSlim[] _stripes;

    public StripedAsyncLock(int stripes = 64)
    {
        _stripes = new SemaphoreSlim[stripes];
        for (var i = 0; i < stripes; i++)
        {
            _stripes[i] = new SemaphoreSlim(1, 1);
        }
    }

    /// <summary>Takes the lock for <paramref name="key"/>; dispose the result to release it.</summary>
    public async Task<Releaser> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var stripe = _stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_stripes.Length)];
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(stripe);
    }

    /// <summary>Releases a stripe when disposed.</summary>
    internal readonly struct Releaser(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
