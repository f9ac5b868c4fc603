using System.Net.ServerSentEvents;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using Polly;
using Polly.Retry;

namespace FaceSwap.Client;

/// <summary>
/// One job's event stream, read with <see cref="SseParser"/>. Each <see cref="NextAsync"/> runs through the client's
/// reconnect pipeline (<see cref="Pipeline"/>): a dropped, silent or refused connection is opened again with
/// <c>Last-Event-ID</c> after a backoff, and the attempts count afresh after each event received.
/// </summary>
internal sealed class JobEventStream(Func<string?, CancellationToken, Task<HttpResponseMessage>> connect, TimeSpan idleTimeout, string? lastEventId)
    : IAsyncDisposable
{
    private static readonly ResiliencePropertyKey<JobEventStream> StreamKey = new("FaceSwap.Client.JobEventStream");

    private HttpResponseMessage? response;
    private IAsyncEnumerator<SseItem<JobEvent?>>? items;
    private SseParser<JobEvent?>? parser;

    /// <summary>The reconnection time the server asked for with a <c>retry:</c> field, if it did.</summary>
    private TimeSpan? serverRetry;

    /// <summary>
    /// The reconnect pipeline of a client: retries of transient failures (network errors, a silent stream, an early end,
    /// 408, 429, 5xx) with a delay of <see cref="FaceSwapClientOptions.ReconnectDelay"/> (else the server's hint, else
    /// 1 s) doubling per failure in a row up to <see cref="FaceSwapClientOptions.MaxReconnectDelay"/>.
    /// </summary>
    public static ResiliencePipeline Pipeline(FaceSwapClientOptions options)
    {
        var builder = new ResiliencePipelineBuilder();
        if (options.MaxReconnectAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                Name = "FaceSwap.Client.EventStream",
                MaxRetryAttempts = options.MaxReconnectAttempts,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && FaceSwapClient.IsTransient(e, args.Context.CancellationToken)),
                DelayGenerator = args =>
                {
                    var hint = args.Context.Properties.GetValue(StreamKey, null!)?.serverRetry;
                    var first = options.ReconnectDelay ?? hint ?? TimeSpan.FromSeconds(1);
                    var delay = TimeSpan.FromTicks(Math.Min(options.MaxReconnectDelay.Ticks, first.Ticks * (1L << Math.Min(args.AttemptNumber, 16))));
                    return ValueTask.FromResult<TimeSpan?>(delay);
                },
            });
        }

        return builder.Build();
    }

    /// <summary>The next job event (unknown event types skipped), reconnecting through <paramref name="pipeline"/> as needed.</summary>
    public async Task<JobEvent> NextAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StreamKey, this);
        try
        {
            return await pipeline.ExecuteAsync(static (context, stream) => stream.ReadOneAsync(context.CancellationToken), context, this).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (items is not null)
        {
            await items.DisposeAsync().ConfigureAwait(false);
            items = null;
        }

        response?.Dispose();
        response = null;
    }

    private async ValueTask<JobEvent> ReadOneAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (items is null)
            {
                response = await connect(lastEventId, cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                parser = SseParser.Create(new IdleTimeoutStream(body, idleTimeout), ToJobEvent);
                items = parser.EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            }

            while (await items.MoveNextAsync().ConfigureAwait(false))
            {
                if (parser!.ReconnectionInterval != Timeout.InfiniteTimeSpan)
                {
                    serverRetry = parser.ReconnectionInterval;
                }

                lastEventId = string.IsNullOrEmpty(parser.LastEventId) ? lastEventId : parser.LastEventId;
                if (items.Current.Data is { } jobEvent)
                {
                    return jobEvent with { Id = lastEventId };
                }
            }

            // The stream ended (or broke) before the done event: reconnect from the last event.
            throw new HttpIOException(HttpRequestError.ResponseEnded, "The event stream ended before the job's done event.");
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static JobEvent? ToJobEvent(string eventType, ReadOnlySpan<byte> data) => eventType switch
    {
        "status" => new JobEvent(JobEventKind.Status, null, Parse<JobStatus>(eventType, data), null),
        "image" => new JobEvent(JobEventKind.Image, null, null, Parse<ImageOutcome>(eventType, data)),
        "done" => new JobEvent(JobEventKind.Done, null, Parse<JobStatus>(eventType, data), null),
        _ => null, // an event type this client does not know yet
    };

    private static T Parse<T>(string eventType, ReadOnlySpan<byte> data) =>
        JsonSerializer.Deserialize<T>(data, FaceSwapJson.Options) ?? throw new JsonException($"The '{eventType}' event has no data.");
}
