using System.Text;

namespace FaceSwap.Storage.Tests.Blobs;

/// <summary>What every <see cref="IBlobStore"/> must do; run against the local store and against Azurite.</summary>
public abstract class BlobStoreContractTests
{
    /// <summary>The store under test.</summary>
    protected abstract IBlobStore Store { get; }

    /// <summary>A container of this test's own.</summary>
    protected abstract string Container { get; }

    /// <summary>A new store instance over the same storage, as after a process restart.</summary>
    protected abstract IBlobStore CreateStoreOverSameStorage();

    /// <summary>A full path in this test's container.</summary>
    protected string P(string rest) => $"{Container}/{rest}";

    [Fact]
    public async Task Write_then_read_round_trips_content_metadata_and_properties()
    {
        var content = Encoding.UTF8.GetBytes("hello, faces");
        var metadata = new Dictionary<string, string> { ["inputETag"] = "\"0x8D1\"", ["specHash"] = "abc123" };

        await Store.WriteAsync(P("out/a/b/photo.jpg"), content, "image/jpeg", metadata);

        Assert.Equal(content, await Store.ReadAllBytesAsync(P("out/a/b/photo.jpg"), 1024));
        var readMetadata = await Store.GetMetadataAsync(P("out/a/b/photo.jpg"));
        Assert.NotNull(readMetadata);
        Assert.Equal("\"0x8D1\"", readMetadata["inputETag"]);
        Assert.Equal("abc123", readMetadata["specHash"]);
        Assert.Equal(2, readMetadata.Count);

        var properties = await Store.GetPropertiesAsync(P("out/a/b/photo.jpg"));
        Assert.NotNull(properties);
        Assert.Equal(P("out/a/b/photo.jpg"), properties.Path);
        Assert.Equal(content.Length, properties.Size);
        Assert.False(string.IsNullOrEmpty(properties.ETag));
        Assert.True(properties.LastModified > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.True(await Store.ExistsAsync(P("out/a/b/photo.jpg")));
        var listed = Assert.Single((await Store.ListAsync(P("out/"), null, 10)).Items);
        Assert.Equal(properties, listed);
    }

    [Fact]
    public async Task A_create_only_write_writes_once_and_the_second_writer_finds_the_first_ones_content()
    {
        var path = P("out/once.jpg");
        Assert.Null(await Store.GetStampAsync(path));

        var first = await Store.WriteIfAsync(path, new byte[] { 1, 2, 3 }, "image/jpeg", new Dictionary<string, string> { ["writer"] = "first" }, WriteCondition.IfAbsent);
        var second = await CreateStoreOverSameStorage().WriteIfAsync(path, new byte[] { 9, 9 }, "image/jpeg", new Dictionary<string, string> { ["writer"] = "second" }, WriteCondition.IfAbsent);

        Assert.True(first);
        Assert.False(second);
        Assert.Equal(new byte[] { 1, 2, 3 }, await Store.ReadAllBytesAsync(path, 100));
        var stamp = await Store.GetStampAsync(path);
        Assert.NotNull(stamp);
        Assert.Equal("first", stamp.Metadata["writer"]);
        Assert.Equal((await Store.GetPropertiesAsync(path))!.ETag, stamp.ETag);
    }

    [Fact]
    public async Task Two_writers_that_saw_the_same_etag_write_one_after_the_other_never_both()
    {
        var path = P("out/seen.jpg");
        await Store.WriteAsync(path, new byte[] { 1 }, "image/jpeg", new Dictionary<string, string> { ["v"] = "0" });
        var seen = await Store.GetStampAsync(path);
        await Task.Delay(20);

        var results = await Task.WhenAll(Enumerable.Range(1, 4).Select(i =>
            Store.WriteIfAsync(path, new byte[] { (byte)i, (byte)i }, "image/jpeg", new Dictionary<string, string> { ["v"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, WriteCondition.Unchanged(seen))));

        Assert.Equal(1, results.Count(written => written));
        var winner = Array.IndexOf(results, true) + 1;
        Assert.Equal(winner.ToString(System.Globalization.CultureInfo.InvariantCulture), (await Store.GetMetadataAsync(path))!["v"]);
        Assert.False(await Store.WriteIfAsync(P("out/missing.jpg"), new byte[] { 1 }, "image/jpeg", null, WriteCondition.Unchanged(seen)));
        Assert.False(await Store.ExistsAsync(P("out/missing.jpg")));
    }

    [Fact]
    public async Task Write_overwrites_content_and_replaces_metadata_and_etag()
    {
        await Store.WriteAsync(P("x.bin"), new byte[] { 1, 2, 3 }, "application/octet-stream", new Dictionary<string, string> { ["old"] = "1" });
        var first = await Store.GetPropertiesAsync(P("x.bin"));
        await Task.Delay(20);

        await Store.WriteAsync(P("x.bin"), new byte[] { 4, 5, 6, 7 }, "application/octet-stream", new Dictionary<string, string> { ["new"] = "2" });

        Assert.Equal(new byte[] { 4, 5, 6, 7 }, await Store.ReadAllBytesAsync(P("x.bin"), 100));
        var metadata = await Store.GetMetadataAsync(P("x.bin"));
        Assert.NotNull(metadata);
        Assert.Equal(["new"], metadata.Keys);
        var second = await Store.GetPropertiesAsync(P("x.bin"));
        Assert.NotEqual(first!.ETag, second!.ETag);
        Assert.Equal(4, second.Size);
    }

    [Fact]
    public async Task Write_without_metadata_stores_empty_metadata()
    {
        await Store.WriteAsync(P("plain.txt"), "x"u8.ToArray(), "text/plain", null);

        var metadata = await Store.GetMetadataAsync(P("plain.txt"));

        Assert.NotNull(metadata);
        Assert.Empty(metadata);
    }

    [Fact]
    public async Task Listing_nested_prefix_in_pages_returns_every_blob_exactly_once_in_stable_order()
    {
        var expected = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            // Five folders, some nested two levels deep, plus files at the prefix's top level.
            var name = (i % 5) switch
            {
                0 => $"in/top-{i:D2}.jpg",
                1 => $"in/a/{i:D2}.jpg",
                2 => $"in/a/deep/{i:D2}.png",
                3 => $"in/b/{i:D2}.jpg",
                _ => $"in/b/c/d/{i:D2}.jpg",
            };
            expected.Add(P(name));
            await Store.WriteAsync(P(name), Encoding.UTF8.GetBytes(name), "image/jpeg", null);
        }

        // Neighbours that must stay out of the listing.
        await Store.WriteAsync(P("in-other/x.jpg"), "x"u8.ToArray(), "image/jpeg", null);
        await Store.WriteAsync(P("out/in/y.jpg"), "y"u8.ToArray(), "image/jpeg", null);
        await Store.WriteAsync(P("inbox.jpg"), "z"u8.ToArray(), "image/jpeg", null);

        var first = await ListAllAsync(Store, P("in/"), pageSize: 7);
        var second = await ListAllAsync(Store, P("in/"), pageSize: 7);

        Assert.Equal(expected.Order(StringComparer.Ordinal), first.Select(i => i.Path));
        Assert.Equal(first.Select(i => i.Path), second.Select(i => i.Path));
        Assert.All(first, item => Assert.Equal(Encoding.UTF8.GetByteCount(item.Path[(Container.Length + 1)..]), item.Size));
    }

    [Fact]
    public async Task A_persisted_continuation_token_resumes_on_a_new_store_instance()
    {
        var expected = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var name = P($"job/{(i % 3 == 0 ? "sub/" : string.Empty)}{i:D2}.jpg");
            expected.Add(name);
            await Store.WriteAsync(name, "x"u8.ToArray(), "image/jpeg", null);
        }

        var firstPage = await Store.ListAsync(P("job/"), null, 5);
        Assert.NotNull(firstPage.ContinuationToken);

        var seen = firstPage.Items.Select(i => i.Path).ToList();
        string? token = firstPage.ContinuationToken;
        while (token is not null)
        {
            var page = await CreateStoreOverSameStorage().ListAsync(P("job/"), token, 5);
            seen.AddRange(page.Items.Select(i => i.Path));
            token = page.ContinuationToken;
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Listing_with_a_partial_name_prefix_matches_like_a_string_prefix()
    {
        await Store.WriteAsync(P("photos/img1.jpg"), "1"u8.ToArray(), "image/jpeg", null);
        await Store.WriteAsync(P("photos/images/a.jpg"), "2"u8.ToArray(), "image/jpeg", null);
        await Store.WriteAsync(P("photos/other.jpg"), "3"u8.ToArray(), "image/jpeg", null);

        var items = await ListAllAsync(Store, P("photos/im"), pageSize: 10);

        Assert.Equal([P("photos/images/a.jpg"), P("photos/img1.jpg")], items.Select(i => i.Path));
    }

    [Fact]
    public async Task Listing_a_missing_prefix_or_container_returns_an_empty_last_page()
    {
        await Store.WriteAsync(P("here/a.jpg"), "a"u8.ToArray(), "image/jpeg", null);

        var missingPrefix = await Store.ListAsync(P("nothere/"), null, 10);
        var missingContainer = await Store.ListAsync($"missing{Guid.NewGuid():N}"[..20] + "/x/", null, 10);

        Assert.Empty(missingPrefix.Items);
        Assert.Null(missingPrefix.ContinuationToken);
        Assert.Empty(missingContainer.Items);
        Assert.Null(missingContainer.ContinuationToken);
    }

    [Fact]
    public async Task Listing_the_whole_container_includes_everything_once()
    {
        await Store.WriteAsync(P("a.jpg"), "a"u8.ToArray(), "image/jpeg", new Dictionary<string, string> { ["k"] = "v" });
        await Store.WriteAsync(P("b/c.jpg"), "c"u8.ToArray(), "image/jpeg", null);
        await Store.AppendLinesAsync(P("b/manifest.jsonl"), ["{}"]);

        var withSlash = await ListAllAsync(Store, Container + "/", pageSize: 2);
        var withoutSlash = await ListAllAsync(Store, Container, pageSize: 2);

        Assert.Equal([P("a.jpg"), P("b/c.jpg"), P("b/manifest.jsonl")], withSlash.Select(i => i.Path));
        Assert.Equal(withSlash.Select(i => i.Path), withoutSlash.Select(i => i.Path));
    }

    [Fact]
    public async Task Reading_a_missing_blob_throws_BlobNotFoundException_and_lookups_say_missing()
    {
        var error = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.ReadAllBytesAsync(P("nope/missing.jpg"), 100));

        Assert.Equal(P("nope/missing.jpg"), error.Path);
        Assert.Contains(P("nope/missing.jpg"), error.Message, StringComparison.Ordinal);
        Assert.Null(await Store.GetPropertiesAsync(P("nope/missing.jpg")));
        Assert.Null(await Store.GetMetadataAsync(P("nope/missing.jpg")));
        Assert.False(await Store.ExistsAsync(P("nope/missing.jpg")));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.ReadAllBytesAsync($"missing{Guid.NewGuid():N}"[..20] + "/x.jpg", 100));
    }

    [Fact]
    public async Task Reading_a_blob_larger_than_the_limit_throws_BlobTooLargeException()
    {
        var content = new byte[1000];
        Random.Shared.NextBytes(content);
        await Store.WriteAsync(P("big.bin"), content, "application/octet-stream", null);

        var error = await Assert.ThrowsAsync<BlobTooLargeException>(() => Store.ReadAllBytesAsync(P("big.bin"), 999));

        Assert.Equal(1000, error.Size);
        Assert.Equal(999, error.MaxBytes);
        Assert.Equal(content, await Store.ReadAllBytesAsync(P("big.bin"), 1000));
    }

    [Fact]
    public async Task Appending_lines_creates_the_blob_and_keeps_every_line_in_order()
    {
        await Store.AppendLinesAsync(P("jobs/j1/manifest.jsonl"), ["{\"n\":1}", "{\"n\":2}"]);
        await Store.AppendLinesAsync(P("jobs/j1/manifest.jsonl"), ["{\"n\":3}"]);
        await Store.AppendLinesAsync(P("jobs/j1/manifest.jsonl"), []);
        await Store.AppendLinesAsync(P("jobs/j1/manifest.jsonl"), ["{\"n\":4,\"s\":\"é\"}", "{\"n\":5}"]);

        var text = Encoding.UTF8.GetString(await Store.ReadAllBytesAsync(P("jobs/j1/manifest.jsonl"), 10_000));

        Assert.Equal("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4,\"s\":\"é\"}\n{\"n\":5}\n", text);
    }

    [Fact]
    public async Task Reading_a_range_follows_an_appended_manifest_from_an_offset()
    {
        Assert.Empty(await Store.ReadRangeAsync(P("follow/missing.jsonl"), 0, 100));
        await Store.AppendLinesAsync(P("follow/m.jsonl"), ["{\"n\":1}", "{\"n\":2}"]);

        var first = await Store.ReadRangeAsync(P("follow/m.jsonl"), 0, 4);
        Assert.Equal("{\"n\"", Encoding.UTF8.GetString(first));
        var all = await Store.ReadRangeAsync(P("follow/m.jsonl"), 0, 1000);
        Assert.Equal("{\"n\":1}\n{\"n\":2}\n", Encoding.UTF8.GetString(all));

        await Store.AppendLinesAsync(P("follow/m.jsonl"), ["{\"n\":3}"]);
        var tail = await Store.ReadRangeAsync(P("follow/m.jsonl"), all.Length, 1000);
        Assert.Equal("{\"n\":3}\n", Encoding.UTF8.GetString(tail));
        Assert.Empty(await Store.ReadRangeAsync(P("follow/m.jsonl"), all.Length + tail.Length, 1000));
    }

    [Fact]
    public async Task Appending_a_line_with_a_line_break_is_rejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendLinesAsync(P("m.jsonl"), ["ok", "bad\nline"]));

