using System.Text.Json;
using FaceSwap.Testing;

namespace FaceSwap.Storage.Tests.Blobs;

/// <summary>What only the local store does: folders, sidecars, symbolic links, exact pages.</summary>
public sealed class LocalBlobStoreTests : IDisposable
{
    private readonly TemporaryDirectory temp = new("faceswap-local");
    private readonly string root;
    private readonly LocalBlobStore store;

    public LocalBlobStoreTests()
    {
        this.root = Path.Join(temp.FullPath, "root");
        Directory.CreateDirectory(this.root);
        this.store = new LocalBlobStore(this.root);
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task A_path_maps_to_root_container_rest_and_the_sidecar_sits_in_a_hidden_folder()
    {
        await this.store.WriteAsync("data/a/b.jpg", "b"u8.ToArray(), "image/jpeg", new Dictionary<string, string> { ["k"] = "v" });

        Assert.Equal("b", await File.ReadAllTextAsync(Path.Join(this.root, "data", "a", "b.jpg")));
        var sidecar = Path.Join(this.root, "data", "a", LocalBlobStore.MetadataFolderName, "b.jpg.json");
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(sidecar));
        Assert.Equal("image/jpeg", json.RootElement.GetProperty("contentType").GetString());
        Assert.Equal("v", json.RootElement.GetProperty("metadata").GetProperty("k").GetString());
    }

    [Fact]
    public async Task Listings_skip_sidecars_hidden_files_and_leftover_temporary_files()
    {
        await this.store.WriteAsync("data/a.jpg", "a"u8.ToArray(), "image/jpeg", new Dictionary<string, string> { ["k"] = "v" });
        await File.WriteAllTextAsync(Path.Join(this.root, "data", ".DS_Store"), "x");
        await File.WriteAllTextAsync(Path.Join(this.root, "data", ".a.jpg.0123.tmp"), "half");
        Directory.CreateDirectory(Path.Join(this.root, "data", ".git"));
        await File.WriteAllTextAsync(Path.Join(this.root, "data", ".git", "HEAD"), "x");

        var page = await this.store.ListAsync("data/", null, 100);

        Assert.Equal(["data/a.jpg"], page.Items.Select(i => i.Path));
        Assert.Null(page.ContinuationToken);
        Assert.True(File.Exists(Path.Join(this.root, "data", LocalBlobStore.MetadataFolderName, "a.jpg.json")));
    }

