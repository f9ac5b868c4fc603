using System.Runtime.InteropServices;

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
    /// <remarks>
    /// The temporary name is short and does not contain the target's name, so a target whose name is as long as the file
    /// system allows (255 bytes) can still be written.
    /// </remarks>
    public static async Task WriteAtomicallyAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        => await WriteAtomicallyAsync(path, content, replace: true, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Writes a file as <see cref="WriteAtomicallyAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/> does; with
    /// <paramref name="replace"/> false only when no file is at <paramref name="path"/> (the rename does not replace,
    /// which holds across processes). Returns false when a file was there. <paramref name="beforeRename"/> runs on the
    /// flushed temporary file just before it is renamed into place; the rename keeps its size and write time.
    /// </summary>
    public static async Task<bool> WriteAtomicallyAsync(string path, ReadOnlyMemory<byte> content, bool replace, CancellationToken cancellationToken,
        Func<FileInfo, Task>? beforeRename = null)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Join(directory, $".fs-{Guid.NewGuid():N}.tmp");
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

            if (beforeRename is not null)
            {
                await beforeRename(new FileInfo(temp)).ConfigureAwait(false);
            }

            try
            {
                File.Move(temp, path, overwrite: replace);
            }
            catch (IOException) when (!replace && File.Exists(path))
            {
                TryDelete(temp);
                return false;
            }

            return true;
        }
        catch (IOException e) when (IsDiskFull(directory, content.Length))
        {
            TryDelete(temp);
            throw new IOException($"no space left on the disk of '{directory}' to write {content.Length} bytes", e) { HResult = StorageErrors.DiskFullHResult };
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Whether the file system holding <paramref name="directory"/> has no room for <paramref name="bytes"/> more.</summary>
    private static bool IsDiskFull(string directory, long bytes)
    {
        try
        {
            return new DriveInfo(directory).AvailableFreeSpace < bytes + 4096;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> (links followed) is a regular file, as far as this platform can tell: false for a
    /// FIFO, a socket or a device, which a reader could wait on forever (a FIFO's open blocks until a writer comes).
    /// True when it does not exist, or where the file type cannot be asked (then reads rely on their timeout).
    /// </summary>
    public static bool IsRegularFileOrUnknown(string path) => FileTypes.Of(path) is FileType.Regular or FileType.Unknown or FileType.Missing;

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
    private readonly SemaphoreSlim[] stripes;

    public StripedAsyncLock(int stripes = 64)
    {
        this.stripes = new SemaphoreSlim[stripes];
        for (var i = 0; i < stripes; i++)
        {
            this.stripes[i] = new SemaphoreSlim(1, 1);
        }
    }

    /// <summary>Takes the lock for <paramref name="key"/>; dispose the result to release it.</summary>
    public async Task<Releaser> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var stripe = this.stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)this.stripes.Length)];
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(stripe);
    }

    /// <summary>Releases a stripe when disposed.</summary>
    internal readonly struct Releaser(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}

/// <summary>What kind of file system entry a path is.</summary>
internal enum FileType
{
    /// <summary>The platform cannot tell (not Linux, or no statx).</summary>
    Unknown,
    /// <summary>Nothing there.</summary>
    Missing,
    /// <summary>A regular file.</summary>
    Regular,
    /// <summary>A folder.</summary>
    Directory,
    /// <summary>A FIFO, socket, character or block device.</summary>
    Special,
}

/// <summary>
/// The file type of a path. .NET tells folders from files but not a regular file from a FIFO or a device
/// (FileInfo says "Normal" for all of them), so on Linux this asks the kernel with statx(2), whose buffer layout is the
/// same on every architecture; elsewhere the type is <see cref="FileType.Unknown"/>.
/// </summary>
internal static class FileTypes
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int TypeMask = 0xF000; // S_IFMT
    private const int RegularBits = 0x8000; // S_IFREG
    private const int DirectoryBits = 0x4000; // S_IFDIR
    private const int NoEntry = 2; // ENOENT
    private const int NotDirectory = 20; // ENOTDIR

    private static bool unavailable = !OperatingSystem.IsLinux();

    /// <summary>The type of <paramref name="path"/>, symbolic links followed.</summary>
    public static FileType Of(string path)
    {
        if (unavailable)
        {
            return FileType.Unknown;
        }

        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, out var buffer) != 0)
            {
                return Marshal.GetLastPInvokeError() is NoEntry or NotDirectory ? FileType.Missing : FileType.Unknown;
            }

            return (buffer.Mode & TypeMask) switch
            {
                RegularBits => FileType.Regular,
                DirectoryBits => FileType.Directory,
                _ => FileType.Special,
            };
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // An old C library without statx: the type stays unknown from now on.
            unavailable = true;
            return FileType.Unknown;
        }
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, out StatxBuffer buffer);

    /// <summary>struct statx (linux/stat.h): 256 bytes; stx_mode is the 16 bits at offset 28.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)] public ushort Mode;
    }
}
