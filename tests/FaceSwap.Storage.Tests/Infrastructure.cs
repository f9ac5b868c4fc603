using Azure.Storage.Blobs;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Orleans.Storage;

namespace FaceSwap.Storage.Tests;

/// <summary>The grain storage provider names the test silos register.</summary>
public static class StorageNames
{
    /// <summary><see cref="LocalFileGrainStorage"/>.</summary>
    public const string Local = "local";

    /// <summary>Orleans' <c>AzureBlobGrainStorage</c> against Azurite.</summary>
    public const string Azure = "azure";

    /// <summary>The blob container of the Azure grain storage.</summary>
    public const string AzureContainer = "grainstate-tests";
}

/// <summary>One in-process Orleans silo (localhost clustering on free ports), with a co-hosted client.</summary>
public sealed class TestSilo : IAsyncDisposable
{
    private TestSilo(IHost host) => Host = host;

    /// <summary>The host that runs the silo.</summary>
    public IHost Host { get; }

    /// <summary>The silo's services.</summary>
    public IServiceProvider Services => Host.Services;

    /// <summary>The co-hosted grain factory.</summary>
    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    /// <summary>Whether the host is still running (not stopping or stopped).</summary>
    public bool IsRunning => !Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested;

    /// <summary>The grain storage provider registered under <paramref name="name"/>, as Orleans resolves it.</summary>
    public IGrainStorage GetStorage(string name) => Services.GetRequiredKeyedService<IGrainStorage>(name);

    /// <summary>Starts a silo; <paramref name="configure"/> adds the storage providers.</summary>
    public static async Task<TestSilo> StartAsync(Action<ISiloBuilder> configure)
    {
        for (var attempt = 1; ; attempt++)
        {
            var ports = FreePorts.Get(2);
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.UseOrleans(silo =>
            {
                var id = Guid.NewGuid().ToString("N");
                silo.UseLocalhostClustering(siloPort: ports[0], gatewayPort: ports[1], serviceId: "storage-tests-" + id, clusterId: "storage-tests-" + id);
                configure(silo);
            });
            var host = builder.Build();
            try
            {
                await host.StartAsync();
                return new TestSilo(host);
            }
            catch (Exception ex) when (attempt < 3 && ex is System.Net.Sockets.SocketException or Orleans.Runtime.OrleansException)
            {
                // A port was taken meanwhile: try again with fresh ones.
                host.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Host.StopAsync(timeout.Token);
        }
        finally
        {
            Host.Dispose();
        }
    }
}

/// <summary>
/// The collection fixture of every Azurite test: one Azurite, and one silo with both grain storages
/// (<see cref="StorageNames.Local"/> and <see cref="StorageNames.Azure"/>) registered by name.
/// </summary>
public sealed class AzuriteStorageFixture : IAsyncLifetime
{
    private readonly TemporaryDirectory stateDirectory = new("faceswap-grainstate");
    private TestSilo? silo;

    /// <summary>The emulator.</summary>
    public AzuriteFixture Azurite { get; } = new();

    /// <summary>The silo.</summary>
    public TestSilo Silo => this.silo ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>A blob service client for Azurite, with the platform's retry options.</summary>
    public BlobServiceClient CreateBlobServiceClient() => BlobStoreFactory.CreateServiceClient(Azurite.ConnectionString);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await Azurite.InitializeAsync();
        this.silo = await TestSilo.StartAsync(silo => silo
            .AddLocalFileGrainStorage(StorageNames.Local, o => o.RootDirectory = stateDirectory.FullPath)
            .AddAzureBlobGrainStorage(StorageNames.Azure, o =>
            {
                o.BlobServiceClient = CreateBlobServiceClient();
                o.ContainerName = StorageNames.AzureContainer;
            }));
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (this.silo is not null)
        {
            await this.silo.DisposeAsync();
        }

        await Azurite.DisposeAsync();
        stateDirectory.Dispose();
    }
}

/// <summary>Tests that need Azurite share one; run them alone with <c>--filter Category=Azurite</c>.</summary>
[CollectionDefinition(AzuriteFixture.CollectionName)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteStorageFixture>;

/// <summary>A silo with only <see cref="LocalFileGrainStorage"/> (no Azurite needed).</summary>
public sealed class LocalSiloFixture : IAsyncLifetime
{
    private TestSilo? silo;

    /// <summary>The folder the grain storage writes to.</summary>
    public TemporaryDirectory StateDirectory { get; } = new("faceswap-grainstate");

    /// <summary>The silo.</summary>
    public TestSilo Silo => this.silo ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        this.silo = await TestSilo.StartAsync(silo => silo.AddLocalFileGrainStorage(StorageNames.Local, o => o.RootDirectory = StateDirectory.FullPath));
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (this.silo is not null)
        {
            await this.silo.DisposeAsync();
        }

        StateDirectory.Dispose();
    }
}
