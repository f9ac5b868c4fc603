using System.Net;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Placement;
using FaceSwap.Silo.Diagnostics;
using FaceSwap.Silo.Hosting;
using FaceSwap.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace FaceSwap.LoadTesting;

/// <summary>
/// Several silos in one process for load tests (`faceswap bench --engine null --storage synthetic`): the first is the
/// api silo (role both when it is alone) and hosts the localhost membership; the others are inference silos. All share
/// one blob store, one grain-state folder, and a counter of FaceSwap grain calls. Silos run the null engine.
/// </summary>
public sealed class ScaleCluster : IAsyncDisposable
{
    private readonly List<IHost?> silos;
    private long grainCalls;

    private ScaleCluster(List<IHost?> silos) => this.silos = silos;

    /// <summary>The api silo's grain factory.</summary>
    public IGrainFactory Grains => silos[0]!.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Calls to FaceSwap grains (jobs, partitions, inference, job index) received by every silo.</summary>
    public long GrainCalls => Interlocked.Read(ref grainCalls);

    /// <summary>Silos started (killed ones included).</summary>
    public int Count => silos.Count;

    /// <summary>Starts <paramref name="count"/> silos and waits until each sees all of them active, with their grain classes.</summary>
    public static async Task<ScaleCluster> StartAsync(int count, IBlobStore store, string stateDirectory, int engineDelayMs, int concurrency, CancellationToken cancellationToken)
    {
        var cluster = new ScaleCluster([]);
        var primaryPort = FaceSwapHost.FreePort();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var role = count == 1 ? SiloRoles.Both : i == 0 ? SiloRoles.Api : SiloRoles.Inference;
                var host = Build(cluster, i == 0 ? primaryPort : FaceSwapHost.FreePort(), primaryPort, $"scale-{i}-{role}", role, store, stateDirectory, engineDelayMs, concurrency);
                cluster.silos.Add(host);
                await host.StartAsync(cancellationToken);
            }

            await cluster.WaitForMembershipAsync(count, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Kills silo <paramref name="index"/> (not the api silo): a stop that does not wait for anything to finish, then
    /// disposal. Its grains' work is lost mid-way, as when a machine dies.
    /// </summary>
    public async Task KillAsync(int index)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        var host = silos[index] ?? throw new InvalidOperationException($"silo {index} is already gone");
        silos[index] = null;
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        try
        {
            await host.StopAsync(now.Token);
        }
        catch (OperationCanceledException)
        {
            // The point of the kill: nothing was waited for.
        }

        host.Dispose();
    }

    private static IHost Build(ScaleCluster cluster, int siloPort, int primaryPort, string name, string role, IBlobStore store, string stateDirectory, int engineDelayMs, int concurrency)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter((category, level) => level >= (category?.StartsWith("FaceSwap", StringComparison.Ordinal) == true ? LogLevel.Warning : LogLevel.Error));
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton(store);
        void Configure(FaceSwapSiloOptions options)
        {
            (options.Role, options.Storage, options.Concurrency) = (role, "local", concurrency);
        }

        builder.Configuration.AddInMemoryCollection(TelemetryExtensions.ExporterEnvironment());
        builder.AddFaceSwapOpenTelemetry(new FaceSwapSiloOptions { Role = role }, name);
        builder.UseOrleans(silo =>
        {
            // Loopback only, and no gateway: the bench drives its job through the silos' own grain factory.
            silo.UseLocalhostClustering(siloPort, gatewayPort: 0, new IPEndPoint(IPAddress.Loopback, primaryPort));
            silo.Configure<SiloOptions>(o => o.SiloName = name);

            // A lost silo is declared dead in seconds, not the production half minute: load tests kill silos on purpose.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
            silo.AddLocalFileGrainStorage(BatchGrain.StorageName, o => o.RootDirectory = stateDirectory);
            silo.UseInMemoryReminderService();
            silo.AddIncomingGrainCallFilter(context =>
            {
                if (context.InterfaceMethod?.DeclaringType?.Namespace?.StartsWith("FaceSwap", StringComparison.Ordinal) == true)
                {
                    Interlocked.Increment(ref cluster.grainCalls);
                }

                return context.Invoke();
            });
            silo.AddFaceSwapGrains(Configure);
            silo.Services.UseNullEngine(engineDelayMs);
        });
        return builder.Build();
    }

    private async Task WaitForMembershipAsync(int count, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        foreach (var host in silos)
        {
            var oracle = host!.Services.GetRequiredService<ISiloStatusOracle>();
            var manifest = host.Services.GetRequiredService<Orleans.Runtime.IClusterManifestProvider>();

            // Active is not enough: a silo places grains only on silos whose grain classes its manifest already lists.
            while (oracle.GetApproximateSiloStatuses(onlyActive: true).Count < count || manifest.Current.Silos.Count < count)
            {
                await Task.Delay(100, timeout.Token);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        for (var i = silos.Count - 1; i >= 0; i--)
        {
            if (silos[i] is not { } host)
            {
                continue;
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await host.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // A slow stop after the measurement is not worth waiting for.
            }

            host.Dispose();
        }
    }
}
