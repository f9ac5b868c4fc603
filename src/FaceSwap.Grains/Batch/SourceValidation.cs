using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>The field checks of a request's <c>source</c>, <c>sources</c> and <c>options.sourcesMode</c>.</summary>
public static class SourceValidation
{
    /// <summary>
    /// The entries of <see cref="JobSpec.Sources"/> a request asks for: null for a request with only <c>source</c>
    /// (a single-source job, as before), else its <c>sources</c> with <c>source</c> first when it is not among them.
    /// </summary>
    public static IReadOnlyList<string>? Entries(SubmitJobRequest request)
    {
        if (request.Sources is not { Count: > 0 } sources)
        {
            return null;
        }

        return request.Source is { } source && !sources.Contains(source) ? [source, .. sources] : sources;
    }

    /// <summary>Checks the shape of the source fields; <paramref name="add"/> records an error under a field name.</summary>
    public static void CheckShape(SubmitJobRequest request, JobOptions options, Action<string, string> add)
    {
        if (!Enum.IsDefined(options.SourcesMode))
        {
            add("options.sourcesMode", "must be 'set' or 'each'");
        }

        var entries = Entries(request);
        if (entries is null)
        {
            if (BlobPathRules.Problem(request.Source, isPrefix: false) is { } sourceProblem)
            {
                add("source", sourceProblem);
            }

            if (options.SourcesMode == SourcesMode.Each)
            {
                add("sources", "sources mode 'each' needs a list of sources (images, or folder prefixes ending in '/' of one person each)");
            }

            return;
        }

        if (request.Source is not null && BlobPathRules.Problem(request.Source, isPrefix: false) is { } problem)
        {
            add("source", problem);
        }

        foreach (var entry in entries)
        {
            if (BlobPathRules.Problem(entry, isPrefix: entry.EndsWith('/')) is { } entryProblem)
            {
                add("sources", $"'{entry}': {entryProblem}");
            }
        }

        if (SourceMatrix.Problem(entries, options.SourcesMode) is { } listProblem)
        {
            add("sources", listProblem);
        }
    }

    /// <summary>
    /// Checks against the store that every source image exists and every folder has images; returns the job's
    /// <see cref="JobSpec.Source"/> (the request's, or the first image of its sources).
    /// </summary>
    public static async Task<string?> CheckStoreAsync(SubmitJobRequest request, IBlobStore store, Action<string, string> add, CancellationToken cancellationToken)
    {
        var entries = Entries(request);
        if (entries is null)
        {
            if (await store.GetPropertiesAsync(request.Source!, cancellationToken) is null)
            {
                add("source", $"no image at {request.Source}");
            }

            return request.Source;
        }

        foreach (var entry in entries)
        {
            var spec = new JobSpec { Source = "", Input = "", Output = "", Sources = [entry] };
            if ((await SourceMatrix.ResolveAsync(store, spec, cancellationToken))[0].Images.Count == 0)
            {
                add(entry == request.Source ? "source" : "sources", entry.EndsWith('/') ? $"no images under {entry}" : $"no image at {entry}");
            }
        }

        return request.Source ?? await SourceMatrix.FirstImageAsync(store, entries, cancellationToken);
    }
}
