using System.Diagnostics;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Grains.Inference;
using FaceSwap.Storage;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>The embedded mode end to end: one in-process silo, local folders, real models and photos.</summary>
public sealed class EmbeddedLocalTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-grains-local");

    [Fact]
    public async Task A_job_over_local_folders_swaps_every_photo_into_a_mirrored_tree_and_a_second_job_skips_them_all()
    {
        var tree = InputTree.Build(photos: 50);
        var inputDir = Path.Combine(work.FullPath, "in");
        var outputDir = Path.Combine(work.FullPath, "out");
        var sourceFile = Path.Combine(work.FullPath, "source", "face.jpg");
        tree.WriteTo(inputDir);
        Directory.CreateDirectory(Path.GetDirectoryName(sourceFile)!);
        await File.WriteAllBytesAsync(sourceFile, SourceFace.Jpeg);
        var spec = new JobSpec { Source = StorePath(sourceFile), Input = StorePath(inputDir) + "/", Output = StorePath(outputDir) + "/",
            SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent" };

        await using var silo = await EmbeddedSilo.StartAsync(Path.Combine(work.FullPath, "state"), "local", output);

        // First job: every photo swapped.
        var firstId = "local-" + Guid.NewGuid().ToString("N");
        var clock = Stopwatch.StartNew();
        var started = await silo.Grains.GetGrain<IBatchGrain>(firstId).StartAsync(spec);
        Assert.Equal(JobState.Running, started.State);
        var first = await Jobs.WaitAsync(silo.Grains.GetGrain<IBatchGrain>(firstId), TimeSpan.FromMinutes(3));
        var firstElapsed = clock.Elapsed;
        output.WriteLine($"first job: {firstElapsed.TotalSeconds:0.0} s, {first.Counters}");
        Jobs.AssertCounts(first, tree, ok: tree.Photos.Count, skipped: 0);
        Assert.True(first.Counters.Faces >= tree.Photos.Count);

        // The output tree holds exactly the swapped photos, under their own relative paths, in their own formats and sizes.
        var outputs = OutputFiles(outputDir);
        Assert.Equal(tree.Photos.Select(p => p.RelativePath).Order(StringComparer.Ordinal), outputs.Keys.Order(StringComparer.Ordinal));
        var store = new LocalBlobStore("/");
        foreach (var photo in tree.Photos)
        {
            var bytes = await File.ReadAllBytesAsync(outputs[photo.RelativePath]);
            Assert.Equal(ImageCodec.FormatFromPath(photo.RelativePath), Formats.Sniff(bytes));
            using (var decoded = ImageCodec.Decode(bytes))
            {
                Assert.Equal(photo.Size, (decoded.Width, decoded.Height));
            }

            var metadata = await store.GetMetadataAsync(spec.Output + photo.RelativePath);
            Assert.NotNull(metadata);
            Assert.Equal("trainedAlgorithmicMedia", metadata[OutputMetadata.Generated]);
            Assert.Equal(firstId, metadata[OutputMetadata.JobId]);
        }

        // The job's own files: a summary and one outcome line per image.
        var jobFolder = Path.Combine(outputDir, "_faceswap", firstId);
        Jobs.AssertSummary(await File.ReadAllTextAsync(Path.Combine(jobFolder, "summary.json")), first);
        Jobs.AssertOutcomes(Jobs.ParseOutcomes(await File.ReadAllTextAsync(Path.Combine(jobFolder, "outcomes.jsonl"))), tree, "ok");

        // Second job, same spec, new id: every output already matches, so nothing is swapped or written again.
        var written = outputs.Values.ToDictionary(p => p, File.GetLastWriteTimeUtc);
        var secondId = "local-again-" + Guid.NewGuid().ToString("N");
        clock.Restart();
        await silo.Grains.GetGrain<IBatchGrain>(secondId).StartAsync(spec);
        var second = await Jobs.WaitAsync(silo.Grains.GetGrain<IBatchGrain>(secondId), TimeSpan.FromMinutes(2));
        var secondElapsed = clock.Elapsed;
        output.WriteLine($"second job: {secondElapsed.TotalSeconds:0.0} s, {second.Counters}");
        Jobs.AssertCounts(second, tree, ok: 0, skipped: tree.Photos.Count);
        foreach (var (path, time) in written)
        {
            Assert.True(time == File.GetLastWriteTimeUtc(path), $"{path} was written again");
        }

        Assert.Equal(written.Keys.Order(), OutputFiles(outputDir).Values.Order());
        var secondFolder = Path.Combine(outputDir, "_faceswap", secondId);
        Jobs.AssertSummary(await File.ReadAllTextAsync(Path.Combine(secondFolder, "summary.json")), second);
        Jobs.AssertOutcomes(Jobs.ParseOutcomes(await File.ReadAllTextAsync(Path.Combine(secondFolder, "outcomes.jsonl"))), tree, "skipped");

        // The first job's manifest was not touched by the second.
        Assert.Equal(tree.Images.Count, Jobs.ParseOutcomes(await File.ReadAllTextAsync(Path.Combine(jobFolder, "outcomes.jsonl"))).Count);
    }

    [Fact]
    public async Task A_jobs_max_pixels_reaches_the_decode_an_image_over_it_is_image_too_large_and_one_under_it_is_swapped()
    {
        var inputDir = Path.Combine(work.FullPath, "limit-in");
        var outputDir = Path.Combine(work.FullPath, "limit-out");
        var sourceFile = Path.Combine(work.FullPath, "limit-source", "face.jpg");
        Directory.CreateDirectory(inputDir);
        Directory.CreateDirectory(Path.GetDirectoryName(sourceFile)!);
        await File.WriteAllBytesAsync(sourceFile, SourceFace.Jpeg);
        await File.WriteAllBytesAsync(Path.Combine(inputDir, "small.jpg"), Photo(1, 640));
        await File.WriteAllBytesAsync(Path.Combine(inputDir, "large.jpg"), Photo(1, 1600));
        var spec = new JobSpec
        {
            Source = StorePath(sourceFile), Input = StorePath(inputDir) + "/", Output = StorePath(outputDir) + "/",
            SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent",
            Options = new JobOptions { MaxPixels = 1_000_000 },
        };

        await using var silo = await EmbeddedSilo.StartAsync(Path.Combine(work.FullPath, "limit-state"), "local", output);
        var id = "limit-" + Guid.NewGuid().ToString("N");
        await silo.Grains.GetGrain<IBatchGrain>(id).StartAsync(spec);
        var status = await Jobs.WaitAsync(silo.Grains.GetGrain<IBatchGrain>(id), TimeSpan.FromMinutes(2));

        // 640x427 is under the job's 1 MP, 1600x1067 over it (and far under the engine's default 64 MP).
        var outcomes = Jobs.ParseOutcomes(await File.ReadAllTextAsync(Path.Combine(outputDir, "_faceswap", id, "outcomes.jsonl"))).ToDictionary(o => o.Path);
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(("ok", (string?)null), (outcomes["small.jpg"].Status, outcomes["small.jpg"].ErrorClass));
        Assert.Equal(("failed", "image_too_large"), (outcomes["large.jpg"].Status, outcomes["large.jpg"].ErrorClass));
        Assert.True(File.Exists(Path.Combine(outputDir, "small.jpg")));
        Assert.False(File.Exists(Path.Combine(outputDir, "large.jpg")));
    }

    /// <summary>Demo photo <paramref name="sample"/> as a JPEG <paramref name="width"/> pixels wide.</summary>
    private static byte[] Photo(int sample, int width)
    {
        using var image = ImageCodec.Decode(File.ReadAllBytes(Engine.Tests.TestAssets.Sample(sample)));
        using var resized = new OpenCvSharp.Mat();
        OpenCvSharp.Cv2.Resize(image, resized, new OpenCvSharp.Size(width, (int)Math.Round(image.Height * (double)width / image.Width)), interpolation: OpenCvSharp.InterpolationFlags.Area);
        return ImageCodec.Encode(resized, ImageFormat.Jpeg, 90);
    }

    /// <summary>A local path as a store path with the root "/": the absolute path without its leading '/'.</summary>
    private static string StorePath(string path) => Path.GetFullPath(path).TrimStart('/');

    /// <summary>Files under the output folder, keyed by relative path, leaving out the job files and hidden sidecars.</summary>
    private static Dictionary<string, string> OutputFiles(string outputDir) =>
        Directory.EnumerateFiles(outputDir, "*", SearchOption.AllDirectories)
            .Select(path => (Relative: Path.GetRelativePath(outputDir, path).Replace('\\', '/'), Full: path))
            .Where(f => !f.Relative.StartsWith("_faceswap/", StringComparison.Ordinal) && !f.Relative.Split('/').Any(s => s.StartsWith('.')))
            .ToDictionary(f => f.Relative, f => f.Full);

    public void Dispose() => work.Dispose();
}

/// <summary>Recognises an encoded image by its first bytes.</summary>
public static class Formats
{
    /// <summary>The format of encoded image bytes, or null.</summary>
    public static ImageFormat? Sniff(byte[] b) => b switch
    {
        [0xFF, 0xD8, 0xFF, ..] => ImageFormat.Jpeg,
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => ImageFormat.Png,
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => ImageFormat.Webp,
        [(byte)'B', (byte)'M', ..] => ImageFormat.Bmp,
        _ => null,
    };
}
