using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using FaceSwap.Abstractions.Api;
using Microsoft.Extensions.Options;

namespace FaceSwap.Silo.Api.Security;

/// <summary>Settings of the failed-authentication throttle (configuration section Api:FailedAuth).</summary>
public sealed class FailedAuthOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Api:FailedAuth";

    /// <summary>Wrong keys or tokens one client address may present per minute before it is throttled; 0 turns the throttle off.</summary>
    [Range(0, int.MaxValue)]
    public int PermitsPerMinute { get; set; } = 20;
}

/// <summary>
/// Throttles guessing keys: each client address may present <see cref="FailedAuthOptions.PermitsPerMinute"/> wrong keys
/// (or bearer tokens) a minute. Past that, every request from that address that carries a key or token gets 429 with
/// Retry-After and code <c>auth_throttled</c> until the minute is over, without the key being checked, so a right
/// guess in the meantime gains nothing. Callers that present no credentials are not counted (they get 401 anyway).
/// Runs after authentication (which tells a failed key from none) and before authorization (which answers 401).
/// </summary>
public sealed class FailedAuthThrottle : IDisposable
{
    /// <summary>The problem-details code of a throttled request.</summary>
    public const string Code = ErrorCodes.AuthThrottled;

    private readonly PartitionedRateLimiter<IPAddress>? limiter;
    private readonly int permits;

    /// <summary>Creates the per-address limiter (none when the throttle is off).</summary>
    public FailedAuthThrottle(IOptions<FailedAuthOptions> options)
    {
        permits = options.Value.PermitsPerMinute;
        limiter = permits == 0 ? null : PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
            RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>The middleware.</summary>
    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (limiter is null || !PresentsCredentials(http.Request))
        {
            await next(http);
            return;
        }

        var address = http.Connection.RemoteIpAddress ?? IPAddress.None;

        // Asking for no permit tells whether any is left without using one.
        using (var probe = limiter.AttemptAcquire(address, 0))
        {
            if (!probe.IsAcquired)
            {
                await RejectAsync(http, probe);
                return;
            }
        }

        // Authentication has run: a key or token was presented and nobody was signed in with it.
        if (http.User.Identity?.IsAuthenticated != true)
        {
            limiter.AttemptAcquire(address, 1).Dispose();
        }

        await next(http);
    }

    /// <inheritdoc />
    public void Dispose() => limiter?.Dispose();

    private static bool PresentsCredentials(HttpRequest request) =>
        !string.IsNullOrEmpty(request.Headers[ApiKeyOptions.Header]) || !string.IsNullOrEmpty(request.Headers.Authorization);

    private async Task RejectAsync(HttpContext http, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed sign-ins",
                detail: $"this address presented more than {permits} wrong keys or tokens in a minute: retry in {seconds} s",
                extensions: new Dictionary<string, object?> { ["code"] = Code })
            .ExecuteAsync(http);
    }
}

/// <summary>Registration of the throttle.</summary>
public static class FailedAuthThrottleExtensions
{
    /// <summary>Binds and validates Api:FailedAuth and registers the throttle.</summary>
    public static IServiceCollection AddFailedAuthThrottle(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FailedAuthOptions>().Bind(configuration.GetSection(FailedAuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        return services.AddSingleton<FailedAuthThrottle>();
    }

    /// <summary>Adds the throttle to the pipeline: after UseAuthentication, before UseAuthorization.</summary>
    public static IApplicationBuilder UseFailedAuthThrottle(this IApplicationBuilder app)
    {
        var throttle = app.ApplicationServices.GetRequiredService<FailedAuthThrottle>();
        return app.Use((http, next) => throttle.InvokeAsync(http, next));
    }
}
