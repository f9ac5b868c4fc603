using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FaceSwap.Silo.Api.Security;

/// <summary>
/// The API's security in one place: API keys and Entra ID bearer tokens, the role policies, the failed-key throttle,
/// the rate limits and the event-stream limit (configuration sections Api and FACESWAP_ADMIN_KEY).
/// </summary>
public static class ApiSecurityExtensions
{
    /// <summary>The policy scheme that sends a request to the key or the bearer-token handler.</summary>
    public const string Scheme = "FaceSwap";

    /// <summary>
    /// Authentication, authorization and the limits. The configured keys are checked by
    /// <see cref="ApiKeyOptionsValidator"/> when the host starts.
    /// </summary>
    public static IServiceCollection AddFaceSwapApiSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddApiRateLimits(configuration);
        services.AddFailedAuthThrottle(configuration);
        services.AddEventStreamLimit(configuration);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidator>());
        services.AddOptions<ApiKeyOptions>(ApiKeyOptions.Scheme).ValidateOnStart();
        var authentication = services.AddAuthentication(o =>
        {
            o.DefaultScheme = Scheme;
            o.DefaultChallengeScheme = Scheme;
        });
        authentication.AddScheme<ApiKeyOptions, ApiKeyAuthenticationHandler>(ApiKeyOptions.Scheme, o =>
        {
            o.Keys = configuration.GetSection("Api:Keys").Get<List<ApiKeyEntry>>() ?? [];
            o.AdminKey = configuration["FACESWAP_ADMIN_KEY"];
        });

        var jwtAuthority = configuration["Api:Jwt:Authority"];
        if (!string.IsNullOrEmpty(jwtAuthority))
        {
            authentication.AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, o =>
            {
                o.Authority = jwtAuthority;
                o.Audience = configuration["Api:Jwt:Audience"];
                o.TokenValidationParameters.RoleClaimType = "roles";
            });
        }

        // Bearer tokens go to Entra ID validation when it is configured; everything else is an API key.
        authentication.AddPolicyScheme(Scheme, "API key or bearer token", o => o.ForwardDefaultSelector = http =>
            !string.IsNullOrEmpty(jwtAuthority) && http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? JwtBearerDefaults.AuthenticationScheme
                : ApiKeyOptions.Scheme);

        services.AddAuthorizationBuilder()
            .AddPolicy(ApiRoles.Read, p => p.RequireAssertion(c => ApiRoles.Allows(c.User, ApiRoles.Read)))
            .AddPolicy(ApiRoles.Submit, p => p.RequireAssertion(c => ApiRoles.Allows(c.User, ApiRoles.Submit)))
            .AddPolicy(ApiRoles.Admin, p => p.RequireAssertion(c => ApiRoles.Allows(c.User, ApiRoles.Admin)));
        return services;
    }

    /// <summary>
    /// The security middleware in its order: who is calling, the throttle on failed keys, what they may do, the rate
    /// limits. Warns when no key is configured, since every /api call is then refused.
    /// </summary>
    public static WebApplication UseFaceSwapApiSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseFailedAuthThrottle();
        app.UseAuthorization();
        app.UseRateLimiter();
        var configuration = app.Configuration;
        var keys = configuration.GetSection("Api:Keys").GetChildren().Any() || !string.IsNullOrEmpty(configuration["FACESWAP_ADMIN_KEY"]);
        if (!keys && configuration["Api:Jwt:Authority"] is null)
        {
            app.Logger.LogWarning("No API key is configured (Api:Keys or FACESWAP_ADMIN_KEY): every /api call will be refused with 401");
        }

        return app;
    }
}

/// <summary>Checks the configured API keys when the host starts: each needs a name, a known role and a SHA-256.</summary>
public sealed class ApiKeyOptionsValidator : IValidateOptions<ApiKeyOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        if (name != ApiKeyOptions.Scheme)
        {
            return ValidateOptionsResult.Skip;
        }

        var problems = new List<string>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                problems.Add($"Api:Keys:{i}: Name is required");
                continue;
            }

            if (!ApiRoles.IsKnown(key.Role))
            {
                problems.Add($"Api:Keys:{i} ({key.Name}): Role must be read, submit or admin, not '{key.Role}'");
            }

            if (key.Sha256.Length != 64 || !key.Sha256.All(Uri.IsHexDigit))
            {
                problems.Add($"Api:Keys:{i} ({key.Name}): Sha256 must be the 64 hex digits of the key's SHA-256 (faceswap keys hash KEY prints it)");
            }
        }

        return problems.Count > 0 ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
