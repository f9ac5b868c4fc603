using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;

namespace FaceSwap.Silo.Tests;

/// <summary>The REST API through a real Kestrel on loopback, a real silo with the real engine, and Azurite storage.</summary>
[Collection(AzuriteApiHostFixture.Collection), Trait("Category", "Azurite")]
public sealed class ApiTests(AzuriteApiHostFixture fixture)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task A_submitted_job_streams_every_image_and_completes_with_mirrored_outputs()
    {
        var batch = await NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 3);
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        using var response = await http.PostAsJsonAsync("api/jobs", batch.Request(), FaceSwapJson.Options);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!;
        Assert.Equal($"/api/jobs/{created.JobId}", response.Headers.Location?.ToString());
        Assert.Equal(JobState.Running, created.State);
        Assert.Equal("studio", created.Spec!.SubmittedBy);
        Assert.Equal(batch.Input, created.Spec.Input);

        var events = await ReadEventsAsync(http, created.JobId, lastEventId: null, stopAfterImages: int.MaxValue);
        var images = ImagesOf(events);
        Assert.Equal(paths.Order(), images.Select(i => i.Path).Order());
        Assert.All(images, i => Assert.Equal(ImageStatus.Ok, i.Status));
        var done = StatusOf(events[^1]);
        Assert.Equal("done", events[^1].Name);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(3, done.Counters.Ok);
        Assert.Equal(images.Sum(i => i.Faces), done.Counters.Faces);
        foreach (var path in paths)
        {
            Assert.NotNull(await Host.Store.GetPropertiesAsync(batch.Output + path));
        }

        var fetched = await http.GetFromJsonAsync<JobStatus>($"api/jobs/{created.JobId}", FaceSwapJson.Options);
        Assert.Equal(JobState.Completed, fetched!.State);
        var list = await http.GetFromJsonAsync<JobList>("api/jobs?limit=5", FaceSwapJson.Options);
        Assert.Equal(created.JobId, list!.Items[0].JobId);
    }

    [Fact]
    public async Task Keys_and_roles_decide_who_may_do_what()
    {
        using var anonymous = Host.CreateClient(apiKey: null);
        using var wrongKey = Host.CreateClient("not-a-key");
        using var reader = Host.CreateClient(ApiHost.ReadKey);
        using var admin = Host.CreateClient(ApiHost.AdminKey);
        var body = (await NewBatchAsync()).Request();

        using (var response = await anonymous.GetAsync("api/jobs"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("X-Api-Key", response.Headers.WwwAuthenticate.ToString());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await wrongKey.GetAsync("api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("api/jobs", body, FaceSwapJson.Options)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("api/jobs", body, FaceSwapJson.Options)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("api/jobs/some-job/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("api/jobs/some-job/retry-failed", null)).StatusCode);
        Assert.Equal(new CallerInfo("viewer", "read"), await reader.GetFromJsonAsync<CallerInfo>("api/whoami", FaceSwapJson.Options));
        Assert.Equal(new CallerInfo("ops", "admin"), await admin.GetFromJsonAsync<CallerInfo>("api/whoami", FaceSwapJson.Options));

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("healthz")).StatusCode);
        var openApi = await anonymous.GetStringAsync("openapi/v1.json");
        Assert.Contains("/api/jobs/{id}/events", openApi);
        Assert.Contains("/api/jobs/{id}/retry-failed", openApi);
    }

    [Theory]
    [InlineData("""{"input":"inbox/x/","output":"outbox/x/"}""", "source", "is required")]
    [InlineData("""{"source":"https://evil.example/face.jpg","input":"inbox/x/","output":"outbox/x/"}""", "source", "not a URL")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/../etc/","output":"outbox/x/"}""", "input", "'..'")]
    [InlineData("""{"source":"inbox/f.jpg","input":"/etc/","output":"outbox/x/"}""", "input", "absolute")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x","output":"inbox/x/"}""", "output", "overwrite")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{"bogus":1}}""", "options.bogus", "not a known member")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{"batchSize":"four"}}""", "options.batchSize", "wrong type")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{"batchSize":0}}""", "options.batchSize", "between 1 and 64")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{"faces":"some"}}""", "options.faces", "wrong type")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","jobId":"Bad Id!"}""", "jobId", "a-z")]
    [InlineData("""{"source":"inbox/no-such-face.jpg","input":"inbox/no-such-folder/","output":"outbox/x/"}""", "source", "no image at")]
    [InlineData("""not json""", "body", "not valid JSON")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{"faces":"reference"}}""", "options.references", "at least one reference")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{"faces":"reference","references":["faces/a.jpg"],"referenceDistance":0}}""", "options.referenceDistance", "(0, 2]")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{"faces":"reference","references":["faces/a.jpg"],"referenceDistance":2.5}}""", "options.referenceDistance", "(0, 2]")]
    [InlineData("""{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{"minFace":-1}}""", "options.minFace", "0 or more")]
    public async Task Invalid_requests_get_problem_details_naming_the_field(string body, string field, string message)
    {
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        using var response = await http.PostAsync("api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)problem["status"]!);
        var messages = problem["errors"]?[field]?.AsArray().Select(m => (string)m!).ToList();
        Assert.True(messages is not null, $"no error for '{field}' in {problem.ToJsonString()}");
        Assert.Contains(messages, m => m.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_jobs_are_404_everywhere()
    {
        using var http = Host.CreateClient(ApiHost.AdminKey);
        foreach (var (method, url) in new[]
                 {
                     (HttpMethod.Get, "api/jobs/no-such-job"), (HttpMethod.Get, "api/jobs/no-such-job/events"),
                     (HttpMethod.Get, "api/jobs/no-such-job/results"), (HttpMethod.Get, "api/jobs/no-such-job/gallery"),
                     (HttpMethod.Get, "api/jobs/no-such-job/thumbnail?path=a.jpg&side=input"),
                     (HttpMethod.Post, "api/jobs/no-such-job/cancel"), (HttpMethod.Post, "api/jobs/no-such-job/retry-failed"),
                     (HttpMethod.Get, "api/jobs/NOT%20AN%20ID"),
                 })
        {
            using var response = await http.SendAsync(new HttpRequestMessage(method, url));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {url}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task A_caller_chosen_job_id_makes_submitting_idempotent_and_refuses_a_different_spec()
    {
        var batch = await NewBatchAsync();
        await TestPhotos.UploadAsync(Host, batch.Input, 1);
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var jobId = "idem-" + Guid.NewGuid().ToString("N")[..10];

        var first = await http.PostAsJsonAsync("api/jobs", batch.Request() with { JobId = jobId }, FaceSwapJson.Options);
        var again = await http.PostAsJsonAsync("api/jobs", batch.Request() with { JobId = jobId }, FaceSwapJson.Options);
        var other = await http.PostAsJsonAsync("api/jobs", batch.Request() with { JobId = jobId, Options = new JobOptions { Quality = 50 } }, FaceSwapJson.Options);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(jobId, (await again.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        await ReadEventsAsync(http, jobId, null, int.MaxValue);
    }

    [Fact]
    public async Task A_source_image_without_a_usable_face_is_422_naming_the_source()
    {
        var batch = await NewBatchAsync();
        await TestPhotos.UploadAsync(Host, batch.Input, 1);
        using var gradient = new OpenCvSharp.Mat(400, 400, OpenCvSharp.MatType.CV_8UC3, new OpenCvSharp.Scalar(90, 140, 200));
        await Host.PutBytesAsync(batch.Source, ImageCodec.Encode(gradient, ImageFormat.Jpeg));
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        using var response = await http.PostAsJsonAsync("api/jobs", batch.Request(), FaceSwapJson.Options);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.NotNull(problem["errors"]?["source"]);
        var jobId = (string)problem["jobId"]!;
        var status = await http.GetFromJsonAsync<JobStatus>($"api/jobs/{jobId}", FaceSwapJson.Options);
        Assert.Equal(JobState.Failed, status!.State);
    }

    [Fact]
    public async Task Cancelling_mid_job_stops_it_with_images_left_undone()
    {
        var batch = await NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 16);
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var created = await SubmitAsync(http, batch.Request() with { Options = new JobOptions { BatchSize = 1, Prefetch = 1 } });

        using (var busy = await http.PostAsync($"api/jobs/{created.JobId}/retry-failed", null))
        {
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
        }

        await ReadEventsAsync(http, created.JobId, null, stopAfterImages: 1);
        using var cancel = await http.PostAsync($"api/jobs/{created.JobId}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(JobState.Cancelled, (await cancel.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.State);
        var events = await ReadEventsAsync(http, created.JobId, null, int.MaxValue);
        var final = StatusOf(events[^1]);
        Assert.Equal(JobState.Cancelled, final.State);
        var written = 0;
        foreach (var path in paths)
        {
            written += await Host.Store.GetPropertiesAsync(batch.Output + path) is null ? 0 : 1;
        }

        // Nothing new is dispatched after the cancel; the one image in flight (prefetch 1) may still finish after it.
        Assert.InRange(written, 1, paths.Count - 4);
        Assert.InRange(written, final.Counters.Ok, final.Counters.Ok + 1);
    }

    [Fact]
    public async Task Retry_failed_after_the_corrupt_file_is_replaced_swaps_it_and_only_it()
    {
        var batch = await NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 2);
        await Host.PutBytesAsync(batch.Input + "broken/bad.jpg", TestPhotos.Corrupt);
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var created = await SubmitAsync(http, batch.Request());
        var firstRun = await ReadEventsAsync(http, created.JobId, null, int.MaxValue);
        var first = StatusOf(firstRun[^1]);
        Assert.Equal((2L, 1L), (first.Counters.Ok, first.Counters.Failed));
        var failed = await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{created.JobId}/results?status=failed", FaceSwapJson.Options);
        var failure = Assert.Single(failed!.Items);
        Assert.Equal(("broken/bad.jpg", "not_an_image"), (failure.Path, failure.ErrorClass));

        await Host.PutBytesAsync(batch.Input + "broken/bad.jpg", TestPhotos.Small(1));
        using var retry = await http.PostAsync($"api/jobs/{created.JobId}/retry-failed", null);

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var secondRun = await ReadEventsAsync(http, created.JobId, firstRun[^1].Id, int.MaxValue);
        var retried = Assert.Single(ImagesOf(secondRun));
        Assert.Equal(("broken/bad.jpg", ImageStatus.Ok), (retried.Path, retried.Status));
        var final = StatusOf(secondRun[^1]);
        Assert.Equal((JobState.Completed, 3L, 0L, 3L), (final.State, final.Counters.Ok, final.Counters.Failed, final.Counters.Discovered));
        Assert.NotNull(await Host.Store.GetPropertiesAsync(batch.Output + "broken/bad.jpg"));
        var results = await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{created.JobId}/results", FaceSwapJson.Options);
        Assert.Equal(3, results!.Total);
        Assert.All(results.Items, r => Assert.Equal(ImageStatus.Ok, r.Status));
        Assert.Equal(paths.Append("broken/bad.jpg").Order(), results.Items.Select(r => r.Path).Order());
    }

    [Fact]
    public async Task An_event_stream_resumed_from_its_last_event_id_loses_and_repeats_nothing()
    {
        var batch = await NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 8);
        using var http = Host.CreateClient(ApiHost.ReadKey);
        using var submitter = Host.CreateClient(ApiHost.SubmitKey);
        var created = await SubmitAsync(submitter, batch.Request() with { Options = new JobOptions { BatchSize = 1, Prefetch = 2 } });

        var before = await ReadEventsAsync(http, created.JobId, null, stopAfterImages: 3);
        await Task.Delay(1500); // images keep finishing while nobody listens
        var after = await ReadEventsAsync(http, created.JobId, before[^1].Id, int.MaxValue);

        var seen = ImagesOf(before).Concat(ImagesOf(after)).Select(i => i.Path).ToList();
        Assert.Equal(paths.Order(), seen.Order());
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal("done", after[^1].Name);
        var ids = before.Concat(after).Select(e => long.Parse(e.Id!)).ToList();
        Assert.Equal(ids.Order(), ids);

        var statusOnly = await ReadEventsAsync(http, created.JobId, null, int.MaxValue, images: false);
        Assert.DoesNotContain(statusOnly, e => e.Name == "image");
        Assert.Equal(JobState.Completed, StatusOf(statusOnly[^1]).State);
    }

    [Fact]
    public async Task Results_page_through_outcomes_and_the_gallery_serves_real_thumbnails()
    {
        var batch = await NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 3);
        using var http = Host.CreateClient(ApiHost.ReadKey);
        using var submitter = Host.CreateClient(ApiHost.SubmitKey);
        var created = await SubmitAsync(submitter, batch.Request());
        await ReadEventsAsync(http, created.JobId, null, int.MaxValue);

        var page1 = await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{created.JobId}/results?limit=2", FaceSwapJson.Options);
        var page2 = await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{created.JobId}/results?limit=2&cursor={page1!.Next}", FaceSwapJson.Options);
        Assert.Equal((2, 3), (page1.Items.Count, page1.Total));
        Assert.Null(page2!.Next);
        Assert.Equal(paths.Order(), page1.Items.Concat(page2.Items).Select(i => i.Path).Order());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"api/jobs/{created.JobId}/results?status=great")).StatusCode);

        var gallery = await http.GetFromJsonAsync<List<GalleryItem>>($"api/jobs/{created.JobId}/gallery?count=2", FaceSwapJson.Options);
        Assert.Equal(2, gallery!.Count);
        foreach (var item in gallery)
        {
            using var before = ImageCodec.Decode(await http.GetByteArrayAsync(item.Before.TrimStart('/')));
            using var after = ImageCodec.Decode(await http.GetByteArrayAsync(item.After.TrimStart('/')));
            Assert.Equal((256, 256), (Math.Max(before.Width, before.Height), Math.Max(after.Width, after.Height)));
            Assert.Equal(before.Size(), after.Size());
            Assert.True(item.Faces > 0);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"api/jobs/{created.JobId}/thumbnail?side=input&path=../../secret.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/jobs/{created.JobId}/thumbnail?side=output&path=missing.jpg")).StatusCode);
    }

    [Fact]
    public async Task Results_the_review_filter_and_the_gallery_carry_each_faces_figures_and_the_openapi_document_describes_them()
    {
        // A source far smaller than the faces: the larger ones need review (source_small), so there is something to list.
        var batch = await NewBatchAsync();
        await Host.PutBytesAsync(batch.Source, TestPhotos.TinySource);
        await TestPhotos.UploadAsync(Host, batch.Input, 3);
        using var http = Host.CreateClient(ApiHost.ReadKey);
        using var submitter = Host.CreateClient(ApiHost.SubmitKey);
        var created = await SubmitAsync(submitter, batch.Request());
        var events = await ReadEventsAsync(http, created.JobId, null, int.MaxValue);
        var done = StatusOf(events[^1]);
        Assert.Equal(JobState.Completed, done.State);

        // Each image's outcome lists every swapped face with its figures; a face's similarity is written even when null.
        var raw = JsonNode.Parse(await http.GetStringAsync($"api/jobs/{created.JobId}/results"))!;
        foreach (var item in raw["items"]!.AsArray())
        {
            var faces = item!["faceOutcomes"]!.AsArray();
            Assert.Equal((int)item["faces"]!, faces.Count);
            Assert.All(faces, face => Assert.True(face!.AsObject().ContainsKey("similarity"), face.ToJsonString()));
        }

        var results = (await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{created.JobId}/results", FaceSwapJson.Options))!;
        var flagged = 0;
        foreach (var outcome in results.Items)
        {
            Assert.Equal(ImageStatus.Ok, outcome.Status);
            Assert.Equal(outcome.Faces, outcome.FaceOutcomes!.Count);
            foreach (var face in outcome.FaceOutcomes)
            {
                Assert.Equal(4, face.Box.Count);
                Assert.NotNull(face.SourceScale);
                if (face.Similarity is not null)
                {
                    Assert.NotNull(face.Tint);
                    Assert.NotNull(face.Shade);
                    Assert.NotNull(face.Detail);
                }

                Assert.Equal(face.SourceScale > FaceSwap.Engine.Pipeline.FaceReport.SoftSourceScale, face.Review?.Contains(ReviewReasons.SourceSmall) == true);
                Assert.Equal(face.NeedsReview, face.Review is { Count: > 0 });
            }

            Assert.Equal(outcome.FaceOutcomes.Count(f => f.NeedsReview), outcome.FacesToReview);
            Assert.Equal(outcome.FaceOutcomes.Count(f => f.Similarity is null), outcome.FacesLost);
            flagged += outcome.FacesToReview;
        }

        Assert.True(flagged > 0, "a source about a quarter of the size leaves soft faces to review");
        Assert.Equal(flagged, done.Counters.FacesToReview);
        Assert.Equal(results.Items.Sum(o => o.FacesLost), done.Counters.FacesLost);

        // results?review=true: only the images with faces to review, paged as results are.
        var review = (await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{created.JobId}/results?review=true&limit=1", FaceSwapJson.Options))!;
        var withReview = results.Items.Where(o => o.FacesToReview > 0).Select(o => o.Path).ToList();
        Assert.Equal(withReview.Count, review.Total);
        Assert.Equal(withReview[0], review.Items.Single().Path);
        Assert.Equal(withReview.Count > 1, review.Next is not null);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"api/jobs/{created.JobId}/results?review=maybe")).StatusCode);

        // The gallery's items carry the same faces, for the page's badges.
        var gallery = (await http.GetFromJsonAsync<List<GalleryItem>>($"api/jobs/{created.JobId}/gallery", FaceSwapJson.Options))!;
        Assert.Equal(results.Items.Count, gallery.Count);
        foreach (var item in gallery)
        {
            var outcome = results.Items.Single(o => o.Path == item.Path);
            Assert.Equal(outcome.FaceOutcomes, item.FaceOutcomes!, FaceComparer.Instance);
            Assert.Equal((outcome.FacesToReview, outcome.FacesLost), (item.FacesToReview, item.FacesLost));
        }

        // The OpenAPI document describes the per-face figures of results and gallery.
        var openApi = JsonNode.Parse(await http.GetStringAsync("openapi/v1.json"))!;
        var schema = openApi["components"]!["schemas"]!["FaceOutcome"]!["properties"]!.AsObject();
        Assert.Superset(new HashSet<string> { "box", "similarityBefore", "similarity", "tint", "shade", "detail", "sharpness", "sourceScale", "needsReview", "review" }, schema.Select(p => p.Key).ToHashSet());
        var resultsResponse = openApi["paths"]!["/api/jobs/{id}/results"]!["get"]!["responses"]!["200"]!.ToJsonString();
        Assert.Contains("ResultsPage", resultsResponse, StringComparison.Ordinal);
        Assert.Contains("\"review\"", openApi["paths"]!["/api/jobs/{id}/results"]!["get"]!["parameters"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("GalleryItem", openApi["paths"]!["/api/jobs/{id}/gallery"]!["get"]!["responses"]!["200"]!.ToJsonString(), StringComparison.Ordinal);
    }

    /// <summary>Two faces' outcomes are the same (records holding lists compare by reference).</summary>
    private sealed class FaceComparer : IEqualityComparer<FaceOutcome>
    {
        public static readonly FaceComparer Instance = new();

        public bool Equals(FaceOutcome? x, FaceOutcome? y) => JsonSerializer.Serialize(x, FaceSwapJson.Options) == JsonSerializer.Serialize(y, FaceSwapJson.Options);

        public int GetHashCode(FaceOutcome obj) => JsonSerializer.Serialize(obj, FaceSwapJson.Options).GetHashCode(StringComparison.Ordinal);
    }

    private static async Task<JobStatus> SubmitAsync(HttpClient http, SubmitJobRequest request)
    {
        using var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!;
    }

    private static async Task<List<SseEvent>> ReadEventsAsync(HttpClient http, string jobId, string? lastEventId, int stopAfterImages, bool images = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{jobId}/events?images={(images ? "true" : "false")}");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var timeout = new CancellationTokenSource(JobTimeout);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var imagesSeen = 0;
        var events = await ServerSentEvents.ReadAsync(response, e => e.Name == "done" || (e.Name == "image" && ++imagesSeen >= stopAfterImages), timeout.Token);
        Assert.All(events, e => Assert.False(string.IsNullOrEmpty(e.Id)));
        return events;
    }

    private static List<ImageOutcome> ImagesOf(IEnumerable<SseEvent> events) =>
        events.Where(e => e.Name == "image").Select(e => JsonSerializer.Deserialize<ImageOutcome>(e.Data, FaceSwapJson.Options)!).ToList();

    private static JobStatus StatusOf(SseEvent e) => JsonSerializer.Deserialize<JobStatus>(e.Data, FaceSwapJson.Options)!;

    private async Task<Batch> NewBatchAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var batch = new Batch($"faces/{id}/source.jpg", $"inbox/{id}/", $"outbox/{id}/");
        await Host.PutBytesAsync(batch.Source, TestPhotos.Small(3));
        return batch;
    }

    private sealed record Batch(string Source, string Input, string Output)
    {
        public SubmitJobRequest Request()
        {
            return new SubmitJobRequest { Source = Source, Input = Input, Output = Output };
        }
    }
}
