using System.Collections.Concurrent;
using System.Text;

namespace FaceSwap.Client.Tests;

/// <summary>How a flaky connection ends.</summary>
public enum CutKind
{
    /// <summary>The read fails as a reset connection does (IOException).</summary>
    Reset,
    /// <summary>The stream just ends, as when a proxy or the server closes it.</summary>
    EndOfStream,
}

/// <summary>
/// Breaks event-stream responses the way networks do: the n-th response body is cut in the middle of an image event
/// (after <c>imagesPerCut</c> "event: image" lines have passed, a few bytes into the last one), by
/// <c>cuts[n]</c>; later responses pass untouched. Records each request's Last-Event-ID header.
/// </summary>
public sealed class FlakyStreamHandler(IReadOnlyList<CutKind> cuts, int imagesPerCut) : DelegatingHandler
{
    private readonly ConcurrentQueue<string?> lastEventIds = new();
    private int connections;

    /// <summary>The Last-Event-ID header of each event-stream request, in order (null when absent).</summary>
    public IReadOnlyCollection<string?> LastEventIds => lastEventIds;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref connections) - 1;
        lastEventIds.Enqueue(request.Headers.TryGetValues("Last-Event-ID", out var values) ? values.Single() : null);
        var response = await base.SendAsync(request, cancellationToken);
        if (n < cuts.Count && response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var cut = new StreamContent(new CuttingStream(body, imagesPerCut, cuts[n]));
            foreach (var header in response.Content.Headers)
            {
                cut.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = cut;
        }

        return response;
    }

    private sealed class CuttingStream(Stream inner, int images, CutKind kind) : Stream
    {
        private const string Marker = "event: image";
        private const int IntoTheEvent = 25;
        private readonly StringBuilder seen = new();
        private readonly byte[] buffer = new byte[8192];
        private int pendingStart;
        private int pendingEnd;
        private long delivered;
        private long? cutAt;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                if (cutAt is { } at && delivered >= at)
                {
                    return kind == CutKind.Reset ? throw new IOException("connection reset (test)") : 0;
                }

                if (pendingStart == pendingEnd)
                {
                    var read = await inner.ReadAsync(buffer, cancellationToken);
                    if (read == 0)
                    {
                        return 0;
                    }

                    (pendingStart, pendingEnd) = (0, read);
                    seen.Append(Encoding.Latin1.GetString(buffer, 0, read));
                    cutAt ??= FindCut();
                }

                var allowed = pendingEnd - pendingStart;
                if (cutAt is { } limit)
                {
                    allowed = (int)Math.Min(allowed, limit - delivered);
                }

                if (allowed <= 0)
                {
                    continue;
                }

                var count = Math.Min(allowed, destination.Length);
                buffer.AsMemory(pendingStart, count).CopyTo(destination);
                pendingStart += count;
                delivered += count;
                return count;
            }
        }

        public override Task<int> ReadAsync(byte[] destination, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(destination.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] destination, int offset, int count) => ReadAsync(destination, offset, count).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] source, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private long? FindCut()
        {
            var text = seen.ToString();
            var at = -1;
            for (var i = 0; i < images; i++)
            {
                at = text.IndexOf(Marker, at + 1, StringComparison.Ordinal);
                if (at < 0)
                {
                    return null;
                }
            }

            return at + IntoTheEvent;
        }
    }
}
