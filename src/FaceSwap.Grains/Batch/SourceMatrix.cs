using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>One identity of a job: a name (its output folder in a matrix job; null otherwise) and its photos.</summary>
public sealed record SourceIdentity(string? Name, IReadOnlyList<BlobItemInfo> Images);

/// <summary>
/// A job's sources (<see cref="JobSpec.Sources"/>): which identities it has, which work items one listed input image
/// becomes (one per identity in a matrix job), where each output goes, and the per-source table of the summary.
/// A job with one <see cref="JobSpec.Source"/> and no <see cref="JobSpec.Sources"/> is unchanged by all of it.
/// </summary>
public static class SourceMatrix
{
    /// <summary>The most entries <see cref="JobSpec.Sources"/> may have.</summary>
    public const int MaxEntries = 64;

    /// <summary>The most photos one identity (a folder, or a whole set) may have.</summary>
    public const int MaxImagesPerIdentity = 32;

    /// <summary>Whether the job runs every source against every target.</summary>
    public static bool IsMatrix(JobSpec spec) => spec.Options.SourcesMode == SourcesMode.Each && spec.Sources is { Count: > 0 };

    /// <summary>Whether the job has a source set (several photos, or a folder) rather than its one <see cref="JobSpec.Source"/>.</summary>
    public static bool HasSources(JobSpec spec) => spec.Sources is { Count: > 0 };

    /// <summary>The output folder name of one entry: an image's name without extension, or a folder's name.</summary>
    public static string Name(string entry)
    {
        var trimmed = entry.TrimEnd('/');
        var name = trimmed[(trimmed.LastIndexOf('/') + 1)..];
        return entry.EndsWith('/') ? name : Path.GetFileNameWithoutExtension(name);
    }

    /// <summary>The names of a matrix job's identities, in entry order (empty for other jobs).</summary>
    public static IReadOnlyList<string> Names(JobSpec spec) => IsMatrix(spec) ? spec.Sources!.Select(Name).ToList() : [];

    /// <summary>What is wrong with a list of sources, if anything (the API's field error for <c>sources</c>).</summary>
    public static string? Problem(IReadOnlyList<string> sources, SourcesMode mode)
    {
        if (sources.Count > MaxEntries)
        {
            return $"must have at most {MaxEntries} entries";
        }

        if (sources.Any(s => !s.EndsWith('/') && !ImageCodec.ReadableExtensions.Contains(Path.GetExtension(s))))
        {
            return "entries must be images (.jpg .jpeg .png .bmp .webp) or folder prefixes ending in '/'";
        }

        if (mode == SourcesMode.Each)
        {
            var names = sources.Select(Name).ToList();
            if (names.FirstOrDefault(n => n.Length == 0 || n == JobFiles.Folder) is { } bad)
            {
                return $"'{bad}' cannot name an output folder";
            }

            if (names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                return $"two sources would write to the same folder '{twice.Key}': each source's name (file name without extension, or folder name) must be distinct";
            }
        }

        return null;
    }

    /// <summary>
    /// The work items of one listed input image: itself, or one per identity in a matrix job. In a retry round a matrix
    /// job lists its failed outcomes' paths, INPUT/&lt;source-name&gt;/&lt;path&gt; (see <see cref="InputPath"/>): each is
    /// that one identity's item.
    /// </summary>
    public static IEnumerable<WorkItem> WorkItems(JobSpec spec, BlobItemInfo blob, bool retryRound = false)
    {
        if (!IsMatrix(spec))
        {
            return [new WorkItem(blob.Path, blob.ETag, blob.Size)];
        }

        if (retryRound)
        {
            var relative = blob.Path[spec.Input.Length..];
            var slash = relative.IndexOf('/', StringComparison.Ordinal);
            return [new WorkItem(spec.Input + relative[(slash + 1)..], blob.ETag, blob.Size) { Identity = relative[..slash] }];
        }

        var item = new WorkItem(blob.Path, blob.ETag, blob.Size);
        return Names(spec).Select(name => item with { Identity = name });
    }

    /// <summary>
    /// The input image an outcome path under the input prefix stands for: in a matrix job the path's first folder is
    /// the source's name, not part of the input.
    /// </summary>
    public static string InputPath(JobSpec spec, string path)
    {
        if (!IsMatrix(spec))
        {
            return path;
        }

        var relative = path[spec.Input.Length..];
        return spec.Input + relative[(relative.IndexOf('/', StringComparison.Ordinal) + 1)..];
    }

