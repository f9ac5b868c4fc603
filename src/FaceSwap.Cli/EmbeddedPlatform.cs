using FaceSwap.Grains.Hosting;
using FaceSwap.Silo.Diagnostics;
using FaceSwap.Silo.Hosting;
using Microsoft.Extensions.Configuration;
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
    /// <remarks>
    /// The silo does not listen to Ctrl+C or SIGTERM itself (no console lifetime): the command does, stops its job, waits
    /// for the images in flight to be recorded and only then stops the silo. Once the command is cancelled the runtime's
    /// own errors about stopping are not shown; what is logged is one line per entry, without stack traces.
    /// </remarks>
    /// <exception cref="CliException">A setting is out of range: the silo did not start (one line naming each problem).</exception>
    public static async Task<EmbeddedPlatform> StartAsync(Action<FaceSwapSiloOptions> configure, string stateDirectory, CancellationToken cancellationToken)
    {
        var options = new FaceSwapSiloOptions();
        configure(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.FormatterName = OneLineConsoleFormatter.FormatterName)
            .AddConsoleFormatter<OneLineConsoleFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
        builder.Logging.AddFilter((category, level) => category switch
        {
            // A grain-state write that fails is thrown to the command, which reports it in one line of its own.
            "FaceSwap.Storage.LocalFileGrainStorage" => level >= LogLevel.Critical,
            _ when category?.StartsWith("FaceSwap", StringComparison.Ordinal) == true => level >= LogLevel.Warning,
            _ => level >= LogLevel.Error && !cancellationToken.IsCancellationRequested,
        });
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // Exports like `serve` when OTEL_EXPORTER_OTLP_ENDPOINT (or Application Insights) is set; the providers flush when the host is disposed.
        builder.Configuration.AddInMemoryCollection(TelemetryExtensions.ExporterEnvironment());
        builder.AddFaceSwapOpenTelemetry(options, siloName: null);
        // No gateway: the CLI calls the grains in process, and no other process needs a way in.
        builder.UseOrleans(silo => silo.UseFaceSwapEmbedded(stateDirectory, FaceSwapHost.FreePort(), gatewayPort: 0).AddFaceSwapGrains(configure));
        var host = builder.Build();
        try
        {
            InvalidConfiguration.ThrowIfAny(host.Services);
        }
        catch (InvalidConfigurationException e)
        {
            host.Dispose();
            throw new CliException(e.Message);
        }

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

/// <summary>A host lifetime that leaves signals to the command: the host starts and stops only when the command says so.</summary>
internal sealed class CommandLifetime : IHostLifetime
{
    /// <inheritdoc />
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
