using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FaceSwap.Engine.Models;

/// <summary>How a model's calls are merged into batches.</summary>
public sealed record BatchingSettings
{
    /// <summary>Most items per model call; 1 turns batching off.</summary>
    public int MaxBatch { get; init; } = 8;

    /// <summary>
    /// How long a call may wait for other threads' items to fill its batch. 0 (the CPU default) never waits: items
    /// that arrive while a call runs go into the next one.
    /// </summary>
    public TimeSpan MaxWait { get; init; }

    /// <summary>
    /// Model calls that may run at once. On a CPU every engine thread may run its own call (a batch on one thread
    /// costs as much per item as single calls); on a GPU one call at a time makes the batches.
    /// </summary>
    public int ConcurrentRuns { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Merges items from concurrent callers (and the several faces of one image) into one ONNX Runtime call of up to
/// <see cref="BatchingSettings.MaxBatch"/> items along dimension 0, for models with one input. Callers block until
/// their items are done, so it suits the engine's dedicated threads. The first caller without a running call leads:
/// it waits up to <see cref="BatchingSettings.MaxWait"/> for company, runs what is pending, and keeps running batches
/// while items keep arriving.
/// </summary>
public sealed class DynamicBatcher
{
    private readonly InferenceSession session;
    private readonly string inputName;
    private readonly int[] itemShape;
    private readonly int itemLength;
    private readonly BatchingSettings settings;
    private readonly object gate = new();
    private readonly Queue<Pending> pending = new();
    private int pendingItems;
    private int leaders;
    private int maxBatch;

    /// <summary>Creates a batcher over a session whose only input has dimension 0 as its batch.</summary>
    public DynamicBatcher(InferenceSession session, int[] itemShape, BatchingSettings settings)
    {
        this.session = session;
        inputName = session.InputMetadata.Keys.Single();
        this.itemShape = itemShape;
        itemLength = itemShape.Aggregate(1, (a, d) => a * d);
        this.settings = settings;
        maxBatch = Math.Max(1, settings.MaxBatch);
    }

    /// <summary>Items per call at most now (1 after the model refused a batch).</summary>
    public int MaxBatch => Volatile.Read(ref maxBatch);

    /// <summary>Model calls made so far.</summary>
    public long Calls => Interlocked.Read(ref calls);

    /// <summary>Items run so far.</summary>
    public long Items => Interlocked.Read(ref items);

    private long calls;
    private long items;

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (each of the item shape), blocking until done; for each input, its
    /// outputs by name, each without the batch dimension.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, float[]>> Run(IReadOnlyList<float[]> inputs)
    {
        if (inputs.Count == 0)
        {
            return [];
        }

        var request = new Pending(inputs);
        bool lead;
        lock (gate)
        {
            pending.Enqueue(request);
            pendingItems += inputs.Count;
            lead = leaders < Math.Max(1, settings.ConcurrentRuns);
            if (lead)
            {
                leaders++;
            }
            else
            {
                Monitor.PulseAll(gate);
            }
        }

        if (lead)
        {
            Lead(request);
        }

        request.Done.Wait();
        request.Done.Dispose();
        if (request.Error is not null)
        {
            ExceptionDispatchInfo.Throw(request.Error);
        }

        return request.Outputs!;
    }

    private void Lead(Pending own)
    {
        try
        {
            while (true)
            {
                List<Pending> batch;
                lock (gate)
                {
                    if (settings.MaxWait > TimeSpan.Zero && !own.Done.IsSet)
                    {
                        var deadline = Stopwatch.GetTimestamp() + (long)(settings.MaxWait.TotalSeconds * Stopwatch.Frequency);
                        while (pendingItems < MaxBatch && Stopwatch.GetTimestamp() < deadline)
                        {
                            Monitor.Wait(gate, TimeSpan.FromTicks(Math.Max(1, (deadline - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                        }
                    }

                    batch = TakeBatch();
                    if (batch.Count == 0)
                    {
                        leaders--;
                        return;
                    }
                }

                Execute(batch);
            }
        }
        catch (Exception e)
        {
            // Only a bug gets here (Execute completes its requests itself); fail the leader's own request rather than hang.
            own.Fail(e);
            lock (gate)
            {
                leaders--;
            }
        }
    }

    /// <summary>Whole requests, oldest first, up to the batch size (a request larger than that goes alone).</summary>
    private List<Pending> TakeBatch()
    {
        var batch = new List<Pending>();
        var count = 0;
        while (pending.TryPeek(out var next) && (batch.Count == 0 || count + next.Inputs.Count <= MaxBatch))
        {
            batch.Add(pending.Dequeue());
            count += next.Inputs.Count;
            pendingItems -= next.Inputs.Count;
        }

        return batch;
    }

    private void Execute(List<Pending> batch)
    {
        var all = batch.SelectMany(p => p.Inputs).ToList();
        try
        {
            var outputs = new List<IReadOnlyDictionary<string, float[]>>(all.Count);
            for (var start = 0; start < all.Count; start += MaxBatch)
            {
                var chunk = all.GetRange(start, Math.Min(MaxBatch, all.Count - start));
                outputs.AddRange(RunChunk(chunk));
            }

            var offset = 0;
            foreach (var request in batch)
            {
                request.Complete(outputs.GetRange(offset, request.Inputs.Count));
                offset += request.Inputs.Count;
            }
        }
        catch (Exception e)
        {
            foreach (var request in batch)
            {
                request.Fail(e);
            }
        }
    }

    private List<IReadOnlyDictionary<string, float[]>> RunChunk(List<float[]> chunk)
    {
        try
        {
            return RunOnce(chunk);
        }
        catch (OnnxRuntimeException) when (chunk.Count > 1)
        {
            // The graph holds constants that pin the batch to 1 after all: run items one by one from now on.
            Volatile.Write(ref maxBatch, 1);
            return chunk.SelectMany(item => RunOnce([item])).ToList();
        }
    }

    private List<IReadOnlyDictionary<string, float[]>> RunOnce(List<float[]> chunk)
    {
        var tensor = new DenseTensor<float>([chunk.Count, .. itemShape]);
        var buffer = tensor.Buffer.Span;
        for (var i = 0; i < chunk.Count; i++)
        {
            if (chunk[i].Length != itemLength)
            {
                throw new ArgumentException($"an input has {chunk[i].Length} values, the model takes {itemLength} per item");
            }

            chunk[i].CopyTo(buffer.Slice(i * itemLength, itemLength));
        }

        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        Interlocked.Increment(ref calls);
        Interlocked.Add(ref items, chunk.Count);
        var perItem = Enumerable.Range(0, chunk.Count).Select(_ => new Dictionary<string, float[]>(StringComparer.Ordinal)).ToList();
        foreach (var result in results)
        {
            var values = result.AsTensor<float>().ToArray();
            var length = values.Length / chunk.Count;
            for (var i = 0; i < chunk.Count; i++)
            {
                perItem[i][result.Name] = values.AsSpan(i * length, length).ToArray();
            }
        }

        return perItem.Select(d => (IReadOnlyDictionary<string, float[]>)d).ToList();
    }

    private sealed class Pending(IReadOnlyList<float[]> inputs)
    {
        public IReadOnlyList<float[]> Inputs { get; } = inputs;

        public ManualResetEventSlim Done { get; } = new();

        public IReadOnlyList<IReadOnlyDictionary<string, float[]>>? Outputs { get; private set; }

        public Exception? Error { get; private set; }

        public void Complete(IReadOnlyList<IReadOnlyDictionary<string, float[]>> outputs)
        {
            Outputs = outputs;
            Done.Set();
        }

        public void Fail(Exception error)
        {
            if (!Done.IsSet)
            {
                Error = error;
                Done.Set();
            }
        }
    }
}
