using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// Pages of a job's outcomes through <see cref="OutcomeIndex"/> on real files: a page of a 200,000-image manifest reads as
/// many bytes as a page of a 100-image one, counted by a store wrapper, and holds what reading the whole file gives.
/// </summary>
public sealed class OutcomeIndexTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory root = new("faceswap-outcome-index");

    [Fact]
    public async Task A_page_of_a_200000_image_job_costs_the_reads_of_a_page_of_a_100_image_job_and_matches_the_whole_file()
    {
        var store = new ByteCountingStore(new LocalBlobStore(root.FullPath));
        var large = await WriteManifestAsync(store, "large", 200_000);
        var small = await WriteManifestAsync(store, "small", 100);

        // Built once, in one pass over the manifest; opened again it reads only its header.
        var manifestBytes = (await store.GetPropertiesAsync(large))!.Size;
        var built = await store.CountAsync(() => OutcomeIndex.OpenAsync(store, large));
        var (_, reopenBytes) = await store.MeasureAsync(() => OutcomeIndex.OpenAsync(store, large));
        output.WriteLine($"manifest {manifestBytes} bytes; building read {built} bytes; opening again read {reopenBytes} bytes");
        Assert.InRange(built, manifestBytes, manifestBytes + (1 << 20));
        Assert.True(reopenBytes <= 128, $"opening a current index read {reopenBytes} bytes");

        var (smallIndex, _) = await store.MeasureAsync(() => OutcomeIndex.OpenAsync(store, small));
        var (largeIndex, _) = await store.MeasureAsync(() => OutcomeIndex.OpenAsync(store, large));
        var (_, smallPage) = await store.MeasureAsync(() => smallIndex.PageAsync(null, false, 0, 100, default));
        foreach (var start in new long[] { 0, 100_000, largeIndex.Count() - 100 })
        {
            var (page, bytes) = await store.MeasureAsync(() => largeIndex.PageAsync(null, false, start, 100, default));
            output.WriteLine($"page at {start}: {page.Count} outcomes, {bytes} bytes read (a 100-image job's page: {smallPage})");
            Assert.Equal(100, page.Count);
            Assert.True(bytes <= smallPage * 1.2, $"page at {start} of the large job read {bytes} bytes, a page of the small one {smallPage}");
        }

        var (failedPage, failedBytes) = await store.MeasureAsync(() => largeIndex.PageAsync(ImageStatus.Failed, true, 1_000, 50, default));
        Assert.Equal(50, failedPage.Count);
        Assert.True(failedBytes <= smallPage, $"a filtered page read {failedBytes} bytes");

        // The same outcomes as the whole file read at once: the latest line of each image, in the order of those lines.
        var latest = await JobOutcomes.ReadLatestAsync(store, large);
        Assert.Equal(latest.Count, largeIndex.Count());
        Assert.Equal(latest.Count(o => o.Status == ImageStatus.Failed && o.FacesToReview > 0), largeIndex.Count(ImageStatus.Failed, review: true));
        Assert.Equal(latest.Count(o => o.Status == ImageStatus.Ok), largeIndex.Count(ImageStatus.Ok));
        Assert.Equal(latest.Skip(150_000).Take(100).Select(o => (o.Path, o.Status)), (await largeIndex.PageAsync(null, false, 150_000, 100)).Select(o => (o.Path, o.Status)));
        Assert.Equal(latest.Where(o => o.Status == ImageStatus.Failed && o.FacesToReview > 0).Skip(1_000).Take(50).Select(o => o.Path), failedPage.Select(o => o.Path));
        Assert.Equal(
            latest.Where(o => o.Status == ImageStatus.Ok).Where((_, i) => i % 10_000 == 0).Select(o => o.Path),
            (await largeIndex.AtAsync(ImageStatus.Ok, Enumerable.Range(0, (int)((largeIndex.Count(ImageStatus.Ok) + 9_999) / 10_000)).Select(i => i * 10_000L).ToList())).Select(o => o.Path));

        // Outcomes appended later (a retry round) are found once the index is opened again.
        await store.AppendLinesAsync(large, [JobOutcomes.ToLine(new ImageOutcome { Path = Name(3), Status = ImageStatus.NoFace })]);
        var grown = await OutcomeIndex.OpenAsync(store, large);
        Assert.Equal(latest.Count, grown.Count());
        Assert.Equal(Name(3), (await grown.PageAsync(null, false, grown.Count() - 1, 1)).Single().Path);
    }

    public void Dispose() => root.Dispose();

    private static string Name(int i) => $"d{i / 1000:D3}/img{i:D6}.jpg";

    /// <summary>
    /// A manifest of <paramref name="images"/> outcomes (mostly ok; failed, no-face, skipped and to-review among them),
    /// then a retry round whose lines supersede a twentieth of the failures.
    /// </summary>
    private static async Task<string> WriteManifestAsync(IBlobStore store, string job, int images)
    {
        var manifest = $"outbox/{job}/_faceswap/{job}/outcomes.jsonl";
        var lines = new List<string>();
        for (var i = 0; i < images; i++)
        {
            var status = (i % 10) switch { 0 => ImageStatus.Failed, 1 => ImageStatus.NoFace, 2 => ImageStatus.Skipped, _ => ImageStatus.Ok };
            lines.Add(JobOutcomes.ToLine(new ImageOutcome
            {
                Path = Name(i), Status = status, Faces = status == ImageStatus.Ok ? 2 : 0, Silo = "inference-1", Milliseconds = 12.5,
                ErrorClass = status == ImageStatus.Failed ? "storage_error" : null, FacesToReview = i % 7 == 0 ? 1 : 0,
            }));
            if (lines.Count == 10_000)
            {
                await store.AppendLinesAsync(manifest, lines);
                lines.Clear();
            }
        }

        for (var i = 0; i < images; i += 200)
        {
            lines.Add(JobOutcomes.ToLine(new ImageOutcome { Path = Name(i), Status = ImageStatus.Ok, Faces = 2, Silo = "inference-2", Milliseconds = 12.5 }));
        }

        await store.AppendLinesAsync(manifest, lines);
        return manifest;
    }

    /// <summary>A store that counts the bytes its reads return.</summary>
    private sealed class ByteCountingStore(IBlobStore inner) : IBlobStore
    {
        private long bytesRead;

        public async Task<long> CountAsync<T>(Func<Task<T>> action) => (await MeasureAsync(action)).Bytes;

        public async Task<(T Result, long Bytes)> MeasureAsync<T>(Func<Task<T>> action)
        {
            var before = Interlocked.Read(ref bytesRead);
            var result = await action();
            return (result, Interlocked.Read(ref bytesRead) - before);
        }

        public Task<BlobPage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken = default) =>
            inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

        public Task<BlobItemInfo?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default) => inner.GetPropertiesAsync(path, cancellationToken);

        public Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string path, CancellationToken cancellationToken = default) => inner.GetMetadataAsync(path, cancellationToken);

        public Task<BlobStamp?> GetStampAsync(string path, CancellationToken cancellationToken = default) => inner.GetStampAsync(path, cancellationToken);

        public async Task<byte[]> ReadAllBytesAsync(string path, long maxBytes, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAllBytesAsync(path, maxBytes, cancellationToken));

        public async Task<byte[]> ReadRangeAsync(string path, long offset, int maxBytes, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadRangeAsync(path, offset, maxBytes, cancellationToken));

        public Task WriteAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(path, content, contentType, metadata, cancellationToken);

        public Task<bool> WriteIfAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, WriteCondition condition, CancellationToken cancellationToken = default) =>
            inner.WriteIfAsync(path, content, contentType, metadata, condition, cancellationToken);

        public Task AppendLinesAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken = default) => inner.AppendLinesAsync(path, lines, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

        public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) => inner.ExistsAsync(path, cancellationToken);

        private byte[] Counted(byte[] bytes)
        {
            Interlocked.Add(ref bytesRead, bytes.Length);
            return bytes;
        }
    }
}
