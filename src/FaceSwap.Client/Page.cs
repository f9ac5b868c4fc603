namespace FaceSwap.Client;

/// <summary>One page of an <see cref="AsyncPageable{T}"/>.</summary>
/// <typeparam name="T">The items.</typeparam>
public sealed class Page<T>
{
    private Page(IReadOnlyList<T> values, string? continuationToken, int? total)
    {
        Values = values;
        ContinuationToken = continuationToken;
        Total = total;
    }

    /// <summary>The items of this page.</summary>
    public IReadOnlyList<T> Values { get; }

    /// <summary>Where the next page starts (pass it to <see cref="AsyncPageable{T}.AsPages"/> to resume); null on the last page.</summary>
    public string? ContinuationToken { get; }

    /// <summary>How many items the whole listing has, when the server says (a job's results do); null otherwise.</summary>
    public int? Total { get; }

    /// <summary>A page of <paramref name="values"/>.</summary>
    /// <param name="values">The items.</param>
    /// <param name="continuationToken">Where the next page starts; null for the last page.</param>
    /// <param name="total">How many items the whole listing has, if known.</param>
    /// <returns>The page.</returns>
    public static Page<T> FromValues(IReadOnlyList<T> values, string? continuationToken, int? total = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new Page<T>(values, continuationToken, total);
    }
}
