using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using Polly;
using Polly.Retry;

namespace FaceSwap.Grains.Inference;

/// <summary>What a dispatcher's caller decides while a batch is retried; every hook runs on the caller's grain thread.</summary>
public sealed record DispatchRules
{
    /// <summary>Whether a batch that no inference silo can take waits for one (checked before each wait).</summary>
    public Func<bool> KeepWaiting { get; init; } = () => true;

    /// <summary>Whether a failed batch is tried again while attempts are left.</summary>
    public Func<bool> KeepRetrying { get; init; } = () => true;

    /// <summary>Called before each wait for an inference silo, with the failure that says none can take the batch.</summary>
    public Action<Exception> OnWaiting { get; init; } = _ => { };

    /// <summary>Called before a failed batch is tried again, with the attempt that failed (from 1) and its failure.</summary>
    public Action<int, Exception> OnRetry { get; init; } = (_, _) => { };
}

/// <summary>
/// Sends work to stateless inference grains for a BatchGrain or a PartitionGrain, with one retry policy for both: a
/// failed batch goes again to another silo (by a new key) up to <see cref="MaxAttempts"/> times; a batch that no
/// inference silo can take (the one called was lost, or none is in the cluster) is not the batch's fault, so it uses up
/// no attempt and waits for a silo for as long as the caller wants it to.
/// </summary>
/// <remarks>
/// Outputs already written by an earlier attempt match their metadata and are skipped, so nothing is written twice.
/// One dispatcher per grain activation: its key counter is not shared between threads.
/// </remarks>
public sealed class InferenceDispatcher
{
    /// <summary>How many keys the rotating grain references cycle through.</summary>
    public const int Keys = 64;

    /// <summary>How many times a batch is tried before its images fail with <c>dispatch_error</c>.</summary>
    public const int MaxAttempts = 4;

    private static readonly TimeSpan WaitForSilo = TimeSpan.FromSeconds(2);

    private readonly IGrainFactory grains;
    private readonly ResiliencePipeline pipeline;
    private long counter = Random.Shared.Next(Keys);

    /// <summary>A dispatcher that calls inference grains through <paramref name="grains"/> under <paramref name="rules"/>.</summary>
    public InferenceDispatcher(IGrainFactory grains, DispatchRules rules)
    {
        this.grains = grains;
        pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e and not OperationCanceledException && rules.KeepRetrying()),
                MaxRetryAttempts = MaxAttempts - 1,
                BackoffType = DelayBackoffType.Linear,
                Delay = TimeSpan.FromMilliseconds(500),
                UseJitter = false,
                OnRetry = args =>
                {
                    rules.OnRetry(args.AttemptNumber + 1, args.Outcome.Exception!);
                    return default;
                },
            })
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsNoInferenceSilo(e) && rules.KeepWaiting()),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Constant,
                Delay = WaitForSilo,
                UseJitter = false,
                OnRetry = args =>
                {
                    rules.OnWaiting(args.Outcome.Exception!);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>How many inference calls this dispatcher has made, retries and waits included.</summary>
    public int Calls { get; private set; }

    /// <summary>
    /// Whether a call failed because no inference silo can take it: the silo called was lost (Orleans'
    /// <see cref="SiloUnavailableException"/>), none is in the cluster (<see cref="NoInferenceSiloException"/>), or the
    /// inference silos Orleans still knows are all gone: its placement then throws a plain <see cref="OrleansException"/>
    /// ("no active nodes are compatible"), never one of the subclasses it uses for other failures.
    /// </summary>
    public static bool IsNoInferenceSilo(Exception e) =>
        e is SiloUnavailableException or NoInferenceSiloException || e.GetType() == typeof(OrleansException);

    /// <summary>
    /// A stateless inference grain with the next rotating key: a caller caches the placement of each key, so one fixed
    /// key would send every batch to the same inference silo. Retries get a new key, and so likely another silo.
    /// </summary>
    /// <exception cref="NoInferenceSiloException">No silo in the cluster runs inference grains.</exception>
    public IInferenceGrain Next()
    {
        try
        {
            return grains.GetGrain<IInferenceGrain>(counter++ % Keys);
        }
        catch (ArgumentException e)
        {
            throw new NoInferenceSiloException(e);
        }
    }

    /// <summary>
    /// Runs <paramref name="batch"/> on inference grains under the retry policy; throws the last failure once the rules
    /// say stop, and <see cref="OperationCanceledException"/> once <paramref name="cancellationToken"/> is cancelled
    /// (checked before each attempt and during each wait).
    /// </summary>
    public async Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch, CancellationToken cancellationToken = default)
    {
        // Continuations stay on the calling grain's scheduler: the hooks touch the grain's state.
        var context = ResilienceContextPool.Shared.Get(continueOnCapturedContext: true, cancellationToken);
        try
        {
            return await pipeline.ExecuteAsync(
                async (ctx, request) =>
                {
                    ctx.CancellationToken.ThrowIfCancellationRequested();
                    Calls++;
                    return await Next().ProcessAsync(request);
                },
                context,
                batch);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The outcomes of a batch that could not be run: each image failed with <c>dispatch_error</c> and the reason.</summary>
    public static IReadOnlyList<ImageOutcome> Failed(JobSpec spec, IEnumerable<WorkItem> items, Exception failure) =>
        items.Select(item => new ImageOutcome
        {
            Path = SourceMatrix.OutputRelative(spec, item),
            Identity = item.Identity,
            Status = ImageStatus.Failed,
            ErrorClass = "dispatch_error",
            Message = failure.Message,
        }).ToList();
}
