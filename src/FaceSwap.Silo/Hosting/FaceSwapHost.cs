using System.Net;
using System.Net.Sockets;
using FaceSwap.Abstractions.Api;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Placement;
using FaceSwap.Silo.Api;
using FaceSwap.Silo.Api.Security;
using FaceSwap.Silo.Diagnostics;
using FaceSwap.Storage;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace FaceSwap.Silo.Hosting;

/// <summary>
/// Builds the silo host: an Orleans silo (embedded over local folders, or clustered over a storage account) with the
/// REST API, the web page and health endpoints. Used by the FaceSwap.Silo program and by `faceswap serve`.
/// </summary>
public static class FaceSwapHost
{
    /// <summary>
    /// Builds the host from command-line arguments and configuration; <paramref name="configure"/> may override settings.
    /// The settings are checked when the host starts (<see cref="StartAsync"/>), every problem named.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var configuration = builder.Configuration;
        void ConfigureSilo(FaceSwapSiloOptions o)
        {
            configuration.GetSection(FaceSwapSiloOptions.Section).Bind(o);
            o.Drop.Enabled = configuration.GetValue($"{FaceSwapSiloOptions.Section}:Drop:Enabled", true);

            // Trust and safety defaults of a served host: consent required (SafetyOptions' default), audit log in the
            // "state" container.
            o.Safety.AuditPrefix ??= FaceSwap.Grains.Safety.AuditLog.DefaultPrefix;
        }

        // What the silo is built with (role, storage, clustering) is read now; the options system checks it all at start.
        var silo = new FaceSwapSiloOptions();
        ConfigureSilo(silo);
        var host = configuration.GetSection(FaceSwapHostSettings.Section).Get<FaceSwapHostSettings>() ?? new FaceSwapHostSettings();
        builder.Services.AddOptions<FaceSwapHostSettings>().BindConfiguration(FaceSwapHostSettings.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<FaceSwapHostSettings>>(new FaceSwapHostSettingsValidator(silo));
        StorageSetting.TryParse(silo.Storage, out var storage, out _);
        builder.UseOrleans(orleans =>
        {
            // No gateway unless configured (port 0 turns it off in Orleans): nothing of FaceSwap connects to one.
            var gatewayPort = host.Gateway ? Port(host.GatewayPort) : 0;
            if (host.EffectiveClustering(storage) == FaceSwapHostSettings.AzureTable && storage is { IsLocal: false })
            {
                orleans.UseFaceSwapAzureStorage(storage, host.ClusterId, host.ServiceId);
                var siloPort = Port(host.SiloPort);
                orleans.Configure<EndpointOptions>(o =>
                {
                    var listen = host.ListenAddress();
                    o.AdvertisedIPAddress = host.AdvertisedAddress is { Length: > 0 } address ? IPAddress.Parse(address) : IPAddress.Loopback;
                    o.SiloPort = siloPort;
                    o.GatewayPort = gatewayPort;
                    o.SiloListeningEndpoint = new IPEndPoint(listen, host.ListenSiloPort ?? siloPort);
                    o.GatewayListeningEndpoint = gatewayPort == 0 ? null : new IPEndPoint(listen, host.ListenGatewayPort ?? gatewayPort);
                });
            }
            else
            {
                // Localhost clustering, or settings the validator refuses at start (nothing is reached before that).
                orleans.UseFaceSwapEmbedded(host.StateDirectory ?? DefaultStateDirectory(storage), Port(host.SiloPort), gatewayPort);
            }

            if (!string.IsNullOrWhiteSpace(host.SiloName))
            {
                orleans.Configure<SiloOptions>(o => o.SiloName = host.SiloName);
            }

            orleans.AddFaceSwapGrains(ConfigureSilo);
            orleans.AddFaceSwapObservability();

            // A served host wakes every unfinished job when it starts, where the jobs' grains live (api silos).
            if (SiloRoles.RunsApi(SiloRoles.TryParse(silo.Role, out var role) ? role : null))
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
        app.UseFaceSwapApiSecurity();
        app.MapOpenApi();
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).ExcludeFromDescription();
        app.MapJobsApi();
        app.MapUploadsApi().MapDownloadsApi();
        app.MapFaceSwapObservability();
        return app;
    }

    /// <summary>
    /// Starts a built host. The options system checks every setting first, so a wrong one stops the host before the
    /// silo joins anything, with one line naming each problem.
    /// </summary>
    /// <exception cref="InvalidConfigurationException">A setting is missing, out of range or contradicts another.</exception>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        InvalidConfiguration.ThrowIfAny(app.Services);
        await app.StartAsync(cancellationToken);
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
        builder.Services.ConfigureHttpJsonOptions(o => FaceSwapJson.Configure(o.SerializerOptions));
        builder.Services.AddFaceSwapApiSecurity(configuration);
    }

    private static string DefaultStateDirectory(StorageSetting? storage) =>
        storage is { NamesFolder: true }
            ? Path.Combine(storage.LocalRoot!, "state", "grains")
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
