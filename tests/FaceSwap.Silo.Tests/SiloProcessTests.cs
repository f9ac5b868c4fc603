using System.Net;
using System.Net.Http.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Tests;
using FaceSwap.Silo.Api.Security;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>
/// Silo hosts as separate processes on loopback, configured only through the documented schema (environment
/// variables): Azure Table clustering and blob grain storage against Azurite; one api silo and inference silos.
/// </summary>
[Collection(AzuriteApiHostFixture.Collection), Trait("Category", "Azurite")]
public sealed class SiloProcessTests(AzuriteApiHostFixture fixture, ITestOutputHelper log)
{
    [Fact]
    public async Task A_job_on_the_api_silo_runs_only_on_inference_silos_waits_while_none_is_up_and_finishes_on_a_new_one()
    {
        var cluster = "proc-" + Guid.NewGuid().ToString("N")[..10];
        var httpPort = SiloProcess.FreePort();
        using var api = SiloProcess.Start(Settings(cluster, "api", "api-silo", httpPort));
        using var firstInference = SiloProcess.Start(Settings(cluster, "inference", "inference-1", SiloProcess.FreePort()));
        SiloProcess? secondInference = null;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add(ApiKeyOptions.Header, ApiHost.AdminKey);
            var id = Guid.NewGuid().ToString("N")[..8];
            var paths = await TestPhotos.UploadAsync(fixture.Host, $"inbox/{id}/", 12);
            await fixture.Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
            var request = new SubmitJobRequest
            {
                Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/",
                Options = new JobOptions { BatchSize = 1, Prefetch = 2 },
                ConsentReference = "process-test-consent",
            };

            // The api silo answers once it is up; the job starts once the inference silo has joined (503 until then).
            var jobId = await Eventually(async () =>
            {
                using var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options);
                return response.StatusCode == HttpStatusCode.Accepted ? (await response.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId : null;
            }, TimeSpan.FromSeconds(90), () => api.Output + firstInference.Output);

            await Eventually(async () => (await StatusAsync(http, jobId)).Counters.Ok >= 2 ? "" : null, TimeSpan.FromSeconds(90), () => firstInference.Output);
            firstInference.Kill();
            var waiting = await Eventually(async () => (await StatusAsync(http, jobId)) is { Notice: { } notice } status && notice.Contains("waiting for an inference silo") ? status : null,
                TimeSpan.FromSeconds(120), () => api.Output);
            log.WriteLine($"while no inference silo was up: {waiting.Notice} ({waiting.Counters.Finished} of {paths.Count} finished)");
            Assert.Equal(JobState.Running, waiting.State);
            Assert.True(waiting.Counters.Finished < paths.Count);

            secondInference = SiloProcess.Start(Settings(cluster, "inference", "inference-2", SiloProcess.FreePort()));
            var done = await Eventually(async () => await StatusAsync(http, jobId) is { IsTerminal: true } status ? status : null, TimeSpan.FromSeconds(180), () => api.Output + secondInference.Output);

            var results = (await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{jobId}/results?limit=1000", FaceSwapJson.Options))!;
            log.WriteLine("final: " + System.Text.Json.JsonSerializer.Serialize(done, FaceSwapJson.Options));
            foreach (var r in results.Items)
            {
                log.WriteLine($"  {r.Path}: {r.Status} on {r.Silo}");
            }
            Assert.Equal(JobState.Completed, done.State);
            Assert.Equal(paths.Count, done.Counters.Ok + done.Counters.Skipped);
            Assert.Equal(0, done.Counters.Failed);
            Assert.Null(done.Notice);
            Assert.Equal(paths.Order(), results.Items.Select(r => r.Path).Order());
            // Every image was handled on an inference silo, never on the api silo; the new silo finished the job (images
            // the lost silo had written come back as skipped when their page is listed again).
            Assert.All(results.Items, r => Assert.StartsWith("inference-", r.Silo));
            Assert.Contains(results.Items, r => r.Silo == "inference-2" && r.Status == ImageStatus.Ok);
            Assert.DoesNotContain("Face engine loaded", api.Output);
            foreach (var path in paths)
            {
                Assert.NotNull(await fixture.Host.Store.GetPropertiesAsync($"outbox/{id}/{path}"));
            }
        }
        finally
        {
            secondInference?.Dispose();
        }
    }

