using System.Diagnostics;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Engine.Tests;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Placement;
using FaceSwap.Storage;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Metadata;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.TestingHost;

namespace FaceSwap.Grains.Tests;

/// <summary>
/// Configures every silo of a <see cref="FaceSwapTestCluster"/> the way a cloud deployment is configured:
/// <see cref="FaceSwapSiloBuilderExtensions.UseFaceSwapAzureStorage"/> (Azure Table clustering and reminders, Azure blob grain
/// storage) against Azurite, then <see cref="FaceSwapSiloBuilderExtensions.AddFaceSwapGrains"/> with a role chosen by silo name.
/// A counting blob store is registered first; AddFaceSwapGrains only adds its own store when none is there.
/// </summary>
public sealed class FaceSwapSiloConfigurator : ISiloConfigurator
{
    /// <summary>Configuration keys (builder.Properties reach every silo's configuration).</summary>
    public const string StorageKey = "FaceSwapTest:Storage", ClusterIdKey = "FaceSwapTest:ClusterId", ServiceIdKey = "FaceSwapTest:ServiceId",
        ApiSilosKey = "FaceSwapTest:ApiSilos", ModelsKey = "FaceSwapTest:Models", ResponseTimeoutKey = "FaceSwapTest:ResponseTimeout";

    /// <inheritdoc />
    public void Configure(ISiloBuilder siloBuilder)
    {
        var configuration = siloBuilder.Configuration;
        var name = configuration["Orleans:Name"] ?? throw new InvalidOperationException("silo without a name");
        var storage = configuration[StorageKey]!;
        var clusterId = configuration[ClusterIdKey]!;
        var ledger = StorageLedger.For(clusterId);
        var role = configuration[ApiSilosKey]!.Split(',').Contains(name) ? SiloRoles.Api : SiloRoles.Inference;

        siloBuilder.Services.AddLogging(logging => logging.AddProvider(ledger.Logs));
        siloBuilder.Services.AddSingleton<IBlobStore>(sp => new CountingBlobStore(BlobStoreFactory.Create(storage), sp.GetRequiredService<ILocalSiloDetails>().Name, ledger));
        siloBuilder.UseFaceSwapAzureStorage(StorageSetting.Parse(storage), clusterId, configuration[ServiceIdKey]!);
        siloBuilder.AddFaceSwapGrains(o => (o.Role, o.Storage, o.ModelsPath, o.Concurrency) = (role, storage, configuration[ModelsKey], 1));
        if (configuration[ResponseTimeoutKey] is { Length: > 0 } timeout)
        {
            siloBuilder.Configure<Orleans.Configuration.SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}

/// <summary>
/// An in-process multi-silo cluster (Orleans TestingHost) over Azurite. The TestCluster's own membership (a development
/// membership table hosted by its primary silo, enabled by configuration) is switched off so that the silos use the
/// Azure Table clustering of <see cref="FaceSwapSiloBuilderExtensions.UseFaceSwapAzureStorage"/>, as a real deployment does;
/// without the test membership the silos are named Secondary_0, Secondary_1, ... and there is no "Primary".
/// No cluster client is started: jobs are driven through the api silo's own grain factory, which is never killed.
/// </summary>
public sealed class FaceSwapTestCluster : IAsyncDisposable
{
    private FaceSwapTestCluster(TestCluster cluster, StorageLedger ledger, string apiSilo)
    {
        Cluster = cluster;
        Ledger = ledger;
        ApiSiloName = apiSilo;
    }

    /// <summary>The TestingHost cluster.</summary>
    public TestCluster Cluster { get; }

    /// <summary>Storage calls of the silos.</summary>
    public StorageLedger Ledger { get; }

    /// <summary>Name of the api silo.</summary>
    public string ApiSiloName { get; }

    /// <summary>The api silo.</summary>
    public InProcessSiloHandle ApiSilo => (InProcessSiloHandle)Cluster.Silos.Single(s => s.Name == ApiSiloName);

    /// <summary>Names of the inference silos that were started.</summary>
    public IReadOnlyList<string> InferenceSiloNames { get; private set; } = [];

    /// <summary>The api silo's grain factory.</summary>
    public IGrainFactory Grains => ApiSilo.SiloHost.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Starts <paramref name="silos"/> silos, the first of them api and the others inference, and waits until every silo knows every other's grains and role.</summary>
    public static async Task<FaceSwapTestCluster> StartAsync(AzuriteFixture azurite, short silos, TimeSpan? responseTimeout = null)
    {
        var clusterId = "fs-" + Guid.NewGuid().ToString("N")[..12];
        var ledger = StorageLedger.Create(clusterId);
        const string apiSilo = "Secondary_0";
        var builder = new TestClusterBuilder(silos);
        builder.Options.ClusterId = clusterId;
        builder.Options.ServiceId = "faceswap-tests";
        builder.Options.UseTestClusterMembership = false;
        builder.Options.InitializeClientOnDeploy = false;
        builder.Options.AssumeHomogenousSilosForTesting = false;
        builder.Options.ConfigureFileLogging = false;
        builder.Properties[FaceSwapSiloConfigurator.StorageKey] = azurite.ConnectionString;
        builder.Properties[FaceSwapSiloConfigurator.ClusterIdKey] = clusterId;
        builder.Properties[FaceSwapSiloConfigurator.ServiceIdKey] = builder.Options.ServiceId;
        builder.Properties[FaceSwapSiloConfigurator.ApiSilosKey] = apiSilo;
        builder.Properties[FaceSwapSiloConfigurator.ModelsKey] = TestAssets.Models.Path;
        builder.Properties[FaceSwapSiloConfigurator.ResponseTimeoutKey] = responseTimeout?.ToString("c", System.Globalization.CultureInfo.InvariantCulture) ?? "";
        builder.AddSiloBuilderConfigurator<FaceSwapSiloConfigurator>();
        var cluster = builder.Build();
        var result = new FaceSwapTestCluster(cluster, ledger, apiSilo);
        try
        {
            await cluster.DeployAsync();
            result.InferenceSiloNames = cluster.Silos.Select(s => s.Name).Where(n => n != apiSilo).ToList();
            await result.WaitUntilEverySiloIsKnownAsync();
            return result;
        }
        catch
        {
            await result.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A fresh job id whose BatchGrain is activated on the api silo (where DESIGN.md puts jobs). Placement is free to put a
    /// job anywhere; a job owned by an inference silo sends all its work to that silo (stateless workers prefer the local
    /// silo), which would make a test of spreading and of losing an inference silo meaningless.
    /// </summary>
    public async Task<string> NewJobOnApiSiloAsync(string prefix)
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        for (var attempt = 0; attempt < 40; attempt++)
        {
            var id = $"{prefix}-{Guid.NewGuid():N}";
            var job = Grains.GetGrain<IBatchGrain>(id);
            await job.GetStatusAsync();
            if (await management.GetActivationAddress(job) == ApiSilo.SiloAddress)
            {
                return id;
            }
        }

        throw new InvalidOperationException("no job id was placed on the api silo in 40 tries");
    }

    /// <summary>Role of each live silo as the api silo's metadata cache sees it.</summary>
    public Dictionary<string, string?> Roles()
    {
        var metadata = ApiSilo.SiloHost.Services.GetRequiredService<ISiloMetadataCache>();
        return Cluster.Silos.ToDictionary(s => s.Name, s => metadata.GetSiloMetadata(s.SiloAddress).Metadata.GetValueOrDefault(SiloRoles.MetadataKey));
    }

    private async Task WaitUntilEverySiloIsKnownAsync()
    {
        var clock = Stopwatch.StartNew();
        var addresses = Cluster.Silos.Select(s => s.SiloAddress).ToList();
        foreach (var silo in Cluster.Silos.Cast<InProcessSiloHandle>())
        {
            var services = silo.SiloHost.Services;
            var manifest = services.GetRequiredService<IClusterManifestProvider>();
            var metadata = services.GetRequiredService<ISiloMetadataCache>();
            var oracle = services.GetRequiredService<ISiloStatusOracle>();
            while (!addresses.All(a => manifest.Current.Silos.ContainsKey(a)
                                      && metadata.GetSiloMetadata(a).Metadata.ContainsKey(SiloRoles.MetadataKey)
                                      && oracle.GetApproximateSiloStatus(a) == SiloStatus.Active))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"silo {silo.Name} did not learn every silo's grains and role in 60 s");
                }

                await Task.Delay(100);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        TestTrace.Write("disposing cluster");
        Ledger.Dispose();
        await Cluster.DisposeAsync();
        TestTrace.Write("cluster disposed");
    }
}
