using System.Net;
using System.Text;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;

namespace FaceSwap.Client.Tests;

/// <summary>What the SDK does with answers it cannot get from a healthy server on demand: odd wire formats, 5xx, DI wiring.</summary>
public sealed class OfflineClientTests
{
    private static readonly Uri Server = new("http://faceswap.test/");

    [Fact]
    public async Task The_event_stream_parser_follows_the_format_comments_crlf_multiline_data_and_unknown_events()
    {
        var status = """{"jobId":"j1","state":"running","counters":{"discovered":2,"ok":1}}""";
        var image = """{"path":"a/b.jpg","status":"no_face","faces":0}""";
        var split = image.IndexOf(',', StringComparison.Ordinal) + 1; // two data lines, joined by '\n'
        var done = """{"jobId":"j1","state":"completed","counters":{"discovered":2,"ok":1,"noFace":1}}""";
        var body = "\uFEFFretry: 5\r\n\r\n: keep-alive\r\n\r\n"
                   + $"event: status\r\nid: 10\r\ndata: {status}\r\n\r\n"
                   + "event: future-kind\nid: 11\ndata: ignored\n\n"
                   + $"event: image\nid: 42\ndata:{image[..split]}\ndata: {image[split..]}\n\n"
                   + $"event: done\nid: 42\ndata: {done}\n\n"
                   + "event: status\nid: 43\ndata: {}\n\n";
        var handler = new ScriptedHandler(_ => Stream(body));
        using var client = new FaceSwapClient(new HttpClient(handler), new FaceSwapClientOptions { BaseAddress = Server, ApiKey = "k" });

        var events = await CollectAsync(client.WatchAsync("j1"));

        Assert.Equal([JobEventKind.Status, JobEventKind.Image, JobEventKind.Done], events.Select(e => e.Kind));
        Assert.Equal(["10", "42", "42"], events.Select(e => e.Id));
        Assert.Equal(1, events[0].Status!.Counters.Ok);
        Assert.Equal(("a/b.jpg", ImageStatus.NoFace), (events[1].Image!.Path, events[1].Image!.Status));
        Assert.Equal(JobState.Completed, events[2].Status!.State);
        var request = Assert.Single(handler.Requests);
        Assert.Equal("http://faceswap.test/api/jobs/j1/events?images=true", request.Uri);
        Assert.Equal(("k", "text/event-stream", null), (request.ApiKey, request.Accept, request.LastEventId));
    }

    [Fact]
    public async Task A_dropped_stream_and_a_503_are_reconnected_from_the_last_event_id()
    {
        var handler = new ScriptedHandler(
            // Cut inside an event's data: the half event must be dropped, not parsed.
            _ => Stream("event: status\nid: 7\ndata: {\"jobId\":\"j2\",\"state\":\"running\"}\n\nevent: image\nid: 9\ndata: {\"path\":\"x"),
            _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("""{"title":"Busy","status":503}""", Encoding.UTF8, "application/problem+json") },
            _ => Stream("event: image\nid: 30\ndata: {\"path\":\"x.jpg\",\"status\":\"ok\",\"faces\":2}\n\nevent: done\nid: 30\ndata: {\"jobId\":\"j2\",\"state\":\"completed\"}\n\n"));
        var options = new FaceSwapClientOptions { BaseAddress = Server, ReconnectDelay = TimeSpan.FromMilliseconds(10) };
        using var client = new FaceSwapClient(new HttpClient(handler), options);

        var events = await CollectAsync(client.WatchAsync("j2", includeImages: false, lastEventId: "3"));