    /// <summary>The path of an item's output (and outcome) relative to the output prefix: OUT/&lt;source-name&gt;/&lt;mirrored path&gt; in a matrix job.</summary>
    public static string OutputRelative(JobSpec spec, WorkItem item)
    {
        var relative = item.Path[spec.Input.Length..];
        return item.Identity is null ? relative : item.Identity + "/" + relative;
    }

    /// <summary>Whether a listed path is one of the job's sources (never an input image).</summary>
    public static bool IsSource(JobSpec spec, string path) =>
        path == spec.Source || (spec.Sources?.Any(s => s.EndsWith('/') ? path.StartsWith(s, StringComparison.Ordinal) : path == s) ?? false);

    /// <summary>
    /// The identities of a job with <see cref="JobSpec.Sources"/>: one set of every photo, or one identity per entry in
    /// a matrix job (a folder entry: its photos, listed recursively). Entries that do not exist are left out here;
    /// the source check refuses an empty identity.
    /// </summary>
    public static async Task<IReadOnlyList<SourceIdentity>> ResolveAsync(IBlobStore store, JobSpec spec, CancellationToken cancellationToken = default)
    {
        var entries = spec.Sources is { Count: > 0 } sources ? sources : [spec.Source];
        var perEntry = new List<(string Entry, List<BlobItemInfo> Images)>();
        foreach (var entry in entries)
        {
            var images = new List<BlobItemInfo>();
            if (entry.EndsWith('/'))
            {
                string? token = null;
                do
                {
                    var page = await store.ListAsync(entry, token, 256, cancellationToken);
                    images.AddRange(page.Items.Where(i => ImageCodec.ReadableExtensions.Contains(Path.GetExtension(i.Path))
                        && !i.Path[entry.Length..].Split('/').Contains(JobFiles.Folder)));
                    token = page.ContinuationToken;
                }
                while (token is not null && images.Count <= MaxImagesPerIdentity);
            }
            else if (await store.GetPropertiesAsync(entry, cancellationToken) is { } image)
            {
                images.Add(image);
            }

            perEntry.Add((entry, images.OrderBy(i => i.Path, StringComparer.Ordinal).ToList()));
        }

        return IsMatrix(spec)
            ? perEntry.Select(e => new SourceIdentity(Name(e.Entry), e.Images)).ToList()
            : [new SourceIdentity(null, perEntry.SelectMany(e => e.Images).DistinctBy(i => i.Path).ToList())];
    }

    /// <summary>A matrix job's counts per source from its outcomes (latest per image); null for other jobs.</summary>
    public static IReadOnlyDictionary<string, JobCounters>? Table(JobSpec spec, IEnumerable<ImageOutcome> outcomes)
    {
        if (!IsMatrix(spec))
        {
            return null;
        }

        var table = Names(spec).ToDictionary(n => n, _ => new JobCounters(), StringComparer.Ordinal);
        foreach (var outcome in outcomes)
        {
            if (outcome.Identity is { } name && table.TryGetValue(name, out var counters))
            {
                table[name] = counters.Add(outcome) with { Discovered = counters.Discovered + 1 };
            }
        }

        return table;
    }

    /// <summary>A matrix job's counts per source from its latest outcomes read one page at a time; null for other jobs.</summary>
    public static async Task<IReadOnlyDictionary<string, JobCounters>?> TableAsync(JobSpec spec, IAsyncEnumerable<ImageOutcome> outcomes)
    {
        if (!IsMatrix(spec))
        {
            return null;
        }

        var table = Names(spec).ToDictionary(n => n, _ => new JobCounters(), StringComparer.Ordinal);
        await foreach (var outcome in outcomes)
        {
            if (outcome.Identity is { } name && table.TryGetValue(name, out var counters))
            {
                table[name] = counters.Add(outcome) with { Discovered = counters.Discovered + 1 };
            }
        }

        return table;
    }

    /// <summary>The first image of a list of sources (what <see cref="JobSpec.Source"/> is set to); null when there is none.</summary>
    public static async Task<string?> FirstImageAsync(IBlobStore store, IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
    {
        var spec = new JobSpec { Source = "", Input = "", Output = "", Sources = sources, Options = new JobOptions { SourcesMode = SourcesMode.Set } };
        return (await ResolveAsync(store, spec, cancellationToken))[0].Images.FirstOrDefault()?.Path;
    }
}
