using System.Security.Cryptography;
using System.Text;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;
using FaceSwap.Testing;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// The spec hash is recorded with every output: a job run again skips an output only when its hash is the same. So the
/// text it hashes must not change for jobs whose options did not, and the source ETag must read back as it was written.
/// </summary>
public sealed class SpecHashTests : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-spec-hash");

    private static string Hex16(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    [Fact]
    public void A_job_at_the_defaults_hashes_the_same_text_as_jobs_from_before_newer_options()
    {
        var spec = new JobSpec { Source = "in/face.jpg", Input = "in/photos/", Output = "out/" };

        var hash = SpecHash.Of(spec, "\"0x8DC:1\"", [], "");

        Assert.Equal("\"0x8DC_1\":" + Hex16("in/face.jpg|All|92|engine=morph-1"), hash.Value);
        Assert.Equal("\"0x8DC_1\"", hash.SourceETag);
    }

    [Fact]
    public void Reference_mode_options_and_the_source_set_change_the_hash_but_not_the_source_etag()
    {
        var spec = new JobSpec
        {
            Source = "in/face.jpg",
            Input = "in/photos/",
            Output = "out/",
            Options = new JobOptions { Faces = FaceMode.Reference, ReferenceDistance = 0.5f, Watermark = false, StripGps = true, References = ["in/ref.jpg"] },
        };

        var hash = SpecHash.Of(spec, "\"e1\"", ["in/ref.jpg@\"r1\""], "|sources=Each:a=in/a.jpg@\"a1\"");

        Assert.Equal(
            "\"e1\":" + Hex16("in/face.jpg|Reference|92|engine=morph-1|no-watermark|strip-gps|distance=0.5|references=in/ref.jpg@\"r1\"") + "|sources=Each:a=in/a.jpg@\"a1\"",
            hash.Value);
        Assert.Equal("\"e1\"", hash.SourceETag);
    }

    [Fact]
    public async Task Built_from_the_store_it_names_the_current_source_version_and_changes_when_the_source_is_replaced()
    {
        var store = new LocalBlobStore(work.FullPath);
        var spec = new JobSpec { Source = "in/face.jpg", Input = "in/photos/", Output = "out/" };
        await store.WriteAsync(spec.Source, SourceFace.Jpeg, "image/jpeg", null);
        var first = await SpecHash.BuildAsync(store, spec);
        var etag = (await store.GetPropertiesAsync(spec.Source))!.ETag;

        Assert.Equal(SpecHash.Of(spec, etag, [], "").Value, first.Value);

        await store.WriteAsync(spec.Source, SourceFace.Jpeg.Concat(new byte[] { 0 }).ToArray(), "image/jpeg", null);
        var second = await SpecHash.BuildAsync(store, spec);
        Assert.NotEqual(first.SourceETag, second.SourceETag);
    }

    public void Dispose() => work.Dispose();
}
