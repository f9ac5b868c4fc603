using System.Diagnostics;
using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Recognition;

namespace FaceSwap.Cli.Commands;

/// <summary>
/// Items per second of each embedded model at batch sizes 1, 2, 4 and 8, in two settings: every core running its own
/// calls with one thread each (how the engine threads of a CPU silo run), and one call at a time using every core
/// (how a single batched runner would).
/// </summary>
public static class ModelBatchBench
{
    /// <summary>The batch sizes measured.</summary>
    public static readonly int[] BatchSizes = [1, 2, 4, 8];

    /// <summary>Measures every embedded model; each cell runs for about <paramref name="cellTime"/>.</summary>
    public static IReadOnlyList<ModelBatchRow> Run(ModelDirectory models, TimeSpan cellTime, CancellationToken cancellationToken)
    {
        var rows = new List<ModelBatchRow>();
        foreach (var contract in new[] { FaceDetector.Contract, FaceLandmarker.Contract, FaceEmbedder.Contract })
        {
            var itemShape = contract.Inputs[0].Shape[1..];
            var random = new Random(1);
            var input = Enumerable.Range(0, itemShape.Aggregate(1, (a, d) => a * d)).Select(_ => (float)random.NextDouble()).ToArray();
            foreach (var batch in BatchSizes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var perCore = Measure(models, contract, batch, threads: Environment.ProcessorCount, intraOp: 1, input, cellTime);
                var allCores = Measure(models, contract, batch, threads: 1, intraOp: Environment.ProcessorCount, input, cellTime);
                rows.Add(new ModelBatchRow(contract.ModelName, batch, Math.Round(perCore, 1), Math.Round(allCores, 1)));
            }
        }

        return rows;
    }

    private static double Measure(ModelDirectory models, ModelContract contract, int batch, int threads, int intraOp, float[] input, TimeSpan cellTime)
    {
        using var model = OnnxModel.Load(models, contract, new OnnxSettings
        {
            IntraOpThreads = intraOp,
            Batching = new BatchingSettings { MaxBatch = batch, ConcurrentRuns = threads },
        });
        var items = Enumerable.Repeat(input, batch).ToList();
        model.Batcher.Run(items); // warm-up
        long done = 0;
        var watch = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            while (watch.Elapsed < cellTime)
            {
                model.Batcher.Run(items);
                Interlocked.Add(ref done, batch);
            }
        });
        return done / watch.Elapsed.TotalSeconds;
    }
}

/// <summary>One model at one batch size: items per second with a call per core (1 thread each) and with one call on all cores.</summary>
public sealed record ModelBatchRow(string Model, int BatchSize, double ItemsPerSecondCallPerCore, double ItemsPerSecondOneCallAllCores);
