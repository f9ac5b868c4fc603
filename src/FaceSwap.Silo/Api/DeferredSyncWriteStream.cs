namespace FaceSwap.Silo.Api;

/// <summary>
/// A write-only stream over a response body that holds synchronous writes until the next asynchronous write or flush.
/// Kestrel refuses synchronous writes, and <see cref="System.IO.Compression.ZipArchive"/> still writes an entry's data
/// descriptor (16 to 24 bytes) synchronously when the entry's stream is disposed, even through DisposeAsync. Only such
/// small writes are held: more than <see cref="MaxPendingBytes"/> held at once is a bug, and throws.
/// </summary>
public sealed class DeferredSyncWriteStream(Stream inner) : Stream
{
    /// <summary>The most bytes held from synchronous writes.</summary>
    public const int MaxPendingBytes = 64 << 10;

    private readonly MemoryStream pending = new();

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (pending.Length + buffer.Length > MaxPendingBytes)
        {
            throw new InvalidOperationException($"{pending.Length + buffer.Length} bytes written synchronously to a response: only small writes may be held");
        }

        pending.Write(buffer);
    }

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await DrainAsync(cancellationToken);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await DrainAsync(cancellationToken);
        await inner.FlushAsync(cancellationToken);
    }

    /// <summary>Held bytes wait for the next asynchronous write or flush.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    private async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        if (pending.Length > 0)
        {
            await inner.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), cancellationToken);
            pending.SetLength(0);
        }
    }
}
