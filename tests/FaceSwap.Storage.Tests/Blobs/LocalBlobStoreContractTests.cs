using FaceSwap.Testing;

namespace FaceSwap.Storage.Tests.Blobs;

/// <summary>The blob-store contract against <see cref="LocalBlobStore"/> over a temporary folder.</summary>
public sealed class LocalBlobStoreContractTests : BlobStoreContractTests, IDisposable
{
    private readonly TemporaryDirectory root = new("faceswap-blobs");

    public LocalBlobStoreContractTests() => Store = new LocalBlobStore(root.FullPath);

    protected override IBlobStore Store { get; }

    protected override string Container => "data";

    protected override IBlobStore CreateStoreOverSameStorage() => new LocalBlobStore(root.FullPath);

    public void Dispose() => root.Dispose();
}
