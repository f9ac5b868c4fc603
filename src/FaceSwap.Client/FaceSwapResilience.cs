using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace FaceSwap.Client;

/// <summary>The resilience pipeline of ordinary calls, made from <see cref="FaceSwapClientOptions.Retry"/>.</summary>
internal static class FaceSwapResilience
{
    /// <summary>The pipeline's name in telemetry and in <c>AddFaceSwapClient</c>'s handler.</summary>
    public const string PipelineName = "FaceSwap.Client";

    /// <summary>A new pipeline: retries (when any) outside a time limit per attempt.</summary>
    public static ResiliencePipeline<HttpResponseMessage> Build(FaceSwapClientOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        AddTo(builder, options);
        return builder.Build();
    }

    /// <summary>Adds the retry and per-attempt timeout strategies to <paramref name="builder"/>.</summary>
    public static void AddTo(ResiliencePipelineBuilder<HttpResponseMessage> builder, FaceSwapClientOptions options)
    {
        var retry = options.Retry;
        if (retry.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.Delay,
                MaxDelay = retry.MaxDelay,
            });
        }

        builder.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = retry.NetworkTimeout });
    }
}
