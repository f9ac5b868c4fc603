using System.Net;
using Azure.Data.Tables;
using FaceSwap.Abstractions.Serialization;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.BlobDrop;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Inference;
using FaceSwap.Grains.Placement;
using FaceSwap.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Placement;

namespace FaceSwap.Silo.Hosting;

/// <summary>Registers FaceSwap's grains and services on a silo, in each of the three modes of DESIGN.md.</summary>
public static class FaceSwapSiloExtensions
{
    /// <summary>
    /// Grains, blob store, role metadata and the inference placement filter. A silo whose role does not run inference
    /// drops the inference grain class, so the engine is never placed there (the filter alone would also hold).
    /// </summary>
    public static ISiloBuilder AddFaceSwap(this ISiloBuilder silo, FaceSwapSiloOptions options)
    {
        options.Role = SiloRoles.Parse(options.Role);

        // Settings are checked where they are bound, whoever binds them (a served host, run, bench).
        if (options.RangeProblems() is { Count: > 0 } problems)
        {
            throw new OptionsValidationException(FaceSwapSiloOptions.Section, typeof(FaceSwapSiloOptions), problems);
        }

        silo.Services.AddSingleton(Options.Create(options));
        silo.Services.AddFaceSwapContracts();
        silo.Services.TryAddSingleton<IBlobStore>(_ => BlobStoreFactory.Create(options.Storage));
        silo.UseSiloMetadata(new Dictionary<string, string> { [SiloRoles.MetadataKey] = options.Role });
        silo.Services.AddPlacementFilter<InferenceSiloPlacementFilterStrategy, InferenceSiloPlacementFilterDirector>(ServiceLifetime.Singleton);
        silo.Services.AddPlacementFilter<ApiSiloPlacementFilterStrategy, ApiSiloPlacementFilterDirector>(ServiceLifetime.Singleton);
        if (SiloRoles.RunsInference(options.Role))
        {
            silo.Services.AddSingleton<EngineService>();
            if (options.LoadTest.UsesNullEngine)
            {
                silo.Services.AddSingleton<NullEngine>();
            }
        }
        else
        {
            silo.Services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(InferenceGrain)));
        }

        if (SiloRoles.RunsApi(options.Role) && options.Drop.Enabled)
        {
            AddBlobDrop(silo.Services, options);
        }

        return silo;
    }

    private static void AddBlobDrop(IServiceCollection services, FaceSwapSiloOptions options)
    {
        services.AddSingleton<BlobDropHandler>();
        services.AddSingleton<IBlobDropHandler>(sp => sp.GetRequiredService<BlobDropHandler>());
        if (options.Drop.WatchSeconds > 0)
        {
            services.AddHostedService<BlobDropWatcher>();
        }

        if (!string.IsNullOrWhiteSpace(options.Drop.Queue))
        {
            services.AddSingleton(_ => new DropQueues(
                QueueClients.Create(options.Storage, options.Drop.Queue),
                QueueClients.Create(options.Storage, options.Drop.PoisonQueueName)));
            services.AddHostedService<BlobDropQueueConsumer>();
        }
    }

    /// <summary>The blob container holding a service's grain state: "&lt;service id&gt;-grainstate", as Azure names allow.</summary>
    public static string GrainStateContainer(string serviceId)
    {
        var name = new string(serviceId.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        while (name.Contains("--", StringComparison.Ordinal))
        {
            name = name.Replace("--", "-", StringComparison.Ordinal);
        }

        name = name.Trim('-');
        name = name.Length > 52 ? name[..52].TrimEnd('-') : name;
        return (name.Length == 0 ? "faceswap" : name) + "-grainstate";
    }

    /// <summary>
    /// Embedded mode: one silo on localhost, job state as files in <paramref name="stateDirectory"/>. The silo port (and
    /// the gateway, unless <paramref name="gatewayPort"/> is 0, which runs none) listen on loopback only.
    /// </summary>
    public static ISiloBuilder UseFaceSwapEmbedded(this ISiloBuilder silo, string stateDirectory, int siloPort, int gatewayPort)
    {
        silo.UseLocalhostClustering(siloPort, gatewayPort);
        silo.Configure<EndpointOptions>(o =>
        {
            o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Loopback, siloPort);
            o.GatewayListeningEndpoint = gatewayPort == 0 ? null : new IPEndPoint(IPAddress.Loopback, gatewayPort);
        });
        silo.AddLocalFileGrainStorage(BatchGrain.StorageName, o => o.RootDirectory = stateDirectory);
        silo.UseInMemoryReminderService();
        return silo;
    }

    /// <summary>
    /// Cluster mode over one storage account (Azurite or Azure): Azure Table clustering and reminders, Orleans' Azure
    /// blob grain storage. Nothing else is needed beside the storage account.
    /// </summary>
    public static ISiloBuilder UseFaceSwapAzureStorage(this ISiloBuilder silo, string storage, string clusterId = "faceswap", string serviceId = "faceswap")
    {
        TableServiceClient tables;
        if (BlobStoreFactory.IsServiceUri(storage, out var blobService))
        {
            // A service URI: the account's table endpoint beside its blob endpoint, signed in with the managed identity.
            tables = new TableServiceClient(BlobStoreFactory.SiblingEndpoint(blobService, "table"), new Azure.Identity.DefaultAzureCredential());
        }
        else
        {
            tables = new TableServiceClient(storage);
        }

        var blobs = BlobStoreFactory.CreateServiceClient(storage);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = serviceId;
        });
        silo.UseAzureStorageClustering(o => o.TableServiceClient = tables);
        // Orleans names state blobs by grain only, so the container carries the service id: clusters that share an
        // account (several deployments, tests) never overwrite each other's jobs or job index.
        silo.AddAzureBlobGrainStorage(BatchGrain.StorageName, o =>
        {
            o.BlobServiceClient = blobs;
            o.ContainerName = GrainStateContainer(serviceId);
        });
        silo.UseAzureTableReminderService(o => o.TableServiceClient = tables);
        return silo;
    }
}
