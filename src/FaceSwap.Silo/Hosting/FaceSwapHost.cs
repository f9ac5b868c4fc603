using System.Net;
using System.Net.Sockets;
using FaceSwap.Abstractions.Api;
using FaceSwap.Grains.Hosting;
using FaceSwap.Silo.Api;
using FaceSwap.Silo.Api.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.FileProviders;
using Orleans.Configuration;

namespace FaceSwap.Silo.Hosting;

/// <summary>
/// Builds the silo host: an Orleans silo (embedded over local folders, or clustered over a storage account) with the
/// REST API, the web page and health endpoints. Used by the FaceSwap.Silo program and by `faceswap serve`.
/// </summary>
public static class FaceSwapHost
{
    /// <summary>Builds the host from command-line arguments and configuration; <paramref name="configure"/> may override settings.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var silo = builder.Configuration.GetSection(FaceSwapSiloOptions.Section).Get<FaceSwapSiloOptions>() ?? new FaceSwapSiloOptions();
        var host = builder.Configuration.GetSection(FaceSwapHostSettings.Section).Get<FaceSwapHostSettings>() ?? new FaceSwapHostSettings();
        if (builder.Configuration["FaceSwap:Drop:Enabled"] is null)
        {
            silo.Drop.Enabled = true;
        }

        // Trust and safety defaults of a served host: consent required (SafetyOptions' default), audit log in the
        // "state" container.
        silo.Safety.AuditPrefix ??= FaceSwap.Grains.Safety.AuditLog.DefaultPrefix;

        host.Validate(silo);
        var storage = silo.Storage.Trim();
        builder.UseOrleans(orleans =>
        {
            // No gateway unless configured (port 0 turns it off in Orleans): nothing of FaceSwap connects to one.
            var gatewayPort = host.Gateway ? Port(host.GatewayPort) : 0;
            if (host.EffectiveClustering(storage) == FaceSwapHostSettings.Localhost)
            {
                orleans.UseFaceSwapEmbedded(host.StateDirectory ?? DefaultStateDirectory(storage), Port(host.SiloPort), gatewayPort);
            }
            else
            {
                orleans.UseFaceSwapAzureStorage(storage, host.ClusterId, host.ServiceId);
                var siloPort = Port(host.SiloPort);
                var listen = host.ListenAddress();
                orleans.Configure<EndpointOptions>(o =>
                {
                    o.AdvertisedIPAddress = host.AdvertisedAddress is { Length: > 0 } address ? IPAddress.Parse(address) : IPAddress.Loopback;
                    o.SiloPort = siloPort;
                    o.GatewayPort = gatewayPort;
                    o.SiloListeningEndpoint = new IPEndPoint(listen, host.ListenSiloPort ?? siloPort);
                    o.GatewayListeningEndpoint = gatewayPort == 0 ? null : new IPEndPoint(listen, host.ListenGatewayPort ?? gatewayPort);
                });
            }

            if (!string.IsNullOrWhiteSpace(host.SiloName))
            {
                orleans.Configure<SiloOptions>(o => o.SiloName = host.SiloName);
            }

            orleans.AddFaceSwap(silo);
            orleans.AddFaceSwapObservability();

            // A served host wakes every unfinished job when it starts, where the jobs' grains live (api silos).
            if (FaceSwap.Grains.Placement.SiloRoles.RunsApi(silo.Role))
            {
                orleans.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, FaceSwap.Grains.Batch.JobResumer>();
            }
        });

