using System.Net;
using Azure.Data.Tables;
using Azure.Identity;
using FaceSwap.Abstractions.Serialization;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.BlobDrop;
using FaceSwap.Grains.Inference;
using FaceSwap.Grains.Placement;
using FaceSwap.Grains.Safety;
using FaceSwap.Grains.Thumbnails;
using FaceSwap.Storage;
using FaceSwap.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace FaceSwap.Grains.Hosting;

/// <summary>
/// Registers FaceSwap's grains and services on a silo, in each of the three modes of DESIGN.md, the way Orleans'
/// providers do: options through the options system (checked when the silo starts), services per role.
/// </summary>
public static class FaceSwapSiloBuilderExtensions
{
    /// <summary>
    /// Grains, blob store, role metadata and the inference placement filter. A silo whose role does not run inference
    /// drops the inference grain class, so the engine is never placed there (the placement filter alone would also hold).
    /// </summary>
    /// <param name="silo">The silo.</param>
    /// <param name="configure">Sets the silo's options; it runs once now (the role decides what is registered) and again
    /// when the options are built, where <see cref="FaceSwapSiloOptionsValidator"/> checks them as the silo starts.</param>
    public static ISiloBuilder AddFaceSwapGrains(this ISiloBuilder silo, Action<FaceSwapSiloOptions> configure)
    {
        var options = new FaceSwapSiloOptions();
        configure(options);

        // An unknown role registers no role's services: the validator stops the silo before anything runs.
        var role = SiloRoles.TryParse(options.Role, out var parsed) ? parsed : null;
        var services = silo.Services;
        services.AddFaceSwapSiloOptions(configure);

        // The wire contracts (JobSpec, JobStatus, ImageOutcome, ...) have no Orleans attributes: Orleans carries them
        // with System.Text.Json in their REST form.
        services.AddFaceSwapContracts();
        services.TryAddSingleton(sp => StorageSetting.Parse(sp.GetRequiredService<IOptions<FaceSwapSiloOptions>>().Value.Storage));
        services.TryAddSingleton(sp => BlobStoreFactory.Create(sp.GetRequiredService<StorageSetting>()));
        services.TryAddSingleton<AuditLog>();
        silo.UseSiloMetadata(new Dictionary<string, string> { [SiloRoles.MetadataKey] = role ?? "" });
        services.AddPlacementFilter<InferenceSiloPlacementFilterStrategy, InferenceSiloPlacementFilterDirector>(ServiceLifetime.Singleton);
        services.AddPlacementFilter<ApiSiloPlacementFilterStrategy, ApiSiloPlacementFilterDirector>(ServiceLifetime.Singleton);
        if (SiloRoles.RunsInference(role))
        {
            // The inference engine, chosen here: the face engine. Only a load test (FaceSwap.LoadTesting's
            // UseNullEngine, called by `faceswap bench --engine null`) replaces IInferenceEngine with its null engine.
            services.AddSingleton<EngineService>();
            services.AddSingleton<IInferenceEngine>(provider => provider.GetRequiredService<EngineService>());
            services.AddSingleton<WholeImageThumbnails>();
            services.AddSingleton<ContactSheets>();
        }
        else
        {
            services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(InferenceGrain)));
        }

        if (SiloRoles.RunsApi(role) && options.Drop.Enabled)
        {
            services.AddBlobDrop(options.Drop);
        }

        return silo;
    }

    /// <summary>
    /// <see cref="FaceSwapSiloOptions"/> through the options system: <paramref name="configure"/>, the role in its normal
    /// form, and <see cref="FaceSwapSiloOptionsValidator"/> run when the host starts.
    /// </summary>
    public static OptionsBuilder<FaceSwapSiloOptions> AddFaceSwapSiloOptions(this IServiceCollection services, Action<FaceSwapSiloOptions> configure)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FaceSwapSiloOptions>, FaceSwapSiloOptionsValidator>());
        return services.AddOptions<FaceSwapSiloOptions>()
            .Configure(configure)
            .PostConfigure(o => o.Role = SiloRoles.TryParse(o.Role, out var role) ? role : o.Role)
            .ValidateOnStart();
    }

    private static void AddBlobDrop(this IServiceCollection services, BlobDropOptions drop)
    {
        services.AddSingleton<BlobDropHandler>();
        services.AddSingleton<IBlobDropHandler>(sp => sp.GetRequiredService<BlobDropHandler>());
        if (drop.WatchSeconds > 0)
        {
            services.AddHostedService<BlobDropWatcher>();
        }

        if (!string.IsNullOrWhiteSpace(drop.Queue))
        {
            services.AddSingleton<IDropQueue>(sp => AzureDropQueue.Create(sp.GetRequiredService<StorageSetting>(), drop.Queue, drop.PoisonQueueName));
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
    /// blob grain storage. Nothing else is needed beside the storage account. The clients are made when the silo starts.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is local folders, which hold no tables.</exception>
    public static ISiloBuilder UseFaceSwapAzureStorage(this ISiloBuilder silo, StorageSetting storage, string clusterId = "faceswap", string serviceId = "faceswap")
    {
        if (storage.IsLocal)
        {
            throw new ArgumentException("azure-table clustering needs a storage account, not local folders", nameof(storage));
        }

        // A service URI: the account's table endpoint beside its blob endpoint, signed in with the managed identity.
        var tables = new Lazy<TableServiceClient>(() => storage.Kind == StorageKind.ServiceUri
            ? new TableServiceClient(storage.SiblingEndpoint("table"), new DefaultAzureCredential())
            : new TableServiceClient(storage.Value));

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = serviceId;
        });
        silo.UseAzureStorageClustering(o => o.TableServiceClient = tables.Value);
        // Orleans names state blobs by grain only, so the container carries the service id: clusters that share an
        // account (several deployments, tests) never overwrite each other's jobs or job index.
        silo.AddAzureBlobGrainStorage(BatchGrain.StorageName, o =>
        {
            o.BlobServiceClient = BlobStoreFactory.CreateServiceClient(storage);
            o.ContainerName = GrainStateContainer(serviceId);
        });
        silo.UseAzureTableReminderService(o => o.TableServiceClient = tables.Value);
        return silo;
    }
}
