using FaceSwap.Engine.Tests;
using FaceSwap.Grains.Hosting;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>One in-process silo in the embedded mode (localhost clustering on free ports, job state as files).</summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly IHost host;

    private EmbeddedSilo(IHost host, TestLoggerProvider logs)
    {
        this.host = host;
        Logs = logs;
    }

    /// <summary>Warnings and errors the silo logged.</summary>
    public TestLoggerProvider Logs { get; }

    /// <summary>The silo's grain factory.</summary>
    public IGrainFactory Grains => host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Starts a silo with the given role and storage; models are the test models, two engine pipelines.</summary>
    public static async Task<EmbeddedSilo> StartAsync(string stateDirectory, string storage, ITestOutputHelper output, string role = "both", PartitionOptions? partitions = null)
    {
        var logs = new TestLoggerProvider(output);
        var ports = FreePorts.Get(2);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.UseOrleans(silo => silo
            .UseFaceSwapEmbedded(stateDirectory, ports[0], ports[1])
            .AddFaceSwapGrains(o => (o.Role, o.Storage, o.ModelsPath, o.Concurrency, o.Partitions) = (role, storage, TestAssets.Models.Path, 2, partitions ?? new PartitionOptions())));
        var host = builder.Build();
        await host.StartAsync();
        return new EmbeddedSilo(host, logs);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A slow stop is not what these tests are about.
        }

        host.Dispose();
    }
}