        AddApi(builder);
        builder.AddFaceSwapTelemetry(silo, host.SiloName);
        var app = builder.Build();
        app.UseReverseProxyHeaders();
        app.UseSecurityHeaders();
        // A request the server refused while reading it (a body over the size limit: 413) keeps its status code rather
        // than becoming a 500.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = WebPage });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = WebPage });
        app.UseAuthentication();
        app.UseFailedAuthThrottle();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapOpenApi();
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).ExcludeFromDescription();
        app.MapJobsApi();
        app.MapFaceSwapObservability();
        var keys = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ApiKeyOptions>>().Get(ApiKeyOptions.Scheme);
        if (!keys.HasKeys && app.Configuration["Api:Jwt:Authority"] is null)
        {
            app.Logger.LogWarning("No API key is configured (Api:Keys or FACESWAP_ADMIN_KEY): every /api call will be refused with 401");
        }

        return app;
    }

    /// <summary>The web page, embedded in this assembly.</summary>
    public static IFileProvider WebPage { get; } = new ManifestEmbeddedFileProvider(typeof(FaceSwapHost).Assembly, "wwwroot");

    private static void AddApi(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            ProblemCodes.AddMissingCode(context);
            // An unexpected error names its kind (the log has the rest), so a client's report can be matched to it.
            if (context.Exception is { } exception)
            {
                context.ProblemDetails.Extensions["exception"] = exception.GetType().Name;
            }
        });
        builder.Services.AddFaceSwapOpenApi(OpenApiDocumentation.BearerTokensConfigured(configuration));
        builder.Services.AddSingleton<ThumbnailService>();
        builder.Services.AddSingleton<ServerPaths>();
        builder.Services.AddApiRateLimits(configuration);
        builder.Services.AddFailedAuthThrottle(configuration);
        builder.Services.AddEventStreamLimit(configuration);
        builder.Services.ConfigureHttpJsonOptions(o => FaceSwapJson.Configure(o.SerializerOptions));

        var keys = configuration.GetSection("Api:Keys").Get<List<ApiKeyEntry>>() ?? [];
        ValidateKeys(keys);
        var authentication = builder.Services.AddAuthentication(o =>
        {
            o.DefaultScheme = "FaceSwap";
            o.DefaultChallengeScheme = "FaceSwap";
        });
        authentication.AddScheme<ApiKeyOptions, ApiKeyAuthenticationHandler>(ApiKeyOptions.Scheme, o =>
        {
            o.Keys = keys;
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
        authentication.AddPolicyScheme("FaceSwap", "API key or bearer token", o => o.ForwardDefaultSelector = http =>
            !string.IsNullOrEmpty(jwtAuthority) && http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? JwtBearerDefaults.AuthenticationScheme
                : ApiKeyOptions.Scheme);

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiRoles.Read, p => p.RequireAssertion(c => ApiRoles.Allows(c.User, ApiRoles.Read)))
            .AddPolicy(ApiRoles.Submit, p => p.RequireAssertion(c => ApiRoles.Allows(c.User, ApiRoles.Submit)))
            .AddPolicy(ApiRoles.Admin, p => p.RequireAssertion(c => ApiRoles.Allows(c.User, ApiRoles.Admin)));
    }

    private static void ValidateKeys(List<ApiKeyEntry> keys)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                throw new InvalidOperationException($"Api:Keys:{i}: Name is required");
            }

            if (!ApiRoles.IsKnown(key.Role))
            {
                throw new InvalidOperationException($"Api:Keys:{i} ({key.Name}): Role must be read, submit or admin, not '{key.Role}'");
            }

            if (key.Sha256.Length != 64 || !key.Sha256.All(Uri.IsHexDigit))
            {
                throw new InvalidOperationException($"Api:Keys:{i} ({key.Name}): Sha256 must be the 64 hex digits of the key's SHA-256 (faceswap keys hash KEY prints it)");
            }
        }
    }

    /// <summary>Whether a storage setting means local folders (the embedded mode).</summary>
    public static bool IsLocal(string storage) =>
        storage.Equals("local", StringComparison.OrdinalIgnoreCase) || storage.StartsWith("local:", StringComparison.OrdinalIgnoreCase);

    private static string DefaultStateDirectory(string storage) =>
        storage.StartsWith("local:", StringComparison.OrdinalIgnoreCase)
            ? Path.Combine(storage["local:".Length..].Trim(), "state", "grains")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".faceswap", "state");

    private static int Port(int configured) => configured != 0 ? configured : FreePort();

    /// <summary>A port nobody listens on now, on loopback (for silos started in process).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
