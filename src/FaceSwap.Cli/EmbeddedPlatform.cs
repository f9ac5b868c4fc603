using FaceSwap.Grains.Hosting;
using FaceSwap.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Cli;

/// <summary>An in-process silo (the embedded mode): localhost clustering on a free loopback port, no gateway, job state as files.</summary>
public sealed class EmbeddedPlatform : IAsyncDisposable
{
    private readonly IHost host;

    private EmbeddedPlatform(IHost host) => this.host = host;

    /// <summary>Grain factory of the silo.</summary>
    public IGrainFactory Grains => host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Starts a silo with role "both".</summary>
    public static async Task<EmbeddedPlatform> StartAsync(FaceSwapSiloOptions options, string stateDirectory, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter((category, level) => level >= (category?.StartsWith("FaceSwap", StringComparison.Ordinal) == true ? LogLevel.Warning : LogLevel.Error));
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // No gateway: the CLI calls the grains in process, and no other process needs a way in.
        builder.UseOrleans(silo => silo.UseFaceSwapEmbedded(stateDirectory, FaceSwapHost.FreePort(), gatewayPort: 0).AddFaceSwap(options));
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new EmbeddedPlatform(host);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Shutting down after a cancelled job: the state is persisted, a slow stop is not worth waiting for.
        }

        host.Dispose();
    }
}