    [Fact]
    public async Task A_cluster_silo_on_azurite_listens_on_loopback_only_and_refuses_a_gateway_clients_job_without_consent()
    {
        var cluster = "gw-" + Guid.NewGuid().ToString("N")[..10];
        var httpPort = SiloProcess.FreePort();
        var settings = Settings(cluster, "both", "gateway-silo", httpPort);
        settings.Remove("FaceSwap__Host__AdvertisedAddress");
        settings["FaceSwap__Host__Gateway"] = "true";
        using var silo = SiloProcess.Start(settings);
        await GatewayTests.WaitUntilServingAsync(silo, httpPort);

        // The local cloud mode (Azure Table clustering on Azurite) binds to loopback like the embedded mode.
        var gatewayPort = int.Parse(settings["FaceSwap__Host__GatewayPort"], System.Globalization.CultureInfo.InvariantCulture);
        foreach (var port in new[] { int.Parse(settings["FaceSwap__Host__SiloPort"], System.Globalization.CultureInfo.InvariantCulture), gatewayPort })
        {
            Assert.All(GatewayTests.Listening(port, required: true), e => Assert.True(IPAddress.IsLoopback(e.Address), $"port {port} bound to {e}"));
        }

        using var client = await GatewayClient.ConnectAsync(gatewayPort, cluster, cluster);
        var job = client.Grains.GetGrain<FaceSwap.Abstractions.Grains.IBatchGrain>("gateway-" + Guid.NewGuid().ToString("N")[..12]);
        var spec = new JobSpec { Source = "faces/x/face.jpg", Input = "inbox/x/", Output = "outbox/x/", SubmittedBy = "nobody" };
        var refused = await Assert.ThrowsAsync<JobRefusedException>(() => job.StartAsync(spec));
        Assert.Equal(JobRefusalCodes.ConsentRequired, refused.Code);
        Assert.Null((await job.GetStatusAsync()).Spec);
    }

    [Theory]
    [InlineData("FaceSwap__Storage=local", "FaceSwap:Storage 'local' names no folder")]
    [InlineData("FaceSwap__Storage=ftp://somewhere", "FaceSwap:Storage is not understood")]
    [InlineData("FaceSwap__Role=gpu", "FaceSwap:Role: unknown silo role 'gpu'")]
    [InlineData("FaceSwap__Host__Clustering=azure-table", "azure-table clustering needs a storage account")]
    [InlineData("FaceSwap__Host__Clustering=zookeeper", "FaceSwap:Host:Clustering 'zookeeper' is unknown")]
    [InlineData("FaceSwap__Role=api", "needs azure-table clustering")]
    [InlineData("FaceSwap__Host__AdvertisedAddress=silo.example", "is not an IP address")]
    [InlineData("FaceSwap__Host__GatewayPort=11111", "must differ")]
    [InlineData("FaceSwap__MaxPixels=0", "FaceSwap:MaxPixels 0 is not a pixel limit")]
    [InlineData("FaceSwap__Drop__Queue=drops", "a queue needs a storage account")]
    [InlineData("FaceSwap__ModelsPath=/nonexistent/models", "FaceSwap:ModelsPath")]
    [InlineData("FaceSwap__Concurrency=100000", "FaceSwap:Concurrency 100000 is out of range: it must be 0 to 256")]
    [InlineData("FaceSwap__Prefetch=0", "FaceSwap:Prefetch 0 is out of range: it must be 1 to 4096")]
    [InlineData("Api__Keys__0__Name=ops", "Api:Keys:0 (ops): Sha256 must be the 64 hex digits")]
    public async Task A_missing_or_contradictory_setting_stops_startup_with_a_message_naming_it(string setting, string message)
    {
        using var state = new FaceSwap.Testing.TemporaryDirectory("faceswap-config");
        var environment = new Dictionary<string, string>
        {
            ["FaceSwap__Storage"] = "local:" + state.FullPath,
            ["FaceSwap__ModelsPath"] = TestAssets.Models.Path,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{SiloProcess.FreePort()}",
        };
        var (key, value) = (setting[..setting.IndexOf('=')], setting[(setting.IndexOf('=') + 1)..]);
        environment[key] = value;
        using var silo = SiloProcess.Start(environment);

        var exitCode = await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        var error = Assert.Single(silo.Output.Split('\n'), line => line.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith("error: invalid configuration:", error);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", silo.Output);
    }

    private Dictionary<string, string> Settings(string cluster, string role, string name, int httpPort) =>
        SiloProcess.ClusterSettings(fixture.ConnectionString, cluster, role, name, httpPort);

    private static async Task<JobStatus> StatusAsync(HttpClient http, string jobId) =>
        (await http.GetFromJsonAsync<JobStatus>($"api/jobs/{jobId}", FaceSwapJson.Options))!;

    private static Task<T> Eventually<T>(Func<Task<T?>> attempt, TimeSpan timeout, Func<string> diagnostics) =>
        SiloProcess.EventuallyAsync(attempt, timeout, diagnostics);
}
