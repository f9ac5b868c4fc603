using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>An Azurite of its own whose access log counts every upload.</summary>
public sealed class RequestLoggingAzurite : IAsyncLifetime
{
    /// <summary>The emulator.</summary>
    public AzuriteFixture Azurite { get; } = new() { LogRequests = true };

    /// <inheritdoc />
    public Task InitializeAsync() => Azurite.InitializeAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => Azurite.DisposeAsync();
}

/// <summary>
/// Losing the silo that holds a job's BatchGrain, as separate processes on Azurite (one api silo, two inference silos):
/// kill -9 of the api silo mid-job, a new api silo a few seconds later (the lost one's batches still run on the
/// inference silos) or much later. Every output is uploaded once, as Azurite's own access log counts, and the job's
/// counters hold every image once as ok with all its faces.
/// </summary>
[Trait("Category", "Azurite")]
public sealed partial class ApiSiloLossTests(RequestLoggingAzurite storage, ITestOutputHelper log) : IClassFixture<RequestLoggingAzurite>
{
    private const int Photos = 90;

    [Theory]
    [InlineData(2)]
    [InlineData(25)]
    public async Task After_kill_9_of_the_api_silo_every_output_is_uploaded_once_and_counted_once_as_ok_with_its_faces(int returnAfterSeconds)
    {
        var azurite = storage.Azurite;
        var store = new AzureBlobStore(new BlobServiceClient(azurite.ConnectionString));
        var cluster = "loss-" + Guid.NewGuid().ToString("N")[..10];
        var id = Guid.NewGuid().ToString("N")[..8];
        var paths = new List<string>();
        for (var i = 0; i < Photos; i++)
        {
            var relative = $"set{i % 3}/p{i:D3}.jpg";
            await store.WriteAsync($"inbox/{id}/{relative}", TestPhotos.Small(i % 4 + 1), "image/jpeg", null);
            paths.Add(relative);
        }

        await store.WriteAsync($"faces/{id}/face.jpg", TestPhotos.Small(3), "image/jpeg", null);
        var firstPort = SiloProcess.FreePort();
        var api = SiloProcess.Start(SiloProcess.ClusterSettings(azurite.ConnectionString, cluster, "api", "api-1", firstPort));
        using var inference1 = SiloProcess.Start(SiloProcess.ClusterSettings(azurite.ConnectionString, cluster, "inference", "inf-1", SiloProcess.FreePort()));
        using var inference2 = SiloProcess.Start(SiloProcess.ClusterSettings(azurite.ConnectionString, cluster, "inference", "inf-2", SiloProcess.FreePort()));
        SiloProcess? secondApi = null;
        try
        {
            using var first = Client(firstPort);
            var request = new SubmitJobRequest
            {
                Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/",
                Options = new JobOptions { BatchSize = 4, Prefetch = 32 },
                ConsentReference = "silo-loss-test-consent",
            };
            var jobId = await SiloProcess.EventuallyAsync(async () =>
            {
                using var response = await first.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options);
                return response.StatusCode == HttpStatusCode.Accepted ? (await response.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId : null;
            }, TimeSpan.FromMinutes(3), () => api.Output + inference1.Output);

            // Mid-job, with batches in flight on the inference silos: the api silo dies at once.
            var atKill = await SiloProcess.EventuallyAsync(async () => await StatusAsync(first, jobId) is { Counters.Finished: >= 12, InFlight: > 0 } s ? s : null,
                TimeSpan.FromMinutes(5), () => api.Output + inference1.Output + inference2.Output);
            api.Kill();
            log.WriteLine($"killed api-1 at {atKill.Counters.Finished} of {Photos} finished, {atKill.InFlight} in flight");
            Assert.True(atKill.Counters.Finished < Photos, "the job finished before the kill");

            await Task.Delay(TimeSpan.FromSeconds(returnAfterSeconds));
            var secondPort = SiloProcess.FreePort();
            secondApi = SiloProcess.Start(SiloProcess.ClusterSettings(azurite.ConnectionString, cluster, "api", "api-2", secondPort));
            using var second = Client(secondPort);
            var done = await SiloProcess.EventuallyAsync(async () => await StatusAsync(second, jobId) is { IsTerminal: true } s ? s : null,
                TimeSpan.FromMinutes(8), () => secondApi.Output + inference1.Output + inference2.Output);
            log.WriteLine("final: " + System.Text.Json.JsonSerializer.Serialize(done.Counters, FaceSwapJson.Options));

            // Each output reached storage once: Azurite's access log has one successful upload per output, and any
            // second writer was refused by the write's precondition.
            var uploads = Uploads(azurite, $"outbox/{id}/");
            var refused = Requests(azurite, $"outbox/{id}/", "PUT").Count(m => m.Groups["status"].Value is "409" or "412");
            log.WriteLine($"{uploads.Values.Sum()} uploads of {uploads.Count} outputs; {refused} writes refused by their precondition");
            Assert.Equal(paths.Order(StringComparer.Ordinal), uploads.Keys.Order(StringComparer.Ordinal));
            Assert.True(uploads.Values.All(n => n == 1), "uploaded more than once: " + string.Join(", ", uploads.Where(u => u.Value > 1).Select(u => $"{u.Key} x{u.Value}")));

            // Every image once, as ok (those swapped before the kill too, not skipped), with all its faces: copies of a
            // demo photo have that photo's faces, whichever run swapped them.
            var results = (await second.GetFromJsonAsync<ResultsPage>($"api/jobs/{jobId}/results?limit=1000", FaceSwapJson.Options))!.Items;
            Assert.Equal(JobState.Completed, done.State);
            Assert.Equal((long)Photos, done.Counters.Ok);
            Assert.Equal((0L, 0L, 0L), (done.Counters.Skipped, done.Counters.Failed, done.Counters.NoFace));
            Assert.Equal(paths.Order(StringComparer.Ordinal), results.Select(r => r.Path).Order(StringComparer.Ordinal));
            Assert.All(results, r => Assert.Equal(ImageStatus.Ok, r.Status));
            var facesBySample = results.GroupBy(r => Sample(r.Path)).ToDictionary(g => g.Key, g => g.Select(r => r.Faces).Distinct().ToList());
            Assert.All(facesBySample, kv => Assert.True(kv.Value is [> 0], $"copies of sample {kv.Key} counted {string.Join(" or ", kv.Value)} faces"));
            Assert.Equal(paths.Sum(p => (long)facesBySample[Sample(p)][0]), done.Counters.Faces);
        }
        finally
        {
            api.Dispose();
            secondApi?.Dispose();
        }
    }

