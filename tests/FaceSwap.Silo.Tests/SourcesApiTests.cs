using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Silo.Tests;

/// <summary>sources and options.sourcesMode through the REST API, a real silo and Azurite.</summary>
[Collection(AzuriteApiHostFixture.Collection), Trait("Category", "Azurite")]
public sealed class SourcesApiTests(AzuriteApiHostFixture fixture)
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task A_matrix_job_writes_each_source_into_its_own_mirrored_folder_and_a_set_job_names_the_photo_used()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/alice.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"faces/{id}/team/bob/front.jpg", TestPhotos.Small(4));
        await Host.PutBytesAsync($"inbox/{id}/shots/a.jpg", TestPhotos.Small(1));
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        using var matrix = await http.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Sources = [$"faces/{id}/alice.jpg", $"faces/{id}/team/bob/"],
            Input = $"inbox/{id}/",
            Output = $"outbox/{id}/matrix/",
            Options = new JobOptions { SourcesMode = SourcesMode.Each },
        }, FaceSwapJson.Options);

        Assert.Equal(HttpStatusCode.Accepted, matrix.StatusCode);
        var created = (await matrix.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!;
        Assert.Equal($"faces/{id}/alice.jpg", created.Spec!.Source);
        var done = await WaitAsync(http, created.JobId);
        Assert.Equal((JobState.Completed, 2L, 2L), (done.State, done.Counters.Discovered, done.Counters.Ok));
        Assert.NotNull(await Host.Store.GetPropertiesAsync($"outbox/{id}/matrix/alice/shots/a.jpg"));
        Assert.NotNull(await Host.Store.GetPropertiesAsync($"outbox/{id}/matrix/bob/shots/a.jpg"));
        var results = (await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{created.JobId}/results", FaceSwapJson.Options))!;
        Assert.Equal(["alice", "bob"], results.Items.Select(r => r.Identity).Order().ToList());

        using var set = await http.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Source = $"faces/{id}/alice.jpg",
            Sources = [$"faces/{id}/alice.jpg", $"faces/{id}/team/bob/"],
            Input = $"inbox/{id}/",
            Output = $"outbox/{id}/set/",
        }, FaceSwapJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, set.StatusCode);
        var setJob = await WaitAsync(http, (await set.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId);
        Assert.Equal((JobState.Completed, 1L), (setJob.State, setJob.Counters.Ok));
        var outcome = Assert.Single((await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{setJob.JobId}/results", FaceSwapJson.Options))!.Items);
        Assert.Equal(outcome.Faces, outcome.SourcesUsed!.Count);
        Assert.All(outcome.SourcesUsed, s => Assert.Matches(@"^(alice|front)\.jpg( \(mirrored\))?$", s));
    }

    [Fact]
    public async Task A_matrix_jobs_gallery_serves_the_before_and_after_thumbnail_of_every_source_and_image_pair()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/alice.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"faces/{id}/bob.jpg", TestPhotos.Small(4));
        await Host.PutBytesAsync($"inbox/{id}/shots/a.jpg", TestPhotos.Small(1));
        await Host.PutBytesAsync($"inbox/{id}/b.jpg", TestPhotos.Small(2));
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        using var submitted = await http.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Sources = [$"faces/{id}/alice.jpg", $"faces/{id}/bob.jpg"],
            Input = $"inbox/{id}/",
            Output = $"outbox/{id}/",
            Options = new JobOptions { SourcesMode = SourcesMode.Each },
        }, FaceSwapJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var done = await WaitAsync(http, (await submitted.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId);
        Assert.Equal((JobState.Completed, 4L), (done.State, done.Counters.Ok));

        using var reader = Host.CreateClient(ApiHost.ReadKey);
        var gallery = (await reader.GetFromJsonAsync<List<GalleryItem>>($"api/jobs/{done.JobId}/gallery?count=8", FaceSwapJson.Options))!;
        Assert.Equal(["alice/b.jpg", "alice/shots/a.jpg", "bob/b.jpg", "bob/shots/a.jpg"], gallery.Select(g => g.Path).Order(StringComparer.Ordinal));
        foreach (var item in gallery)
        {
            foreach (var url in new[] { item.Before, item.After })
            {
                using var thumbnail = await reader.GetAsync(url.TrimStart('/'));
                Assert.True(thumbnail.StatusCode == HttpStatusCode.OK, $"{url}: {(int)thumbnail.StatusCode} {await thumbnail.Content.ReadAsStringAsync()}");
                Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType!.MediaType);
            }
        }

        // The "before" of each source's copy of an image is that one input image: the same thumbnail bytes.
        async Task<byte[]> Before(string path) => await reader.GetByteArrayAsync(gallery.Single(g => g.Path == path).Before.TrimStart('/'));
        Assert.Equal(await Before("alice/shots/a.jpg"), await Before("bob/shots/a.jpg"));
        Assert.NotEqual(await Before("alice/shots/a.jpg"), await Before("alice/b.jpg"));
    }

    [Fact]
    public async Task Retry_failed_in_a_matrix_job_runs_only_the_failed_source_and_image_pairs()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/alice.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"faces/{id}/bob.jpg", TestPhotos.Small(4));
        await Host.PutBytesAsync($"inbox/{id}/good.jpg", TestPhotos.Small(1));
        await Host.PutBytesAsync($"inbox/{id}/broken/bad.jpg", TestPhotos.Corrupt);
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        using var response = await http.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Sources = [$"faces/{id}/alice.jpg", $"faces/{id}/bob.jpg"],
            Input = $"inbox/{id}/",
            Output = $"outbox/{id}/",
            Options = new JobOptions { SourcesMode = SourcesMode.Each },
        }, FaceSwapJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = (await response.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId;
        var first = await WaitAsync(http, jobId);
        Assert.Equal((2L, 2L, 4L), (first.Counters.Ok, first.Counters.Failed, first.Counters.Discovered));
        var goodWritten = (await Host.Store.GetPropertiesAsync($"outbox/{id}/alice/good.jpg"))!.ETag;

        await Host.PutBytesAsync($"inbox/{id}/broken/bad.jpg", TestPhotos.Small(2));
        using var retry = await http.PostAsync($"api/jobs/{jobId}/retry-failed", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var second = await WaitAsync(http, jobId);

        Assert.Equal((JobState.Completed, 4L, 0L, 4L), (second.State, second.Counters.Ok, second.Counters.Failed, second.Counters.Discovered));
        Assert.NotNull(await Host.Store.GetPropertiesAsync($"outbox/{id}/alice/broken/bad.jpg"));
        Assert.NotNull(await Host.Store.GetPropertiesAsync($"outbox/{id}/bob/broken/bad.jpg"));
        Assert.Equal(goodWritten, (await Host.Store.GetPropertiesAsync($"outbox/{id}/alice/good.jpg"))!.ETag);
        var results = (await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{jobId}/results", FaceSwapJson.Options))!;
        Assert.Equal(["alice/broken/bad.jpg", "alice/good.jpg", "bob/broken/bad.jpg", "bob/good.jpg"], results.Items.Select(r => r.Path).Order(StringComparer.Ordinal).ToList());
        Assert.All(results.Items, r => Assert.Equal(ImageStatus.Ok, r.Status));
    }

    [Fact]
    public async Task Bad_sources_are_400s_naming_the_field()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/a/anna.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"faces/{id}/b/anna.png", TestPhotos.Small(3));
        await Host.PutBytesAsync($"inbox/{id}/x.jpg", TestPhotos.Small(1));
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var cases = new (SubmitJobRequest Request, string Field, string Message)[]
        {
            (new() { Source = $"faces/{id}/a/anna.jpg", Options = new JobOptions { SourcesMode = SourcesMode.Each } }, "sources", "needs a list of sources"),
            (new() { Sources = [$"faces/{id}/a/anna.jpg", $"faces/{id}/b/anna.png"], Options = new JobOptions { SourcesMode = SourcesMode.Each } }, "sources", "same folder 'anna'"),
            (new() { Sources = [$"faces/{id}/notes.txt"] }, "sources", "images"),
            (new() { Sources = [$"faces/{id}/nobody/"] }, "sources", "no images under"),
        };

        foreach (var (request, field, message) in cases)
        {
            using var response = await http.PostAsJsonAsync("api/jobs", request with { Input = $"inbox/{id}/", Output = $"outbox/{id}/" }, FaceSwapJson.Options);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
            var errors = JsonNode.Parse(body)!["errors"]!;
            Assert.True(errors[field] is not null, body);
            Assert.Contains(message, (string)errors[field]![0]!);
        }

        using var unknownMode = await http.PostAsync("api/jobs", new StringContent(
            $$$"""{"sources":["faces/{{{id}}}/a/anna.jpg"],"input":"inbox/{{{id}}}/","output":"outbox/{{{id}}}/","options":{"sourcesMode":"both"}}""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unknownMode.StatusCode);
        Assert.NotNull(JsonNode.Parse(await unknownMode.Content.ReadAsStringAsync())!["errors"]!["options.sourcesMode"]);
    }

    private static async Task<JobStatus> WaitAsync(HttpClient http, string jobId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var status = (await http.GetFromJsonAsync<JobStatus>($"api/jobs/{jobId}", FaceSwapJson.Options))!;
            if (status.IsTerminal || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(200);
        }
    }
}