        Assert.False(await Store.ExistsAsync(P("m.jsonl")));
    }

    [Fact]
    public async Task Delete_removes_the_blob_and_reports_whether_it_existed()
    {
        await Store.WriteAsync(P("d/e.jpg"), "e"u8.ToArray(), "image/jpeg", new Dictionary<string, string> { ["k"] = "v" });

        Assert.True(await Store.DeleteAsync(P("d/e.jpg")));
        Assert.False(await Store.DeleteAsync(P("d/e.jpg")));
        Assert.False(await Store.ExistsAsync(P("d/e.jpg")));
        Assert.Null(await Store.GetMetadataAsync(P("d/e.jpg")));
        Assert.Empty((await Store.ListAsync(P("d/"), null, 10)).Items);
    }

    [Theory]
    [InlineData("bad-key")]
    [InlineData("1digit")]
    [InlineData("")]
    public async Task Metadata_keys_that_Azure_refuses_are_refused_by_every_store(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.WriteAsync(P("m.jpg"), "m"u8.ToArray(), "image/jpeg", new Dictionary<string, string> { [key] = "v" }));
    }

    [Theory]
    [InlineData("../escape.jpg")]
    [InlineData("a/../../escape.jpg")]
    [InlineData("a/./b.jpg")]
    [InlineData("a\\b.jpg")]
    [InlineData("a//b.jpg")]
    [InlineData("a/")]
    public async Task Malformed_paths_are_rejected_with_InvalidBlobPathException(string rest)
    {
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => Store.ReadAllBytesAsync(P(rest), 10));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => Store.WriteAsync(P(rest), "x"u8.ToArray(), "text/plain", null));
    }

    [Fact]
    public async Task Absolute_paths_are_rejected_with_InvalidBlobPathException()
    {
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => Store.ReadAllBytesAsync("/etc/passwd", 10));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => Store.ListAsync("/etc/", null, 10));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => Store.ListAsync(P("../"), null, 10));
    }

    /// <summary>Lists everything under <paramref name="prefix"/>, page by page, checking each page's size.</summary>
    protected static async Task<List<BlobItemInfo>> ListAllAsync(IBlobStore store, string prefix, int pageSize)
    {
        var items = new List<BlobItemInfo>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await store.ListAsync(prefix, token, pageSize);
            Assert.InRange(page.Items.Count, 0, pageSize);
            items.AddRange(page.Items);
            token = page.ContinuationToken;
            Assert.True(++pages < 1000, "the listing does not end");
        }
        while (token is not null);

        Assert.Equal(items.Count, items.Select(i => i.Path).Distinct(StringComparer.Ordinal).Count());
        return items;
    }
}