    /// <summary>Successful uploads (201) per output path, from Azurite's access log.</summary>
    private static Dictionary<string, int> Uploads(AzuriteFixture azurite, string outputPrefix) =>
        Requests(azurite, outputPrefix, "PUT")
            .Where(m => m.Groups["status"].Value == "201")
            .GroupBy(m => Uri.UnescapeDataString(m.Groups["path"].Value)[(AzuriteFixture.AccountName.Length + 2 + outputPrefix.Length)..])
            .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Access log lines of <paramref name="method"/> requests for blobs under <paramref name="prefix"/>, the job's own files left out.</summary>
    private static IEnumerable<Match> Requests(AzuriteFixture azurite, string prefix, string method) =>
        azurite.Requests
            .Select(r => AccessLogLine().Match(r))
            .Where(m => m.Success && m.Groups["method"].Value == method
                && Uri.UnescapeDataString(m.Groups["path"].Value).StartsWith($"/{AzuriteFixture.AccountName}/{prefix}", StringComparison.Ordinal)
                && !m.Groups["path"].Value.Contains("/_faceswap/", StringComparison.Ordinal));

    /// <summary>The demo photo a copy was made of (see the upload above).</summary>
    private static int Sample(string path) => int.Parse(path[^7..^4], System.Globalization.CultureInfo.InvariantCulture) % 4 + 1;

    private static HttpClient Client(int port)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add(FaceSwap.Silo.Api.Security.ApiKeyOptions.Header, ApiHost.AdminKey);
        return http;
    }

    private static async Task<JobStatus> StatusAsync(HttpClient http, string jobId) =>
        (await http.GetFromJsonAsync<JobStatus>($"api/jobs/{jobId}", FaceSwapJson.Options))!;

    [GeneratedRegex("\"(?<method>[A-Z]+) (?<path>[^ ?\"]+)(\\?[^ \"]*)? HTTP/1\\.1\" (?<status>\\d{3}) ")]
    private static partial Regex AccessLogLine();
}
