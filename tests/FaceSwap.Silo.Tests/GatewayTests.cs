using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Abstractions.Serialization;
using FaceSwap.Engine.Tests;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FaceSwap.Silo.Tests;

/// <summary>
/// The Orleans ports of a served host (FaceSwap.Silo as its own process, local mode): loopback only, no gateway unless
/// configured, and a plain Orleans client on an opened gateway cannot start a job that breaks the job policy.
/// </summary>
public sealed class GatewayTests : IDisposable
{
    private readonly TemporaryDirectory root = new("faceswap-gateway");

    [Fact]
    public async Task A_local_silo_listens_on_loopback_only_and_its_grains_refuse_a_gateway_clients_job_without_submitter_consent_or_watermark()
    {
        var (siloPort, gatewayPort, httpPort) = Ports();
        using var silo = SiloProcess.Start(Settings(siloPort, gatewayPort, httpPort, gateway: true));
        await WaitUntilServingAsync(silo, httpPort);

        Assert.All(Listening(siloPort, required: true), e => Assert.True(IPAddress.IsLoopback(e.Address), $"silo port bound to {e}"));
        Assert.All(Listening(gatewayPort, required: true), e => Assert.True(IPAddress.IsLoopback(e.Address), $"gateway port bound to {e}"));

        // The attack of issue 23: a plain Orleans client on the gateway, no key, starting a job as nobody, without
        // consent and without the watermark. The grain refuses each with its code, and no job exists afterwards.
        using var client = await GatewayClient.ConnectAsync(gatewayPort, "dev", "dev");
        var valid = new JobSpec
        {
            Source = "inbox/faces/face.jpg", Input = "inbox/photos/", Output = "outbox/photos/",
            SubmittedBy = "someone", ConsentReference = "consent-on-file",
        };
        var attempts = new (JobSpec Spec, string Code)[]
        {
            (valid with { SubmittedBy = null, ConsentReference = null, Options = new JobOptions { Watermark = false } }, JobRefusalCodes.SubmitterRequired),
            (valid with { ConsentReference = null }, JobRefusalCodes.ConsentRequired),
            (valid with { Options = new JobOptions { Watermark = false } }, JobRefusalCodes.WatermarkRequired),
            (valid with { Options = new JobOptions { MaxPixels = 1_000_000_000_000 } }, JobRefusalCodes.MaxPixelsOutOfRange),
        };
        foreach (var (spec, code) in attempts)
        {
            var job = client.Grains.GetGrain<IBatchGrain>("gateway-" + Guid.NewGuid().ToString("N")[..12]);
            var refused = await Assert.ThrowsAsync<JobRefusedException>(() => job.StartAsync(spec));
            Assert.Equal(code, refused.Code);
            Assert.Null((await job.GetStatusAsync()).Spec);
        }
    }

    [Fact]
    public async Task A_served_silo_runs_no_gateway_unless_configured_and_its_silo_port_is_on_loopback()
    {
        var (siloPort, gatewayPort, httpPort) = Ports();
        using var silo = SiloProcess.Start(Settings(siloPort, gatewayPort, httpPort, gateway: false));
        await WaitUntilServingAsync(silo, httpPort);

        Assert.All(Listening(siloPort, required: true), e => Assert.True(IPAddress.IsLoopback(e.Address), $"silo port bound to {e}"));
        Assert.Empty(Listening(gatewayPort));
        using var tcp = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync(IPAddress.Loopback, gatewayPort));
    }

    /// <summary>Endpoints listening on <paramref name="port"/> on this machine (all interfaces); fails when there are none.</summary>
    internal static IPEndPoint[] Listening(int port, bool required = false)
    {
        var endpoints = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Where(e => e.Port == port).ToArray();
        Assert.True(!required || endpoints.Length > 0, $"nothing listens on port {port}");
        return endpoints;
    }

    /// <summary>Waits until the process serves /healthz (the silo has started by then).</summary>
    internal static async Task WaitUntilServingAsync(SiloProcess silo, int httpPort)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.True(silo.ExitCode is null, "the silo exited:\n" + silo.Output);
            try
            {
                using var response = await http.GetAsync("healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, "the silo did not serve /healthz in 90 s:\n" + silo.Output);
            await Task.Delay(300);
        }
    }

    private static (int Silo, int Gateway, int Http) Ports()
    {
        var ports = FreePorts.Get(3);
        return (ports[0], ports[1], ports[2]);
    }

    private Dictionary<string, string> Settings(int siloPort, int gatewayPort, int httpPort, bool gateway) => new()
    {
        ["FaceSwap__Storage"] = "local:" + root.FullPath,
        ["FaceSwap__ModelsPath"] = TestAssets.Models.Path,
        ["FaceSwap__Concurrency"] = "1",
        ["FaceSwap__Drop__WatchSeconds"] = "0",
        ["FaceSwap__Host__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        ["FaceSwap__Host__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
        ["FaceSwap__Host__Gateway"] = gateway ? "true" : "false",
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
    };

    public void Dispose() => root.Dispose();
}

/// <summary>A plain Orleans cluster client (what an attacker on the network would run) connected to one gateway.</summary>
public sealed class GatewayClient : IDisposable
{
    private readonly IHost host;

    private GatewayClient(IHost host) => this.host = host;

    /// <summary>The client's grain factory.</summary>
    public IClusterClient Grains => host.Services.GetRequiredService<IClusterClient>();

    /// <summary>Connects to the gateway on loopback port <paramref name="gatewayPort"/> of the given cluster.</summary>
    public static async Task<GatewayClient> ConnectAsync(int gatewayPort, string serviceId, string clusterId)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, serviceId, clusterId).Services.AddFaceSwapContracts());
        var host = builder.Build();
        await host.StartAsync();
        return new GatewayClient(host);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        host.StopAsync().GetAwaiter().GetResult();
        host.Dispose();
    }
}
