using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>The BatchGrain enforces the job policy itself, whoever calls it: no HTTP layer is involved here.</summary>
public sealed class JobPolicyTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-grains-policy");

    [Fact]
    public async Task The_batch_grain_refuses_a_spec_without_submitter_consent_or_watermark_or_over_the_pixel_limit_and_creates_no_job()
    {
        var inputDir = Path.Combine(work.FullPath, "in");
        var sourceFile = Path.Combine(work.FullPath, "source", "face.jpg");
        Directory.CreateDirectory(inputDir);
        Directory.CreateDirectory(Path.GetDirectoryName(sourceFile)!);
        await File.WriteAllBytesAsync(sourceFile, SourceFace.Jpeg);
        await File.WriteAllBytesAsync(Path.Combine(inputDir, "a.jpg"), SourceFace.Jpeg);
        var valid = new JobSpec
        {
            Source = sourceFile.TrimStart('/'), Input = inputDir.TrimStart('/') + "/", Output = Path.Combine(work.FullPath, "out").TrimStart('/') + "/",
            SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent",
        };
        var cases = new (JobSpec Spec, string Code)[]
        {
            (valid with { SubmittedBy = null }, JobRefusalCodes.SubmitterRequired),
            (valid with { SubmittedBy = "  " }, JobRefusalCodes.SubmitterRequired),
            (valid with { ConsentReference = null }, JobRefusalCodes.ConsentRequired),
            (valid with { Options = new JobOptions { Watermark = false } }, JobRefusalCodes.WatermarkRequired),
            (valid with { Options = new JobOptions { MaxPixels = 1_000_000_000_000 } }, JobRefusalCodes.MaxPixelsOutOfRange),
            (valid with { Options = new JobOptions { MaxPixels = 0 } }, JobRefusalCodes.MaxPixelsOutOfRange),
        };

        await using var silo = await EmbeddedSilo.StartAsync(Path.Combine(work.FullPath, "state"), "local", output);
        foreach (var (spec, code) in cases)
        {
            var job = silo.Grains.GetGrain<IBatchGrain>("policy-" + Guid.NewGuid().ToString("N"));
            var refused = await Assert.ThrowsAsync<JobRefusedException>(() => job.StartAsync(spec));
            Assert.Equal(code, refused.Code);
            Assert.Null((await job.GetStatusAsync()).Spec);
        }

        // The same spec with everything in place starts.
        var accepted = await silo.Grains.GetGrain<IBatchGrain>("policy-ok-" + Guid.NewGuid().ToString("N")).StartAsync(valid);
        Assert.NotEqual(JobState.Failed, accepted.State);
    }

    public void Dispose() => work.Dispose();
}
