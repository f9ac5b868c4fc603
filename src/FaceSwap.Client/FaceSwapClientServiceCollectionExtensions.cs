using FaceSwap.Client;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="FaceSwapClient"/> with <see cref="IHttpClientFactory"/>.</summary>
public static class FaceSwapClientServiceCollectionExtensions
{
    /// <summary>The named HTTP client of ordinary API calls (with the client's resilience handler).</summary>
    public const string HttpClientName = "FaceSwap.Client";

    /// <summary>The named HTTP client of the event stream (no timeout, no resilience handler: the client reconnects itself).</summary>
    public const string StreamingHttpClientName = "FaceSwap.Client.Streaming";

    /// <summary>
    /// Registers <see cref="FaceSwapClient"/> (transient, cheap: the connections live in the factory's handlers) over two
    /// named HTTP clients: <see cref="HttpClientName"/> for ordinary calls, with a resilience handler made from
    /// <see cref="FaceSwapClientOptions.Retry"/> and a total time limit of <see cref="FaceSwapClientOptions.Timeout"/>
    /// (retrying a submit is safe because the client fixes the job id first), and <see cref="StreamingHttpClientName"/>
    /// for the server-sent event stream, which has no timeout and no resilience handler, not even one added to every
    /// client with <c>ConfigureHttpClientDefaults</c>, because a timeout would cut a long job's stream;
    /// <see cref="FaceSwapClient.WatchAsync"/> reconnects it itself.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddFaceSwapClient(o =>
    /// {
    ///     o.BaseAddress = new Uri("https://faceswap.example.com/");
    ///     o.ApiKey = configuration["FaceSwap:ApiKey"];
    /// });
    /// </code>
    /// </example>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the server and the key (and, if need be, retries, time limits and reconnection).</param>
    /// <returns>The builder of the ordinary client, to add handlers or replace its resilience settings.</returns>
    public static IHttpClientBuilder AddFaceSwapClient(this IServiceCollection services, Action<FaceSwapClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<FaceSwapClientOptions>()
            .Configure(configure)
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "FaceSwapClientOptions.BaseAddress must be an absolute URL of the server.");
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FaceSwapClientOptions>, FaceSwapClientOptionsValidator>());

        var builder = services.AddHttpClient(HttpClientName, (provider, http) =>
        {
            ConfigureClient(provider, http);
            http.Timeout = Options(provider).Timeout;
        });
        builder.AddResilienceHandler(FaceSwapResilience.PipelineName, static (pipeline, context) =>
            FaceSwapResilience.AddTo(pipeline, Options(context.ServiceProvider)));

        services.AddHttpClient(StreamingHttpClientName, (provider, http) =>
            {
                ConfigureClient(provider, http);
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigureAdditionalHttpMessageHandlers(static (handlers, _) =>
            {
                // What the (still experimental) RemoveAllResilienceHandlers() does: drop resilience handlers, including
                // any that ConfigureHttpClientDefaults adds to every client (e.g. .NET Aspire's service defaults).
                for (var i = handlers.Count - 1; i >= 0; i--)
                {
                    if (handlers[i] is ResilienceHandler)
                    {
                        handlers.RemoveAt(i);
                    }
                }
            });

        services.TryAddTransient(provider =>
        {
            var factory = provider.GetRequiredService<IHttpClientFactory>();
            return new FaceSwapClient(factory.CreateClient(HttpClientName), Options(provider), factory.CreateClient(StreamingHttpClientName));
        });
        return builder;
    }

    private static void ConfigureClient(IServiceProvider provider, HttpClient http) => http.BaseAddress = Options(provider).BaseAddress;

    private static FaceSwapClientOptions Options(IServiceProvider provider) => provider.GetRequiredService<IOptions<FaceSwapClientOptions>>().Value;
}
