using System.Diagnostics;
using System.Threading.Channels;
using FaceSwap.Engine.Pipeline;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// A fixed number of dedicated threads that swap decoded images, fed by a queue of at most one decoded image per
/// thread: an image takes a decode slot before it is decoded and gives it back when a thread takes it, so the queue
/// (bounded to the same size) never makes a writer wait. The threads only swap: reading, preparing sources and writing
/// happen before and after, asynchronously.
/// </summary>
internal sealed class EngineWorkerPool : IDisposable
{
    private readonly Func<SwapWork, SwapResult> swap;
    private readonly Channel<SwapWork> queue;
    private readonly SemaphoreSlim decodeSlots;
    private readonly Thread[] workers;
    private readonly CancellationTokenSource stopping = new();
    private long processed;

    /// <summary>Starts <paramref name="threads"/> threads that run <paramref name="swap"/> on queued images.</summary>
    public EngineWorkerPool(int threads, Func<SwapWork, SwapResult> swap)
    {
        this.swap = swap;
        decodeSlots = new SemaphoreSlim(threads);
        queue = Channel.CreateBounded<SwapWork>(new BoundedChannelOptions(threads) { FullMode = BoundedChannelFullMode.Wait });
        workers = Enumerable.Range(0, threads).Select(i => new Thread(WorkLoop) { IsBackground = true, Name = $"faceswap-engine-{i}" }).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }
    }

    /// <summary>Images waiting for a thread.</summary>
    public int Queued => queue.Reader.Count;

    /// <summary>Images swapped (or failed) since the silo started.</summary>
    public long Processed => Interlocked.Read(ref processed);

    /// <summary>Waits for a decode slot, which <paramref name="work"/> holds until a thread takes it.</summary>
    public async Task ReserveAsync(SwapWork work, CancellationToken cancellationToken)
    {
        await decodeSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        work.HoldsDecodeSlot(decodeSlots);
    }

    /// <summary>Queues a decoded image and waits for its swap.</summary>
    public async Task<SwapResult> SwapAsync(SwapWork work, CancellationToken cancellationToken)
    {
        await queue.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        return await work.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>An engine thread: takes decoded images and swaps them.</summary>
    private void WorkLoop()
    {
        var reader = queue.Reader;
        while (!stopping.IsCancellationRequested)
        {
            SwapWork? work;
            try
            {
                if (!reader.TryRead(out work))
                {
                    // Idle: the thread has nothing else to do until an image arrives.
                    if (!reader.WaitToReadAsync(stopping.Token).AsTask().GetAwaiter().GetResult())
                    {
                        return;
                    }

                    continue;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // The image has left the buffers: the next ones may be read and decoded.
            work.ReleaseSlots();

            // The stages' spans go under the image's span, which this thread did not start.
            Activity.Current = work.ImageSpan;
            try
            {
                work.Completion.TrySetResult(swap(work));
            }
            catch (Exception e)
            {
                work.Completion.TrySetException(e);
            }
            finally
            {
                Activity.Current = null;
            }

            Interlocked.Increment(ref processed);
        }
    }

    /// <summary>Stops the threads and fails what is still queued, so awaiting grain calls return (the caller retries elsewhere).</summary>
    public void Dispose()
    {
        stopping.Cancel();
        queue.Writer.TryComplete();
        foreach (var worker in workers)
        {
            worker.Join(TimeSpan.FromSeconds(5));
        }

        while (queue.Reader.TryRead(out var pending))
        {
            pending.Completion.TrySetException(new ObjectDisposedException(nameof(EngineService), "the silo is shutting down"));
        }

        stopping.Dispose();
    }
}
