using FaceSwap.LoadTesting;
using FaceSwap.Storage;
using FaceSwap.Testing;

namespace FaceSwap.Cli.Tests.LoadTesting;

/// <summary>The load-testing store: generated inputs, outputs counted by index, job files in a real store.</summary>
public sealed class SyntheticBlobStoreTests : IDisposable
{
    private readonly TemporaryDirectory temp = new("faceswap-synthetic");
    private readonly SyntheticBlobStore store;

    public SyntheticBlobStoreTests() => this.store = new SyntheticBlobStore(new LocalBlobStore(temp.FullPath), "syn/in", "syn/out/", 2500);

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Listing_pages_through_every_generated_name_once_in_ordinal_order_under_nested_folders()
    {
        var paths = new List<string>();
        string? token = null;
        do
        {
            var page = await this.store.ListAsync("syn/in/", token, 1000);
            paths.AddRange(page.Items.Select(i => i.Path));
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(2500, paths.Count);
        Assert.Equal(paths.Order(StringComparer.Ordinal), paths);
        Assert.Equal(2500, paths.Distinct().Count());
        Assert.Equal("syn/in/d000/e01/img00001234.jpg", paths[1234]);
        var item = (await this.store.GetPropertiesAsync(paths[1234]))!;
        Assert.Equal(SyntheticBlobStore.ETagOf(1234), item.ETag);
        Assert.Equal(SyntheticBlobStore.InputSize, (await this.store.ReadAllBytesAsync(paths[1234], 1000)).Length);
    }

    [Fact]
    public async Task Output_writes_are_counted_as_distinct_or_duplicate_and_their_metadata_comes_back_with_each_image_etag()
    {
        var metadata = (int index) => new Dictionary<string, string> { ["faceswap_input_etag"] = SyntheticBlobStore.ETagOf(index), ["faceswap_spec"] = "s1" };

        await this.store.WriteAsync("syn/out/" + SyntheticBlobStore.RelativeName(7), new byte[4], "image/jpeg", metadata(7));
        await this.store.WriteAsync("syn/out/" + SyntheticBlobStore.RelativeName(8), new byte[4], "image/jpeg", metadata(8));
        await this.store.WriteAsync("syn/out/" + SyntheticBlobStore.RelativeName(7), new byte[4], "image/jpeg", metadata(7));

        Assert.Equal(2, this.store.DistinctWrites);
        Assert.Equal(1, this.store.DuplicateWrites);
        var read = await this.store.GetMetadataAsync("syn/out/" + SyntheticBlobStore.RelativeName(8));
        Assert.Equal(SyntheticBlobStore.ETagOf(8), read!["faceswap_input_etag"]);
        Assert.Equal("s1", read["faceswap_spec"]);
        Assert.Null(await this.store.GetMetadataAsync("syn/out/" + SyntheticBlobStore.RelativeName(9)));
        Assert.True(await this.store.ExistsAsync("syn/out/" + SyntheticBlobStore.RelativeName(7)));
        Assert.False(await this.store.ExistsAsync("syn/out/" + SyntheticBlobStore.RelativeName(9)));
    }

    [Fact]
    public async Task Job_files_go_to_the_inner_store_and_outcome_lines_are_timed_from_their_listing()
    {
        await this.store.ListAsync("syn/in/", null, 100);
        await this.store.AppendLinesAsync("syn/out/_faceswap/job/outcomes.jsonl", ["{\"path\":\"d000/e00/img00000042.jpg\",\"status\":\"ok\"}"]);

        Assert.Equal(1, this.store.ListingToOutcome.Count);
        Assert.Equal(1, this.store.Appends);
        var lines = await File.ReadAllLinesAsync(Path.Join(temp.FullPath, "syn", "out", "_faceswap", "job", "outcomes.jsonl"));
        Assert.Single(lines);
        Assert.Contains("img00000042", lines[0]);
    }
}