        Assert.Equal([JobEventKind.Status, JobEventKind.Image, JobEventKind.Done], events.Select(e => e.Kind));
        Assert.Equal(["3", "7", "7"], handler.Requests.Select(r => r.LastEventId));
        Assert.All(handler.Requests, r => Assert.EndsWith("events?images=false", r.Uri, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stream_that_goes_silent_is_taken_for_dead_and_reconnected_from_its_last_event()
    {
        var silent = new System.IO.Pipelines.Pipe();
        await silent.Writer.WriteAsync(Encoding.UTF8.GetBytes("event: status\nid: 5\ndata: {\"jobId\":\"j6\",\"state\":\"running\"}\n\n"));
        var handler = new ScriptedHandler(
            _ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(silent.Reader.AsStream()) { Headers = { { "Content-Type", "text/event-stream" } } } },
            _ => Stream("event: done\nid: 6\ndata: {\"jobId\":\"j6\",\"state\":\"completed\"}\n\n"));
        var options = new FaceSwapClientOptions { BaseAddress = Server, StreamIdleTimeout = TimeSpan.FromMilliseconds(300), ReconnectDelay = TimeSpan.FromMilliseconds(10) };
        using var client = new FaceSwapClient(new HttpClient(handler), options);

        var events = await CollectAsync(client.WatchAsync("j6"));

        Assert.Equal([JobEventKind.Status, JobEventKind.Done], events.Select(e => e.Kind));
        Assert.Equal([null, "5"], handler.Requests.Select(r => r.LastEventId));
        await silent.Writer.CompleteAsync();
    }

    [Fact]
    public async Task A_stream_that_keeps_failing_gives_up_after_the_configured_attempts()
    {
        var handler = new ScriptedHandler(_ => throw new HttpRequestException("connection refused"));
        var options = new FaceSwapClientOptions { BaseAddress = Server, ReconnectDelay = TimeSpan.FromMilliseconds(1), MaxReconnectAttempts = 3 };
        using var client = new FaceSwapClient(new HttpClient(handler), options);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => new JobOperation(client, "j3").WaitForCompletionAsync());

        Assert.Equal("connection refused", error.Message);
        Assert.Equal(4, handler.Requests.Count);
    }

