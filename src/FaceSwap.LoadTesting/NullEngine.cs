using System.Diagnostics;
using System.Security.Cryptography;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Inference;
using FaceSwap.Storage;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace FaceSwap.LoadTesting;

/// <summary>
/// A load-testing engine (`faceswap bench --engine null`) that takes imaging out of the picture so the coordination
/// layer can be measured: per image it does the real engine's output check and conditional write
/// (<see cref="ImageProcessor"/>), and in between only holds one of the silo's pipelines for the configured delay; the
/// output is a placeholder with the real output metadata, the outcome ok with fixed figures. It needs no models.
/// A silo gets it only through <see cref="NullEngineRegistration.UseNullEngine"/>, which only the bench calls.
/// </summary>
public sealed class NullEngine(IBlobStore store, IOptions<FaceSwapSiloOptions> options, NullEngineOptions nullOptions, ILocalSiloDetails silo) : IInferenceEngine
{
    /// <summary>The placeholder written as every output.</summary>
    private static readonly byte[] Placeholder = [0xFF, 0xD8, 0xFF, 0xD9];

    private readonly int delayMs = Math.Max(0, nullOptions.EngineDelayMs);
    private readonly SemaphoreSlim pipelines = new(options.Value.EffectiveConcurrency);
    private readonly ImageProcessor images = new(store, silo.Name);

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

    /// <inheritdoc />
    public async Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch, CancellationToken cancellationToken)
    {
        if (delayMs == 0)
        {
            var outcomes = new ImageOutcome[batch.Items.Count];
            for (var i = 0; i < outcomes.Length; i++)
            {
                outcomes[i] = await ProcessAsync(batch, batch.Items[i], cancellationToken);
            }

            return outcomes;
        }

        return await Task.WhenAll(batch.Items.Select(item => ProcessAsync(batch, item, cancellationToken)));
    }

    private async Task<ImageOutcome> ProcessAsync(WorkBatch batch, WorkItem item, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var blank = images.Blank(batch, item);
        try
        {
            var check = await images.CheckOutputAsync(batch, item, blank, started, timer: null, cancellationToken);
            if (check.Done is { } done)
            {
                return done;
            }

            if (delayMs > 0)
            {
                await pipelines.WaitAsync(cancellationToken);
                try
                {
                    await Task.Delay(delayMs, cancellationToken);
                }
                finally
                {
                    pipelines.Release();
                }
            }

            var ok = blank with { Status = ImageStatus.Ok, Faces = 1, Similarity = 1f };
            return await images.WriteAsync(batch, item, ok, Placeholder, marked: true, check.Seen, started, cancellationToken)
                ?? ok with { Milliseconds = ImageProcessor.Elapsed(started) };
        }
        catch (Exception e)
        {
            return blank with { Status = ImageStatus.Failed, ErrorClass = EngineService.Classify(e), Message = e.Message, Milliseconds = ImageProcessor.Elapsed(started) };
        }
    }
}
