using System.Runtime.CompilerServices;

namespace FaceSwap.Client;

/// <summary>A pageable over a server listing that takes a cursor and a limit.</summary>
internal sealed class CursorPageable<T>(Func<string?, int?, CancellationToken, Task<Page<T>>> fetch, CancellationToken cancellationToken)
    : AsyncPageable<T>(cancellationToken)
{
    public override IAsyncEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null) =>
        PagesAsync(continuationToken, pageSizeHint, CancellationToken);

    private async IAsyncEnumerable<Page<T>> PagesAsync(string? continuationToken, int? pageSizeHint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        do
        {
            var page = await fetch(continuationToken, pageSizeHint, cancellationToken).ConfigureAwait(false);
            yield return page;
            continuationToken = page.ContinuationToken;
        }
        while (continuationToken is not null);
    }
}
