using System.Diagnostics;
using System.Security.Cryptography;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;
using FaceSwap.Storage;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// A load-testing engine (`faceswap bench --engine null`) that takes imaging out of the picture so the coordination
/// layer can be measured: per image it does the output skip check, holds one of the silo's pipelines for the
/// configured delay, writes a placeholder output with the real output metadata and returns an ok outcome with fixed
/// figures. It needs no models. Registered only when <see cref="LoadTestOptions.UsesNullEngine"/>, which only the
/// bench sets.
/// </summary>
public sealed class NullEngine(IBlobStore store, IOptions<FaceSwapSiloOptions> options, ILocalSiloDetails silo)
{
    /// <summary>The placeholder written as every output.</summary>
    private static readonly byte[] Placeholder = [0xFF, 0xD8, 0xFF, 0xD9];

    private readonly int delayMs = Math.Max(0, options.Value.LoadTest.EngineDelayMs);
    private readonly SemaphoreSlim pipelines = new(options.Value.EffectiveConcurrency);
    private readonly string siloName = silo.Name;
    private long processed;

    /// <summary>Images processed by this silo since it started.</summary>
    public long Processed => Interlocked.Read(ref processed);

    /// <summary>Every source is usable; its hash is taken for the audit log when the file exists.</summary>
    public async Task<SourceCheck> CheckSourceAsync(JobSpec spec)
    {
        string? sha256 = null;
        if (await store.ExistsAsync(spec.Source))
        {
            sha256 = Convert.ToHexStringLower(SHA256.HashData(await store.ReadAllBytesAsync(spec.Source, spec.Options.MaxFileBytes)));
        }

        return new SourceCheck(true, null, null) { SourceSha256 = sha256 };
    }

    /// <summary>One outcome per item, in order; never an exception.</summary>
    public async Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch)
    {
        if (delayMs == 0)
        {
            var outcomes = new ImageOutcome[batch.Items.Count];
            for (var i = 0; i < outcomes.Length; i++)
            {
                outcomes[i] = await ProcessAsync(batch, batch.Items[i]);
            }

            return outcomes;
        }

        return await Task.WhenAll(batch.Items.Select(item => ProcessAsync(batch, item)));
    }

    private async Task<ImageOutcome> ProcessAsync(WorkBatch batch, WorkItem item)
    {
        var started = Stopwatch.GetTimestamp();
        var relative = item.Path[batch.Spec.Input.Length..];
        var outcome = new ImageOutcome { Path = relative, Silo = siloName };
        try
        {
            var outputPath = batch.Spec.Output + relative;
            if (OutputMetadata.Matches(await store.GetMetadataAsync(outputPath), item.ETag, batch.SpecHash))
            {
                return outcome with { Status = ImageStatus.Skipped, Milliseconds = Elapsed(started) };
            }

            if (delayMs > 0)
            {
                await pipelines.WaitAsync();
                try
                {
                    await Task.Delay(delayMs);
                }
                finally
                {
                    pipelines.Release();
                }
            }

            await store.WriteAsync(outputPath, Placeholder, "image/jpeg", new Dictionary<string, string>
            {
                [OutputMetadata.InputETag] = item.ETag,
                [OutputMetadata.SpecHash] = batch.SpecHash,
                [OutputMetadata.JobId] = batch.JobId,
                [OutputMetadata.Generated] = "trainedAlgorithmicMedia",
            });
            return outcome with { Status = ImageStatus.Ok, Faces = 1, Similarity = 1f, Milliseconds = Elapsed(started) };
        }
        catch (Exception e)
        {
            return outcome with { Status = ImageStatus.Failed, ErrorClass = EngineService.Classify(e), Message = e.Message, Milliseconds = Elapsed(started) };
        }
        finally
        {
            Interlocked.Increment(ref processed);
        }
    }

    private static double Elapsed(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);
}