    [Fact]
    public async Task A_problem_answer_keeps_its_extensions_and_a_non_json_error_its_text()
    {
        var handler = new ScriptedHandler(
            _ => new HttpResponseMessage(HttpStatusCode.UnprocessableEntity)
            {
                Content = new StringContent("""{"title":"The source face cannot be used","status":422,"detail":"no face","jobId":"j4","errors":{"source":["no face"]},"traceId":"00-ab"}""", Encoding.UTF8, "application/problem+json"),
            },
            _ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>bad gateway</html>", Encoding.UTF8, "text/html") });
        using var client = new FaceSwapClient(new HttpClient(handler), new FaceSwapClientOptions { BaseAddress = Server });

        var unusable = await Assert.ThrowsAsync<FaceSwapValidationException>(() => client.SubmitJobAsync(new SubmitJobRequest { Source = "a/b.jpg", Input = "c/", Output = "d/" }));
        var gateway = await Assert.ThrowsAsync<FaceSwapRequestFailedException>(() => CollectAsync(client.GetJobsAsync()));

        Assert.Equal(("j4", "no face", 422), (unusable.JobId, unusable.Detail, unusable.Status));
        Assert.Equal(["no face"], unusable.Errors["source"]);
        Assert.Equal("00-ab", unusable.Extensions["traceId"].GetString());
        Assert.Equal("The source face cannot be used (422): no face", unusable.Message);
        Assert.Equal((HttpStatusCode.BadGateway, "<html>bad gateway</html>", null), (gateway.StatusCode, gateway.Detail, gateway.ErrorCode));
        Assert.Null(unusable.ErrorCode);

        // The client chose the job id before sending, so a retry of that POST could only find the same job.
        var sent = System.Text.Json.Nodes.JsonNode.Parse(handler.Requests[0].Body!)!;
        Assert.True(JobIds.IsValid((string?)sent["jobId"]), sent.ToJsonString());
    }

    [Fact]
    public async Task The_error_code_comes_from_the_problems_code_or_the_first_refused_fields_code()
    {
        var handler = new ScriptedHandler(
            _ => Problem(HttpStatusCode.UnprocessableEntity, """{"title":"No thumbnail for this image","status":422,"code":"image_too_large"}"""),
            _ => Problem(HttpStatusCode.BadRequest, """{"title":"One or more validation errors occurred.","status":400,"errors":{"output":["inside the input"]},"codes":{"output":"output_overlaps_input"}}"""));
        using var client = new FaceSwapClient(new HttpClient(handler), new FaceSwapClientOptions { BaseAddress = Server });

        var thumbnail = await Assert.ThrowsAsync<FaceSwapValidationException>(() => client.GetThumbnailAsync("/api/jobs/j5/thumbnail?side=input&path=a.jpg"));
        var refused = await Assert.ThrowsAsync<FaceSwapValidationException>(() => client.SubmitJobAsync(new SubmitJobRequest { Source = "a/b.jpg", Input = "c/", Output = "c/d/" }));

        Assert.Equal((422, "image_too_large"), (thumbnail.Status, thumbnail.ErrorCode));
        Assert.Equal((400, "output_overlaps_input"), (refused.Status, refused.ErrorCode));
        Assert.Equal(["inside the input"], refused.Errors["output"]);
    }

    [Fact]
    public async Task Ordinary_calls_are_retried_by_the_options_pipeline_and_the_jobs_pageable_follows_the_cursor()
    {
        var handler = new ScriptedHandler(
            _ => Problem(HttpStatusCode.ServiceUnavailable, """{"title":"Busy","status":503}"""),
            _ => Json("""{"items":[{"jobId":"a"},{"jobId":"b"}],"next":"c1"}"""),
            _ => Json("""{"items":[{"jobId":"c"}],"next":null}"""));
        var services = new ServiceCollection();
        services.AddFaceSwapClient(o =>
        {
            o.BaseAddress = Server;
            o.Retry.Delay = TimeSpan.FromMilliseconds(10);
        }).ConfigurePrimaryHttpMessageHandler(() => handler);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<FaceSwapClient>();

        var jobs = await CollectAsync(client.GetJobsAsync());

        Assert.Equal(["a", "b", "c"], jobs.Select(j => j.JobId));
        Assert.Equal(
            ["http://faceswap.test/api/jobs", "http://faceswap.test/api/jobs", "http://faceswap.test/api/jobs?cursor=c1"],
            handler.Requests.Select(r => r.Uri));
    }

    [Fact]
    public void Options_out_of_range_are_refused_by_the_options_validation()
    {
        var options = new FaceSwapClientOptions { Timeout = TimeSpan.Zero };
        options.Retry.MaxRetries = -1;

        var refused = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new FaceSwapClient(Server, "key", options));

        Assert.Contains(refused.Failures, f => f.Contains(nameof(FaceSwapClientOptions.Timeout), StringComparison.Ordinal));
        Assert.Contains(refused.Failures, f => f.Contains(nameof(FaceSwapRetryOptions.MaxRetries), StringComparison.Ordinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaceSwapClientOptions((FaceSwapClientOptions.ServiceVersion)99));
    }

    [Fact]
    public void AddFaceSwapClient_gives_the_stream_no_timeout_and_no_resilience_handler_even_with_client_defaults()
    {
        var services = new ServiceCollection();
        services.ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler());
        services.AddFaceSwapClient(o => (o.BaseAddress, o.ApiKey) = (new Uri("http://faceswap.test:5000"), "key"));
        using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IHttpClientFactory>();
        var handlers = provider.GetRequiredService<IHttpMessageHandlerFactory>();

        var client = provider.GetRequiredService<FaceSwapClient>();
        using var streaming = clients.CreateClient(FaceSwapClientServiceCollectionExtensions.StreamingHttpClientName);

        Assert.Equal(new Uri("http://faceswap.test:5000/"), client.BaseAddress);
        Assert.Equal(Timeout.InfiniteTimeSpan, streaming.Timeout);
        Assert.DoesNotContain(Chain(handlers.CreateHandler(FaceSwapClientServiceCollectionExtensions.StreamingHttpClientName)), h => h is ResilienceHandler);
        Assert.Contains(Chain(handlers.CreateHandler(FaceSwapClientServiceCollectionExtensions.HttpClientName)), h => h is ResilienceHandler);
    }

    private static IEnumerable<HttpMessageHandler> Chain(HttpMessageHandler handler)
    {
        for (HttpMessageHandler? h = handler; h is not null; h = (h as DelegatingHandler)?.InnerHandler)
        {
            yield return h;
        }
    }

    private static HttpResponseMessage Problem(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/problem+json") };

    private static HttpResponseMessage Json(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Stream(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, new UTF8Encoding(false), "text/event-stream") };

    private static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>What a request carried.</summary>
    private sealed record Seen(string Uri, string? ApiKey, string? Accept, string? LastEventId, string? Body);

    /// <summary>Answers the n-th request with the n-th script (the last one again after that).</summary>
    private sealed class ScriptedHandler(params Func<HttpRequestMessage, HttpResponseMessage>[] scripts) : HttpMessageHandler
    {
        public List<Seen> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string? Header(string name) => request.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add(new Seen(request.RequestUri!.ToString(), Header(FaceSwapClient.ApiKeyHeader), Header("Accept"), Header("Last-Event-ID"), body));
            return scripts[Math.Min(Requests.Count - 1, scripts.Length - 1)](request);
        }
    }
}
