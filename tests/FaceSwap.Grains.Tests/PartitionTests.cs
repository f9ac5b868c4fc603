using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// A job past the partition threshold: the BatchGrain hands whole listing pages to partition grains, which dispatch
/// through the same inference dispatcher, and the job's counts and outputs are those of the classic path.
/// </summary>
public sealed class PartitionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-grains-partitions");

    [Fact]
    public async Task A_job_past_the_threshold_runs_its_pages_on_partitions_and_swaps_every_photo_once()
    {
        var tree = InputTree.Build(photos: 40);
        var inputDir = Path.Combine(work.FullPath, "in");
        var outputDir = Path.Combine(work.FullPath, "out");
        var sourceFile = Path.Combine(work.FullPath, "face.jpg");
        tree.WriteTo(inputDir);
        await File.WriteAllBytesAsync(sourceFile, SourceFace.Jpeg);
        var spec = new JobSpec
        {
            Source = StorePath(sourceFile), Input = StorePath(inputDir) + "/", Output = StorePath(outputDir) + "/",
            SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent",
            Options = new JobOptions { Prefetch = 2, BatchSize = 1 },
        };
        // The classic path lists 32 names a page: past them, the rest of the job goes to partitions 4 names a page.
        var partitions = new PartitionOptions { Threshold = 3, PageSize = 4, PagesInFlight = 2, BatchSize = 2, BatchesInFlight = 2 };

        await using var silo = await EmbeddedSilo.StartAsync(Path.Combine(work.FullPath, "state"), "local", output, partitions: partitions);
        var id = "partitions-" + Guid.NewGuid().ToString("N");
        await silo.Grains.GetGrain<IBatchGrain>(id).StartAsync(spec);
        var status = await Jobs.WaitAsync(silo.Grains.GetGrain<IBatchGrain>(id), TimeSpan.FromMinutes(4));
        output.WriteLine($"{status.State}: {status.Counters}");

        Jobs.AssertCounts(status, tree, ok: tree.Photos.Count, skipped: 0);
        Assert.Contains(silo.Logs.Information, m => m.Contains("the rest goes to partition grains", StringComparison.Ordinal));
        var outcomes = Jobs.ParseOutcomes(await File.ReadAllTextAsync(Path.Combine(outputDir, "_faceswap", id, "outcomes.jsonl"))).ToList();
        // One outcome line per image: no page ran twice, none was left out.
        Assert.Equal(tree.Images.Select(p => p.RelativePath).Order(StringComparer.Ordinal), outcomes.Select(o => o.Path).Order(StringComparer.Ordinal));
        foreach (var photo in tree.Photos)
        {
            Assert.True(File.Exists(Path.Combine(outputDir, photo.RelativePath)), photo.RelativePath);
        }
    }

    private static string StorePath(string path) => Path.GetFullPath(path).TrimStart('/');

    public void Dispose() => work.Dispose();
}
