using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using FaceSwap.Abstractions.Api;
using Microsoft.Extensions.Options;

namespace FaceSwap.Silo.Api.Security;

/// <summary>Settings of the live event streams (configuration section Api:EventStreams).</summary>
public sealed class EventStreamOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Api:EventStreams";

    /// <summary>Event streams one key (or token) may hold open at once; 0 means no limit.</summary>
    [Range(0, int.MaxValue)]
    public int PerKey { get; set; } = 20;
}

/// <summary>
/// How many <c>GET /api/jobs/{id}/events</c> streams each caller holds open at once: every stream polls the job's grain
/// and storage twice a second, so hundreds on one key slow the jobs themselves. Past <see cref="EventStreamOptions.PerKey"/>
/// a new stream gets 429 with code <c>too_many_streams</c>; a stream's slot is freed when it ends or its client leaves.
/// </summary>
public sealed class EventStreamLimit : IDisposable
{
    /// <summary>The problem-details code of a refused stream.</summary>
    public const string Code = ErrorCodes.TooManyStreams;

    private readonly PartitionedRateLimiter<string>? limiter;

    /// <summary>Creates the per-caller concurrency limiter (none when unlimited).</summary>
    public EventStreamLimit(IOptions<EventStreamOptions> options)
    {
        PerKey = options.Value.PerKey;
        limiter = PerKey == 0 ? null : PartitionedRateLimiter.Create<string, string>(caller =>
            RateLimitPartition.GetConcurrencyLimiter(caller, _ => new ConcurrencyLimiterOptions { PermitLimit = PerKey, QueueLimit = 0 }));
    }

    /// <summary>Streams a caller may hold at once (0: no limit).</summary>
    public int PerKey { get; }

    /// <summary>A slot for one stream of <paramref name="user"/>'s key, to be disposed when the stream ends; null when the caller holds all of its slots.</summary>
    public IDisposable? TryOpen(System.Security.Claims.ClaimsPrincipal user)
    {
        if (limiter is null)
        {
            return NoLimit.Instance;
        }

        var lease = limiter.AttemptAcquire("key:" + (user.Identity?.Name ?? ""));
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        return null;
    }

    /// <inheritdoc />
    public void Dispose() => limiter?.Dispose();

    private sealed class NoLimit : IDisposable
    {
        public static readonly NoLimit Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>Registration of the limit.</summary>
public static class EventStreamLimitExtensions
{
    /// <summary>Binds and validates Api:EventStreams and registers the limit.</summary>
    public static IServiceCollection AddEventStreamLimit(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventStreamOptions>().Bind(configuration.GetSection(EventStreamOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        return services.AddSingleton<EventStreamLimit>();
    }
}
