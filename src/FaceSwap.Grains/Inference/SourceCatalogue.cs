using System.Security.Cryptography;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Engine.Swapping;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// The sources a silo swaps with, prepared once and kept in bounded caches: source faces by path and version, source
/// sets by their photos' paths and versions, a matrix job's identities and a reference job's embeddings by spec hash;
/// and the SHA-256 of every source read, for the audit log. Everything is read asynchronously, before an image reaches
/// an engine thread.
/// </summary>
public sealed class SourceCatalogue(IBlobStore store, EngineModels models) : IDisposable
{
    /// <summary>The most entries of each kind kept; past it the least recently used are prepared again when needed.</summary>
    public const int Capacity = 64;

    /// <summary>The most source hashes kept.</summary>
    public const int HashCapacity = 1024;

    private readonly BoundedCache<SourceFace> faces = new(Capacity);
    private readonly BoundedCache<SourceSet> sets = new(Capacity);
    private readonly BoundedCache<IReadOnlyList<SourceIdentity>> identities = new(Capacity);
    private readonly BoundedCache<IReadOnlyList<float[]>> references = new(Capacity);
    private readonly BoundedCache<string> hashes = new(HashCapacity);

    /// <summary>The job's source face at version <paramref name="etag"/>, prepared once.</summary>
    public Task<SourceFace> SourceAsync(JobSpec spec, string etag) => faces.GetOrAddAsync(spec.Source + "|" + etag, async () =>
    {
        var bytes = await ReadAsync(spec.Source, etag, spec.Options.MaxFileBytes).ConfigureAwait(false);
        return await Prepare(() => models.Engine.PrepareSource(bytes)).ConfigureAwait(false);
    });

    /// <summary>The sources of one work item: the job's one source face, its set, or the item's identity in a matrix job.</summary>
    public async Task<SourceSet> SourceSetAsync(WorkBatch batch, WorkItem item)
    {
        var spec = batch.Spec;
        if (!SourceMatrix.HasSources(spec))
        {
            // The source and its mirror image (made once, kept with the source) for faces looking the other way.
            var source = await SourceAsync(spec, new SpecHash(batch.SpecHash).SourceETag).ConfigureAwait(false);
            return await Prepare(() => SourceSet.WithMirror(models.Engine, source)).ConfigureAwait(false);
        }

        var all = await identities.GetOrAddAsync(batch.SpecHash, () => SourceMatrix.ResolveAsync(store, spec)).ConfigureAwait(false);
        var identity = all.FirstOrDefault(i => i.Name == item.Identity)
            ?? throw new FaceSwapException(FaceSwapErrorKind.NoFace, $"the job has no source named '{item.Identity}'");
        return await SetAsync(spec, identity).ConfigureAwait(false);
    }

    /// <summary>An identity's set, prepared once and kept by its photos' paths and versions.</summary>
    public Task<SourceSet> SetAsync(JobSpec spec, SourceIdentity identity) =>
        sets.GetOrAddAsync(string.Join(",", identity.Images.Select(i => $"{i.Path}@{i.ETag}")), async () =>
        {
            var photos = new List<(string, byte[])>();
            foreach (var photo in identity.Images)
            {
                photos.Add((Path.GetFileName(photo.Path), await ReadAsync(photo.Path, photo.ETag, spec.Options.MaxFileBytes).ConfigureAwait(false)));
            }

            return await Prepare(() => SourceSet.Prepare(models.Engine, photos)).ConfigureAwait(false);
        });

    /// <summary>The reference embeddings of a reference job (none otherwise), kept by its spec hash, which holds the references' versions.</summary>
    public Task<IReadOnlyList<float[]>> ReferencesAsync(WorkBatch batch)
    {
        var spec = batch.Spec;
        if (spec.Options.Faces != FaceMode.Reference)
        {
            return Task.FromResult<IReadOnlyList<float[]>>([]);
        }

        return references.GetOrAddAsync(batch.SpecHash, async () =>
        {
            var photos = new List<byte[]>();
            foreach (var path in spec.Options.References ?? [])
            {
                photos.Add(await store.ReadAllBytesAsync(path, spec.Options.MaxFileBytes).ConfigureAwait(false));
            }

            return await Prepare<IReadOnlyList<float[]>>(() => photos.Select(models.Engine.PrepareReference).ToList()).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// SHA-256 (hex) of one source photo's version, from the hash kept when it was read for preparation, else by reading it.
    /// </summary>
    public async Task<string> Sha256Async(string path, string etag, long maxBytes) => hashes.TryGet(path + "|" + etag, out var known)
        ? known
        : Remember(path, etag, await store.ReadAllBytesAsync(path, maxBytes).ConfigureAwait(false));

    /// <summary>Reads a source photo, keeping its hash for the audit log rather than reading it a second time.</summary>
    private async Task<byte[]> ReadAsync(string path, string etag, long maxBytes)
    {
        var bytes = await store.ReadAllBytesAsync(path, maxBytes).ConfigureAwait(false);
        Remember(path, etag, bytes);
        return bytes;
    }

    private string Remember(string path, string etag, byte[] bytes)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        hashes.Set(path + "|" + etag, hash);
        return hash;
    }

    /// <summary>Preparing runs the detector and embedder (and may load the models): on a thread of its own, never a grain's.</summary>
    private static Task<T> Prepare<T>(Func<T> prepare) =>
        Task.Factory.StartNew(prepare, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var face in faces.Made())
        {
            face.Dispose();
        }

        foreach (var set in sets.Made())
        {
            set.Dispose();
        }
    }
}
