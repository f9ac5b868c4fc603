namespace FaceSwap.Storage;

/// <summary>A store in which one place can have several paths: local folders, reached through symbolic links.</summary>
public interface IResolvesLinks
{
    /// <summary>
    /// The path of the folder <paramref name="prefix"/> (ending in '/') with every symbolic link on the way resolved, as a
    /// path of this store ending in '/'; the empty string when it is the store's root itself.
    /// </summary>
    /// <exception cref="InvalidBlobPathException">The prefix is malformed, or leads out of the store's root.</exception>
    string ResolvePrefix(string prefix);
}

/// <summary>Where folder prefixes lie relative to each other, symbolic links resolved where the store has them.</summary>
public static class BlobPrefixes
{
    /// <summary>The prefix with its links resolved (<see cref="IResolvesLinks"/>), or as it is for a store without links.</summary>
    public static string Resolve(IBlobStore store, string prefix) =>
        store is IResolvesLinks links ? links.ResolvePrefix(prefix) : prefix;

    /// <summary>Whether <paramref name="inner"/> is <paramref name="outer"/> or a folder inside it; both resolved prefixes ending in '/' (or empty: the root).</summary>
    public static bool IsWithin(string inner, string outer) => inner.StartsWith(outer, StringComparison.Ordinal);

    /// <summary>Whether two resolved prefixes name the same folder or one lies inside the other.</summary>
    public static bool Overlap(string a, string b) => IsWithin(a, b) || IsWithin(b, a);
}
