using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;
using FaceSwap.Testing;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// Which images a preview swaps (issue 25 item 5): spread over the input's folders, the same ones whatever the order or
/// page size of the listing, all of them when there are fewer than asked for. No Orleans needed.
/// </summary>
public sealed class PreviewSelectionTests
{
    private static List<string> Choose(IEnumerable<string> paths, int count)
    {
        var selection = new PreviewSelection(count);
        foreach (var path in paths)
        {
            selection.Add(path, new BlobItemInfo("in/" + path, 1, "e", DateTimeOffset.UnixEpoch));
        }

        return selection.Chosen().Select(b => b.Path["in/".Length..]).ToList();
    }

    private static string Folder(string path) => path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : "";

    /// <summary>A tree where one folder holds most photos, as a shoot's folder of bursts does.</summary>
    private static List<string> Tree() =>
    [
        .. Enumerable.Range(0, 40).Select(i => $"2024/wedding/IMG_{i:D4}.jpg"),
        .. Enumerable.Range(0, 3).Select(i => $"2024/party/p{i}.jpg"),
        "2023/beach.jpg",
        "cover.jpg",
        .. Enumerable.Range(0, 5).Select(i => $"2023/studio/s{i}.png"),
    ];

    [Fact]
    public void Every_folder_gives_an_image_before_any_gives_a_second()
    {
        var chosen = Choose(Tree(), 5);

        Assert.Equal(5, chosen.Count);
        Assert.Equal(5, chosen.Select(Folder).Distinct().Count());

        var more = Choose(Tree(), 9);
        var perFolder = more.GroupBy(Folder).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(9, more.Count);
        Assert.Equal(5, perFolder.Count);
        Assert.All(perFolder.Values, n => Assert.InRange(n, 1, 3));
        Assert.Equal(1, perFolder["2023"]);
        Assert.Equal(1, perFolder[""]);
    }

    [Fact]
    public void Within_a_folder_it_is_a_sample_not_the_first_names()
    {
        var chosen = Choose(Enumerable.Range(0, 200).Select(i => $"burst/IMG_{i:D4}.jpg"), 10);

        Assert.Equal(10, chosen.Count);
        Assert.NotEqual(Enumerable.Range(0, 10).Select(i => $"burst/IMG_{i:D4}.jpg"), chosen);
        Assert.Contains(chosen, p => string.CompareOrdinal(p, "burst/IMG_0100.jpg") > 0);
        Assert.Equal(chosen.Order(StringComparer.Ordinal), chosen);
    }

    [Fact]
    public void The_same_input_gives_the_same_images_in_any_listing_order()
    {
        var tree = Tree();
        var shuffled = tree.OrderBy(p => p.GetHashCode(StringComparison.Ordinal) ^ 0x5bd1e995).ToList();

        Assert.Equal(Choose(tree, 7), Choose(shuffled, 7));
        Assert.Equal(Choose(tree, 7), Choose(Enumerable.Reverse(tree), 7));
    }

    [Fact]
    public void More_folders_than_images_asked_for_gives_one_image_each_from_folders_across_the_tree()
    {
        var folders = Enumerable.Range(0, 60).SelectMany(f => Enumerable.Range(0, 4).Select(i => $"f{f:D2}/img{i}.jpg")).ToList();

        var chosen = Choose(folders, 6);

        Assert.Equal(6, chosen.Count);
        Assert.Equal(6, chosen.Select(Folder).Distinct().Count());

        // A sample over the tree, not its first six folders.
        Assert.Contains(chosen, p => string.CompareOrdinal(Folder(p), "f10") > 0);
        Assert.Equal(chosen, Choose(Enumerable.Reverse(folders), 6));
    }

    [Fact]
    public void Fewer_images_than_asked_for_gives_them_all()
    {
        var chosen = Choose(["a/1.jpg", "b/2.jpg", "3.jpg"], 50);

        Assert.Equal(["3.jpg", "a/1.jpg", "b/2.jpg"], chosen);
        Assert.Empty(Choose([], 5));
    }

    [Fact]
    public async Task The_work_source_lists_the_whole_input_past_one_listing_page_and_hands_over_the_chosen_images_once()
    {
        using var root = new TemporaryDirectory("faceswap-preview");
        var store = BlobStoreFactory.Create(StorageSetting.Parse("local:" + root.FullPath));
        for (var i = 0; i < 1203; i++)
        {
            await store.WriteAsync($"inbox/photos/d{i % 7}/p{i:D4}.jpg", new byte[] { 1 }, "image/jpeg", null);
        }

        await store.WriteAsync("inbox/photos/notes.txt", "not an image"u8.ToArray(), "text/plain", null);
        var spec = new JobSpec { Source = "inbox/face.jpg", Input = "inbox/photos/", Output = "outbox/photos/", Options = new JobOptions { Preview = 14 } };

        var source = Assert.IsType<PreviewWorkSource>(WorkSources.For(store, spec, retryList: null));
        var page = await source.PageAsync(null, 32);

        Assert.Null(page.NextToken);
        Assert.Equal(1203, source.InputImages);
        Assert.Equal(14, page.Items.Count);
        Assert.Equal(7, page.Items.Select(i => Folder(i.Path)).Distinct().Count());
        Assert.All(page.Items.GroupBy(i => Folder(i.Path)), g => Assert.Equal(2, g.Count()));
        Assert.Equal(page.Items.Select(i => i.Path), (await source.PageAsync(null, 32)).Items.Select(i => i.Path));

        // A job without a preview lists the input as before; a retry round lists its failures whatever the job is.
        Assert.IsType<PrefixWorkSource>(WorkSources.For(store, spec with { Options = new JobOptions() }, retryList: null));
        Assert.IsType<RetryWorkSource>(WorkSources.For(store, spec, retryList: "outbox/photos/_faceswap/j/retry-1.txt"));
    }
}
