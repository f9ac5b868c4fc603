using System.Globalization;
using System.Threading.RateLimiting;
using FaceSwap.Abstractions.Api;
using Microsoft.AspNetCore.RateLimiting;

namespace FaceSwap.Silo.Api.Security;

/// <summary>
/// Per-key rate limits on /api: a fixed one-minute window of Api:RateLimit:PermitsPerMinute requests (default 600; 0
/// turns limiting off) for each authenticated caller, partitioned by its key (or token) name. A caller over its limit
/// gets 429 with Retry-After; unauthenticated calls never get this far (401 comes first).
/// </summary>
public static class ApiRateLimits
{
    /// <summary>The policy the /api group requires.</summary>
    public const string Policy = "per-key";

    /// <summary>Default permits per key per minute.</summary>
    public const int DefaultPermitsPerMinute = 600;

    /// <summary>Registers the limiter.</summary>
    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var permits = configuration.GetValue("Api:RateLimit:PermitsPerMinute", DefaultPermitsPerMinute);
        if (permits < 0)
        {
            throw new InvalidOperationException($"Api:RateLimit:PermitsPerMinute must be 0 (off) or more, not {permits}");
        }

        return services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                var response = context.HttpContext.Response;
                response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                        detail: $"this key may make {permits} API requests a minute: retry in {seconds} s",
                        extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.RateLimited })
                    .ExecuteAsync(context.HttpContext);
            };
            o.AddPolicy(Policy, http =>
            {
                var key = http.User.Identity?.IsAuthenticated == true ? "key:" + http.User.Identity.Name : "anonymous";
                return permits == 0
                    ? RateLimitPartition.GetNoLimiter(key)
                    : RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = permits,
                        Window = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
        });
    }
}
