using System.Text.Json;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Inference;
using FaceSwap.Grains.Placement;
using FaceSwap.Silo.Api.Security;
using FaceSwap.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FaceSwap.Silo.Diagnostics;

/// <summary>
/// Readiness (/readyz): the silo has joined its cluster, its models are loaded (inference roles) and storage answers.
/// /healthz stays liveness. Inference silos load their models in the background at start unless
/// FaceSwap:Host:LoadModelsAtStart is false (then on the first image).
/// </summary>
public static partial class ReadinessChecks
{
    private const string Ready = "ready";

    /// <summary>The key of a failed check's error code in its data (and the <c>code</c> of the check in /readyz).</summary>
    private const string CodeKey = "code";

    /// <summary>Registers the checks (and the model warm-up on inference roles).</summary>
    public static WebApplicationBuilder AddFaceSwapReadiness(this WebApplicationBuilder builder, FaceSwapSiloOptions silo)
    {
        var checks = builder.Services.AddHealthChecks()
            .AddCheck<ClusterCheck>("cluster", tags: [Ready])
            .AddCheck<StorageCheck>("storage", tags: [Ready]);
        if (SiloRoles.RunsInference(SiloRoles.TryParse(silo.Role, out var role) ? role : null))
        {
            checks.AddCheck<ModelsCheck>("models", tags: [Ready]);
            if (builder.Configuration.GetValue("FaceSwap:Host:LoadModelsAtStart", true))
            {
                builder.Services.AddHostedService<ModelWarmUp>();
            }
        }

        return builder;
    }

    /// <summary>
    /// Maps /readyz: 200 when every check passes, else 503. An admin key gets the body naming each check, its status and
    /// why (silo names, storage failures); anyone else gets only the overall status, ready or not.
    /// </summary>
    public static void MapFaceSwapReadiness(this WebApplication app) =>
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(Ready),
            ResponseWriter = (http, report) =>
            {
                http.Response.ContentType = "application/json";
                object body = ApiRoles.Allows(http.User, ApiRoles.Admin)
                    ? new
                    {
                        status = report.Status.ToString(),
                        failed = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Key).ToArray(),
                        checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, code = e.Value.Data.GetValueOrDefault(CodeKey) }),
                    }
                    : new { status = report.Status.ToString() };
                return http.Response.WriteAsync(JsonSerializer.Serialize(body));
            },
        }).ExcludeFromDescription();

    /// <summary>The local silo is Active in its cluster's membership.</summary>
    private sealed class ClusterCheck(IServiceProvider services) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var membership = services.GetService<IClusterMembershipService>();
            var local = services.GetService<ILocalSiloDetails>();
            if (membership is null || local is null)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy("no silo in this host"));
            }

            var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
            return Task.FromResult(status == SiloStatus.Active
                ? HealthCheckResult.Healthy($"silo {local.Name} is active")
                : HealthCheckResult.Unhealthy($"silo {local.Name} is {status}, not active"));
        }
    }

    /// <summary>The engine's models are loaded; when they cannot be (the execution provider asked for does not load), the failure's code.</summary>
    private sealed class ModelsCheck(IServiceProvider services) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(services.GetService<EngineService>() switch
            {
                { ModelsLoaded: true } => HealthCheckResult.Healthy("models loaded"),
                // The code only: the message (paths, library names) is in the silo's log, not in an anonymous response.
                { LoadFailure: { } failure } => HealthCheckResult.Unhealthy($"the models cannot load ({failure.Code}); the silo's log says why",
                    data: new Dictionary<string, object> { [CodeKey] = failure.Code }),
                _ => HealthCheckResult.Unhealthy("models not loaded yet"),
            });
    }

    /// <summary>Storage answers a metadata read within five seconds (a local store: its root folder exists).</summary>
    private sealed class StorageCheck(IBlobStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                if (store is LocalBlobStore local && !Directory.Exists(local.RootDirectory))
                {
                    return HealthCheckResult.Unhealthy("the storage folder does not exist");
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await store.GetPropertiesAsync("faceswap-readyz/probe", timeout.Token).WaitAsync(timeout.Token);
                return HealthCheckResult.Healthy("storage answers");
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The message names the failure class only: no connection strings or keys in responses or logs.
                return HealthCheckResult.Unhealthy($"storage does not answer ({e.GetType().Name})");
            }
        }
    }

    /// <summary>Loads the models in the background once the host has started, so /readyz turns 200 without waiting for a first image.</summary>
    private sealed partial class ModelWarmUp(IServiceProvider services, ILogger<ModelWarmUp> logger) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
        {
            try
            {
                services.GetService<EngineService>()?.LoadModels();
            }
            catch (Exception e)
            {
                LogWarmUpFailed(logger, e.GetType().Name, e.Message);
            }
        }, stoppingToken);

        [LoggerMessage(1, LogLevel.Warning, "Loading the models at start failed ({ErrorType}): {Message}; /readyz stays 503 until they load")]
        private static partial void LogWarmUpFailed(ILogger logger, string errorType, string message);
    }
}
