namespace FaceSwap.Storage;

/// <summary>A parsed blob path: the container and the rest.</summary>
/// <param name="Container">The first segment.</param>
/// <param name="Name">The rest after the first '/': a blob name, or a name prefix (possibly empty) for listings.</param>
internal readonly record struct BlobPath(string Container, string Name)
{
    /// <summary>Parses the path of one blob: <c>container/name</c>, both non-empty.</summary>
    public static BlobPath ParseBlob(string path)
    {
        var parsed = Parse(path, isPrefix: false);
        if (parsed.Name.Length == 0)
        {
            throw new InvalidBlobPathException(path, "a blob path is 'container/name'; the name is missing.");
        }

        return parsed;
    }

    /// <summary>Parses a listing prefix: <c>container</c>, <c>container/</c>, <c>container/folder/</c> or <c>container/folder/start</c>.</summary>
    public static BlobPath ParsePrefix(string prefix) => Parse(prefix, isPrefix: true);

    private static BlobPath Parse(string path, bool isPrefix)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw new InvalidBlobPathException(path, "the path is empty.");
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            throw new InvalidBlobPathException(path, "backslashes are not allowed; separate segments with '/'.");
        }

        if (path[0] == '/' || (path.Length > 1 && path[1] == ':'))
        {
            throw new InvalidBlobPathException(path, "absolute paths are not allowed; a path starts with its container.");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidBlobPathException(path, "NUL characters are not allowed.");
        }

        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var isTrailing = i == segments.Length - 1;
            if (segment.Length == 0 && !(isTrailing && isPrefix))
            {
                throw new InvalidBlobPathException(
                    path,
                    isTrailing ? "a blob path cannot end with '/'." : "empty segments ('//') are not allowed.");
            }

            if (segment is "." or "..")
            {
                throw new InvalidBlobPathException(path, "'.' and '..' segments are not allowed.");
            }
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0
            ? new BlobPath(path, string.Empty)
            : new BlobPath(path[..slash], path[(slash + 1)..]);
    }

    /// <summary>The full path, <c>container/name</c>.</summary>
    public override string ToString() => Name.Length == 0 ? Container : $"{Container}/{Name}";
}

/// <summary>Checks paths that come from users (API requests, manifests) before they reach a store.</summary>
public static class BlobPathRules
{
    /// <summary>The longest name between two '/' of a path, in UTF-8 bytes: what Linux and macOS file systems hold.</summary>
    public const int MaxSegmentBytes = 255;

    /// <summary>
    /// Why <paramref name="path"/> is not a usable blob path (or, with <paramref name="isPrefix"/>, listing prefix), or
    /// null when it is. URLs, absolute paths, backslashes and '.' or '..' segments are refused.
    /// </summary>
    public static string? Problem(string? path, bool isPrefix)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "is required";
        }

        if (path.Contains("://", StringComparison.Ordinal))
        {
            return "must be a storage path such as 'container/folder/', not a URL";
        }

        try
        {
            var parsed = isPrefix ? BlobPath.ParsePrefix(path) : BlobPath.ParseBlob(path);
            if (parsed.Container.Length == 0)
            {
                return "must start with a container name";
            }

            // Local folders (and so every store, for jobs that move between them) hold names of at most 255 bytes.
            return path.Split('/').Any(segment => System.Text.Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
                ? $"has a name longer than {MaxSegmentBytes} bytes (UTF-8) between two '/'"
                : null;
        }
        catch (InvalidBlobPathException e)
        {
            return e.Reason;
        }
    }
}
