namespace FaceSwap.Client;

/// <summary>
/// A collection the server hands out page by page: enumerate it with <c>await foreach</c> to get every item (the pages
/// are fetched as needed), or call <see cref="AsPages"/> to work page by page and resume from a continuation token.
/// </summary>
/// <remarks>
/// The shape of Azure.Core's <c>AsyncPageable&lt;T&gt;</c>, without its HTTP pipeline types: this client runs on
/// <see cref="HttpClient"/>. For a test, <see cref="FromPages"/> makes one from pages in memory.
/// </remarks>
/// <typeparam name="T">The items.</typeparam>
public abstract class AsyncPageable<T> : IAsyncEnumerable<T>
{
    /// <summary>For mocking and subclasses.</summary>
    protected AsyncPageable()
    {
    }

    /// <summary>For subclasses: the token that <see cref="GetAsyncEnumerator"/> uses when given none.</summary>
    /// <param name="cancellationToken">Cancels fetching pages.</param>
    protected AsyncPageable(CancellationToken cancellationToken) => CancellationToken = cancellationToken;

    /// <summary>The token that cancels fetching pages when enumerating without one.</summary>
    protected virtual CancellationToken CancellationToken { get; }

    /// <summary>The pages, one request each, starting after <paramref name="continuationToken"/>.</summary>
    /// <param name="continuationToken">A <see cref="Page{T}.ContinuationToken"/> from an earlier enumeration; null starts at the first page.</param>
    /// <param name="pageSizeHint">Items per page to ask for; null: the server's default. The server may return fewer.</param>
    /// <returns>The pages, the last one with a null <see cref="Page{T}.ContinuationToken"/>.</returns>
    public abstract IAsyncEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null);

    /// <summary>Every item of every page, fetching pages as the enumeration reaches them.</summary>
    /// <param name="cancellationToken">Cancels fetching pages.</param>
    /// <returns>The enumerator.</returns>
    public virtual async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var token = cancellationToken.CanBeCanceled ? cancellationToken : CancellationToken;
        await foreach (var page in AsPages().WithCancellation(token).ConfigureAwait(false))
        {
            foreach (var value in page.Values)
            {
                yield return value;
            }
        }
    }

    /// <summary>A pageable over pages already in memory, e.g. what a mocked <see cref="FaceSwapClient"/> returns in a test.</summary>
    /// <param name="pages">The pages, in order.</param>
    /// <returns>The pageable; <see cref="AsPages"/> ignores its arguments and yields <paramref name="pages"/>.</returns>
    public static AsyncPageable<T> FromPages(IEnumerable<Page<T>> pages)
    {
        ArgumentNullException.ThrowIfNull(pages);
        return new StaticPageable(pages.ToList());
    }

    private sealed class StaticPageable(IReadOnlyList<Page<T>> pages) : AsyncPageable<T>
    {
        public override async IAsyncEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
        {
            foreach (var page in pages)
            {
                await Task.Yield();
                yield return page;
            }
        }
    }
}
