using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;

namespace FaceSwap.Cli.Commands;

/// <summary>What `faceswap run` prints about sources after a job: per-source counts (matrix), photos used (set), cache hits.</summary>
public static class SourceReport
{
    /// <summary>Prints the lines that apply to the job; nothing for a plain single-source job without repeats.</summary>
    public static async Task PrintAsync(JobSpec spec, JobStatus status, OutcomeIndex index, CancellationToken cancellationToken)
    {
        if (status.Counters.CacheHits > 0)
        {
            Console.WriteLine($"repeat-image cache: {status.Counters.CacheHits} images were analysed before (same content), not decoded or detected again");
        }

        if (!SourceMatrix.HasSources(spec))
        {
            return;
        }

        if (await SourceMatrix.TableAsync(spec, index.EachAsync(cancellationToken: cancellationToken)) is { } table)
        {
            Console.WriteLine($"{"source",-24} {"images",7} {"swapped",8} {"no face",8} {"failed",7} {"skipped",8}");
            foreach (var (name, c) in table)
            {
                Console.WriteLine($"{name,-24} {c.Discovered,7} {c.Ok,8} {c.NoFace,8} {c.Failed,7} {c.Skipped,8}");
            }
        }

        var used = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var outcome in index.EachAsync(cancellationToken: cancellationToken))
        {
            foreach (var photo in outcome.SourcesUsed ?? [])
            {
                if (photo.Length > 0)
                {
                    used[photo] = used.GetValueOrDefault(photo) + 1;
                }
            }
        }

        if (used.Count > 0)
        {
            Console.WriteLine("source photos used (closest head pose per face): " + string.Join(", ", used.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} x{kv.Value}")));
        }
    }
}