    [Fact]
    public async Task No_temporary_files_are_left_behind_by_writes()
    {
        for (var i = 0; i < 5; i++)
        {
            await this.store.WriteAsync("data/x.jpg", new byte[i + 1], "image/jpeg", new Dictionary<string, string> { ["i"] = $"{i}" });
        }

        var files = Directory.GetFiles(Path.Join(this.root, "data"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(this.root, f))
            .Order(StringComparer.Ordinal);
        Assert.Equal(["data/.faceswap-meta/x.jpg.json", "data/x.jpg"], files);
    }

    [Fact]
    public async Task Pages_are_exactly_the_page_size_and_the_last_token_is_null()
    {
        for (var i = 0; i < 25; i++)
        {
            await File.WriteAllTextAsync(CreateFile($"data/in/{(char)('a' + (i % 4))}/{i:D2}.jpg"), "x");
        }

        var sizes = new List<int>();
        var tokens = new List<string?>();
        string? token = null;
        do
        {
            var page = await this.store.ListAsync("data/in/", token, 7);
            sizes.Add(page.Items.Count);
            token = page.ContinuationToken;
            tokens.Add(token);
        }
        while (token is not null);

        Assert.Equal([7, 7, 7, 4], sizes);
        Assert.Equal("in/a/24.jpg", tokens[0]); // the relative path of the last item returned
    }

    [Fact]
    public async Task The_order_is_the_ordinal_order_of_full_paths_like_Azure()
    {
        string[] names = ["a.txt", "a/b.txt", "a0.txt", "a-b/c.txt", "A.txt", "a/b/c.txt", "ab.txt", "a/a.txt"];
        foreach (var name in names)
        {
            await File.WriteAllTextAsync(CreateFile("data/" + name), "x");
        }

        var all = new List<string>();
        string? token = null;
        do
        {
            var page = await this.store.ListAsync("data/", token, 3);
            all.AddRange(page.Items.Select(i => i.Path));
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(names.Select(n => "data/" + n).Order(StringComparer.Ordinal), all);
    }

    [Fact]
    public async Task Resuming_after_the_token_item_was_deleted_continues_where_it_was()
    {
        for (var i = 0; i < 10; i++)
        {
            await File.WriteAllTextAsync(CreateFile($"data/{i % 2}/{i:D2}.jpg"), "x");
        }

        var first = await this.store.ListAsync("data/", null, 3);
        File.Delete(Path.Join(this.root, "data", first.ContinuationToken!));
        var second = await this.store.ListAsync("data/", first.ContinuationToken, 3);

        Assert.Equal(["data/0/00.jpg", "data/0/02.jpg", "data/0/04.jpg"], first.Items.Select(i => i.Path));
        Assert.Equal(["data/0/06.jpg", "data/0/08.jpg", "data/1/01.jpg"], second.Items.Select(i => i.Path));
    }

    [Fact]
    public async Task Listing_and_properties_agree_on_size_and_etag_and_the_etag_changes_on_rewrite()
    {
        await this.store.WriteAsync("data/p.jpg", new byte[10], "image/jpeg", null);
        var listed = Assert.Single((await this.store.ListAsync("data/", null, 10)).Items);
        var properties = await this.store.GetPropertiesAsync("data/p.jpg");
        await Task.Delay(20);
        await this.store.WriteAsync("data/p.jpg", new byte[10], "image/jpeg", null);
        var rewritten = await this.store.GetPropertiesAsync("data/p.jpg");

        Assert.Equal(listed, properties);
        Assert.NotEqual(properties!.ETag, rewritten!.ETag);
    }

    [Fact]
    public async Task A_file_is_never_seen_in_place_without_its_metadata_so_a_job_killed_after_a_write_does_not_write_it_again()
    {
        // A second store on the same folder stands for the resumed process: it waits at each path, and looks at the
        // metadata the moment the file appears. The writer moves on only once it has looked, so every look is at the
        // first instant the file can be seen (where a kill -9 may land).
        var watcher = new LocalBlobStore(this.root);
        var looked = new SemaphoreSlim(0);
        var seenWithout = new List<int>();
        const int files = 40;
        var watching = Task.Run(async () =>
        {
            for (var i = 0; i < files; i++)
            {
                var path = Path.Join(this.root, "out", $"photo{i}.jpg");
                while (!File.Exists(path))
                {
                    Thread.SpinWait(50);
                }

                if ((await watcher.GetMetadataAsync($"out/photo{i}.jpg"))?.ContainsKey("jobId") != true)
                {
                    seenWithout.Add(i);
                }

                looked.Release();
            }
        });

        for (var i = 0; i < files; i++)
        {
            Assert.True(await this.store.WriteIfAsync($"out/photo{i}.jpg", new byte[4096], "image/jpeg", new Dictionary<string, string> { ["jobId"] = "j1" }, WriteCondition.IfAbsent));
            Assert.True(await looked.WaitAsync(TimeSpan.FromSeconds(10)), $"the watcher never saw photo{i}");
        }

        await watching;
        Assert.Empty(seenWithout);
    }

    [Fact]
    public async Task Metadata_written_for_earlier_content_is_not_reported_after_the_file_is_replaced_by_another_program()
    {
        await this.store.WriteAsync("data/m.jpg", "old"u8.ToArray(), "image/jpeg", new Dictionary<string, string> { ["inputETag"] = "1" });
        await Task.Delay(20);
        await File.WriteAllTextAsync(Path.Join(this.root, "data", "m.jpg"), "changed by hand");

        var metadata = await this.store.GetMetadataAsync("data/m.jpg");

        Assert.NotNull(metadata);
        Assert.Empty(metadata);
    }

    [Fact]
    public async Task A_symbolic_link_that_leads_outside_the_root_is_rejected_and_not_listed()
    {
        var outside = Path.Join(temp.FullPath, "outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Join(outside, "secret.txt"), "secret");
        Directory.CreateDirectory(Path.Join(this.root, "data"));
        Directory.CreateSymbolicLink(Path.Join(this.root, "data", "linkdir"), outside);
        File.CreateSymbolicLink(Path.Join(this.root, "data", "linkfile.txt"), Path.Join(outside, "secret.txt"));
        await File.WriteAllTextAsync(Path.Join(this.root, "data", "ok.txt"), "ok");

        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.ReadAllBytesAsync("data/linkdir/secret.txt", 100));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.ReadAllBytesAsync("data/linkfile.txt", 100));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.WriteAsync("data/linkdir/new.txt", "x"u8.ToArray(), "text/plain", null));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.GetPropertiesAsync("data/linkfile.txt"));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.ListAsync("data/linkdir/", null, 10));
        Assert.False(File.Exists(Path.Join(outside, "new.txt")));

        var listed = await this.store.ListAsync("data/", null, 10);
        Assert.Equal(["data/ok.txt"], listed.Items.Select(i => i.Path));
    }

    [Fact]
    public async Task A_symbolic_link_to_a_file_inside_the_root_is_followed()
    {
        await this.store.WriteAsync("data/real.txt", "real"u8.ToArray(), "text/plain", null);
        File.CreateSymbolicLink(Path.Join(this.root, "data", "alias.txt"), Path.Join(this.root, "data", "real.txt"));

        Assert.Equal("real"u8.ToArray(), await this.store.ReadAllBytesAsync("data/alias.txt", 100));
        var listed = await this.store.ListAsync("data/", null, 10);
        Assert.Equal(["data/alias.txt", "data/real.txt"], listed.Items.Select(i => i.Path));
    }

    [Fact]
    public async Task A_root_that_is_itself_reached_through_a_symbolic_link_works()
    {
        var link = Path.Join(temp.FullPath, "rootlink");
        Directory.CreateSymbolicLink(link, this.root);
        var store = new LocalBlobStore(link);

        await store.WriteAsync("data/x.txt", "x"u8.ToArray(), "text/plain", null);

        Assert.Equal("x"u8.ToArray(), await store.ReadAllBytesAsync("data/x.txt", 10));
        Assert.True(File.Exists(Path.Join(this.root, "data", "x.txt")));
    }

    [Fact]
    public async Task A_metadata_folder_that_is_a_symbolic_link_out_of_the_root_carries_no_write_anywhere()
    {
        // Issue 23, item 4: '.faceswap-meta' planted in an output folder as a link to a folder outside the root.
        var outside = Path.Join(temp.FullPath, "outside");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(Path.Join(this.root, "out"));
        Directory.CreateSymbolicLink(Path.Join(this.root, "out", LocalBlobStore.MetadataFolderName), outside);
        var metadata = new Dictionary<string, string> { ["k"] = "v" };

        await File.WriteAllTextAsync(Path.Join(this.root, "out", "existing.jpg"), "e");

        var write = await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.WriteAsync("out/photo.jpg", "p"u8.ToArray(), "image/jpeg", metadata));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.GetMetadataAsync("out/existing.jpg"));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.DeleteAsync("out/existing.jpg"));

        Assert.Equal("out/photo.jpg", write.Path);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.False(File.Exists(Path.Join(this.root, "out", "photo.jpg")), "the content is not written when its metadata cannot be");

        // The file system root as the store's root (faceswap run): every path is inside it, and the planted link is still refused.
        var runStore = new LocalBlobStore("/");
        var runPath = Path.Join(this.root, "out", "photo.jpg").TrimStart('/');
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => runStore.WriteAsync(runPath, "p"u8.ToArray(), "image/jpeg", metadata));
        Assert.Empty(Directory.GetFileSystemEntries(outside));

        // A planted sidecar file that is itself a link is refused too (read, and written over).
        Directory.Delete(Path.Join(this.root, "out", LocalBlobStore.MetadataFolderName));
        await File.WriteAllTextAsync(Path.Join(outside, "secret.json"), "{}");
        await File.WriteAllTextAsync(Path.Join(this.root, "out", "other.jpg"), "o");
        Directory.CreateDirectory(Path.Join(this.root, "out", LocalBlobStore.MetadataFolderName));
        File.CreateSymbolicLink(Path.Join(this.root, "out", LocalBlobStore.MetadataFolderName, "other.jpg.json"), Path.Join(outside, "secret.json"));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.GetMetadataAsync("out/other.jpg"));
        await Assert.ThrowsAsync<InvalidBlobPathException>(() => this.store.WriteAsync("out/other.jpg", "p"u8.ToArray(), "image/jpeg", metadata));
        Assert.Equal("{}", await File.ReadAllTextAsync(Path.Join(outside, "secret.json")));
    }

    [Fact]
    public async Task A_fifo_is_not_listed_and_reading_or_appending_to_one_fails_at_once_with_its_own_exception()
    {
        // Issue 23, item 8: a FIFO named like a photo hung the job (opening it for reading waits for a writer).
        await File.WriteAllTextAsync(CreateFile("in/a.jpg"), "a");
        SpecialFiles.MakeFifo(Path.Join(this.root, "in", "pipe.jpg"));
        SpecialFiles.MakeFifo(Path.Join(this.root, "in", "log.jsonl"));

        var listed = await this.store.ListAsync("in/", null, 10).WaitAsync(TimeSpan.FromSeconds(30));
        var read = await Assert.ThrowsAsync<BlobNotRegularFileException>(() => this.store.ReadAllBytesAsync("in/pipe.jpg", 1000).WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<BlobNotRegularFileException>(() => this.store.ReadRangeAsync("in/pipe.jpg", 0, 1000).WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<BlobNotRegularFileException>(() => this.store.AppendLinesAsync("in/log.jsonl", ["{}"]).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(["in/a.jpg"], listed.Items.Select(i => i.Path));
        Assert.Equal("in/pipe.jpg", read.Path);
    }

    [Fact]
    public async Task A_read_that_does_not_finish_within_the_read_timeout_fails_with_its_own_exception()
    {
        // The type check refuses a FIFO before any read; the timeout is the net under it (a hung mount, a file whose type
        // cannot be asked). Shown with a read that really blocks: opening a FIFO with no writer.
        var store = new LocalBlobStore(this.root, TimeSpan.FromMilliseconds(300));
        var fifo = Path.Join(this.root, "in", "pipe.jpg");
        SpecialFiles.MakeFifo(fifo);
        await File.WriteAllTextAsync(CreateFile("in/a.jpg"), "a");

        Assert.Equal("a"u8.ToArray(), await store.ReadAllBytesAsync("in/a.jpg", 10));
        var started = DateTime.UtcNow;
        var timedOut = await Assert.ThrowsAsync<BlobReadTimeoutException>(() =>
            store.WithReadTimeoutAsync("in/pipe.jpg", _ => Task.FromResult(File.ReadAllBytes(fifo)), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("in/pipe.jpg", timedOut.Path);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(20));

        // Let the blocked open finish so no thread stays stuck after the test.
        await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
    }

    [Fact]
    public async Task A_file_name_of_255_bytes_is_written_with_its_metadata_and_no_temporary_file_is_left()
    {
        // Issue 23, item 12: the temporary name and the sidecar's name must not be longer than the name itself allows.
        var name = new string('n', 251) + ".jpg";
        var metadata = new Dictionary<string, string> { ["k"] = "v" };

        await this.store.WriteAsync($"data/{name}", "x"u8.ToArray(), "image/jpeg", metadata);

        Assert.Equal("x"u8.ToArray(), await this.store.ReadAllBytesAsync($"data/{name}", 10));
        Assert.Equal("v", (await this.store.GetMetadataAsync($"data/{name}"))!["k"]);
        Assert.Equal([name], Directory.GetFiles(Path.Join(this.root, "data")).Select(Path.GetFileName));
        Assert.Equal([$"data/{name}"], (await this.store.ListAsync("data/", null, 10)).Items.Select(i => i.Path));
    }

    [Fact]
    public async Task The_metadata_folder_name_is_reserved()
    {
        await Assert.ThrowsAsync<InvalidBlobPathException>(() =>
            this.store.WriteAsync($"data/{LocalBlobStore.MetadataFolderName}/x.json", "x"u8.ToArray(), "text/plain", null));
    }

    [Fact]
    public async Task With_the_file_system_root_a_path_is_an_absolute_path_without_its_leading_slash()
    {
        var store = new LocalBlobStore("/");
        var file = Path.Join(temp.FullPath, "abs", "in", "photo.jpg");
        var asBlob = file.TrimStart('/');

        await store.WriteAsync(asBlob, "p"u8.ToArray(), "image/jpeg", null);
        var listed = await store.ListAsync(Path.Join(temp.FullPath, "abs").TrimStart('/') + "/", null, 10);

        Assert.Equal("p", await File.ReadAllTextAsync(file));
        Assert.Equal([asBlob], listed.Items.Select(i => i.Path));
    }

    [Fact]
    public async Task Many_files_list_in_bounded_pages_each_exactly_once()
    {
        const int folders = 20;
        const int perFolder = 500;
        for (var f = 0; f < folders; f++)
        {
            var directory = Path.Join(this.root, "big", $"f{f:D2}", f % 2 == 0 ? "even" : string.Empty);
            Directory.CreateDirectory(directory);
            for (var i = 0; i < perFolder; i++)
            {
                File.WriteAllBytes(Path.Join(directory, $"{i:D4}.jpg"), []);
            }
        }

        var count = 0;
        var pages = 0;
        string? previous = null;
        string? token = null;
        do
        {
            var page = await this.store.ListAsync("big/", token, 1000);
            pages++;
            Assert.InRange(page.Items.Count, 1, 1000);
            foreach (var item in page.Items)
            {
                Assert.True(previous is null || string.CompareOrdinal(previous, item.Path) < 0, $"{item.Path} came after {previous}");
                previous = item.Path;
                count++;
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(folders * perFolder, count);
        Assert.Equal((folders * perFolder + 999) / 1000, pages);
    }

    [Fact]
    public async Task Concurrent_appends_to_one_manifest_keep_whole_lines()
    {
        var tasks = Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => this.store.AppendLinesAsync("data/manifest.jsonl", Enumerable.Range(0, 10).Select(j => $"{{\"writer\":{i},\"n\":{j}}}"))));
        await Task.WhenAll(tasks);

        var lines = (await File.ReadAllLinesAsync(Path.Join(this.root, "data", "manifest.jsonl"))).ToList();

        Assert.Equal(200, lines.Count);
        Assert.All(lines, line => JsonDocument.Parse(line).Dispose());
        Assert.Equal(200, lines.Distinct(StringComparer.Ordinal).Count());
    }

    private string CreateFile(string relative)
    {
        var path = Path.Join(this.root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
