using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace FaceSwap.Client;

/// <summary>
/// A client of the FaceSwap.Orleans REST API (<c>/api</c>): submit jobs, follow them live over server-sent events, list,
/// cancel and retry them, read their results. Thread-safe; one instance per server is enough.
/// </summary>
/// <remarks>
/// <para>
/// Errors of the API come as <see cref="FaceSwapApiException"/> (or a subclass per status) carrying the problem details;
/// network failures as <see cref="HttpRequestException"/>.
/// </para>
/// <para>
/// Two HTTP clients do the work: one for ordinary calls, which may retry and time out (a retried submit is safe
/// because <see cref="SubmitAsync"/> fixes the job id before the first attempt), and one for the event stream, which
/// must never be cut by a request timeout; <see cref="WatchAsync"/> reconnects it itself.
/// </para>
/// </remarks>
public sealed class FaceSwapClient : IDisposable
{
    /// <summary>The request header carrying the API key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    private const string LastEventIdHeader = "Last-Event-ID";

    private readonly HttpClient http;
    private readonly HttpClient streaming;
    private readonly FaceSwapClientOptions options;
    private readonly IDisposable[] owned;

    /// <summary>
    /// A client for scripts and tools: its own connection pool, retries of transient failures (exponential backoff,
    /// 3 retries, 30 s per attempt, 100 s in all) for ordinary calls and an event stream without a time limit.
    /// </summary>
    /// <param name="baseAddress">The server, e.g. <c>http://localhost:5000/</c>.</param>
    /// <param name="apiKey">The API key (sent in <c>X-Api-Key</c>).</param>
    public FaceSwapClient(Uri baseAddress, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        options = new FaceSwapClientOptions { BaseAddress = baseAddress, ApiKey = apiKey };
        BaseAddress = Normalize(baseAddress);
        var sockets = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        var resilient = new ResilienceHandler(DefaultPipeline()) { InnerHandler = sockets };
        http = new HttpClient(resilient, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(100) };
        streaming = new HttpClient(sockets, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        owned = [http, streaming];
    }

    /// <summary>
    /// A client over HTTP clients made elsewhere (an <see cref="IHttpClientFactory"/>, a test's handler). Neither is
    /// disposed with this client.
    /// </summary>
    /// <param name="httpClient">For ordinary calls; may carry resilience handlers and a timeout.</param>
    /// <param name="options">The server and key; the server defaults to <paramref name="httpClient"/>'s base address.</param>
    /// <param name="streamingHttpClient">
    /// For the event stream; it must not time out (<see cref="Timeout.InfiniteTimeSpan"/>, no resilience timeout).
    /// Null: <paramref name="httpClient"/>, which is then expected to have no timeout either.
    /// </param>
    public FaceSwapClient(HttpClient httpClient, FaceSwapClientOptions? options = null, HttpClient? streamingHttpClient = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        this.options = options ?? new FaceSwapClientOptions();
        var baseAddress = this.options.BaseAddress ?? httpClient.BaseAddress
            ?? throw new ArgumentException("Neither the options nor the HTTP client name the server (BaseAddress).", nameof(options));
        BaseAddress = Normalize(baseAddress);
        http = httpClient;
        streaming = streamingHttpClient ?? httpClient;
        owned = [];
    }

    /// <summary>The server's address (ending in '/'); the API is under its <c>api/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// Creates and starts a job (<c>POST /api/jobs</c>). When <paramref name="request"/> has no
    /// <see cref="SubmitJobRequest.JobId"/> the client picks one (<see cref="JobIds.New"/>) before sending, so a retried
    /// request finds the job its first attempt created instead of starting a second one.
    /// </summary>
    /// <param name="request">Source, input, output and options.</param>
    /// <param name="cancellationToken">Cancels the call (not the job).</param>
    /// <returns>
    /// The job's status, usually <see cref="JobState.Running"/>. Submitting the id of an existing job with the same spec
    /// returns that job as it is now (possibly finished, or <see cref="JobState.Failed"/> if it could not start).
    /// </returns>
    /// <exception cref="FaceSwapValidationException">
    /// 400 naming each bad field; 422 when the source face cannot be used (<see cref="FaceSwapApiException.JobId"/> names
    /// the failed job).
    /// </exception>
    /// <exception cref="FaceSwapConflictException">The job id exists with another spec.</exception>
    public async Task<JobStatus> SubmitAsync(SubmitJobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = string.IsNullOrEmpty(request.JobId) ? request with { JobId = JobIds.New() } : request;
        return await SendAsync<JobStatus>(HttpMethod.Post, "api/jobs", JsonContent.Create(body, options: FaceSwapJson.Options), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The status of a job (<c>GET /api/jobs/{id}</c>).</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job's status.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public Task<JobStatus> GetAsync(string jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobStatus>(HttpMethod.Get, JobPath(jobId), null, cancellationToken);

    /// <summary>One page of jobs, newest first (<c>GET /api/jobs</c>).</summary>
    /// <param name="limit">Jobs per page (1 to 200; the server's default is 20).</param>
    /// <param name="cursor">The <see cref="JobList.Next"/> of the previous page; null for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public Task<JobList> ListAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        SendAsync<JobList>(HttpMethod.Get, "api/jobs" + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)), null, cancellationToken);

    /// <summary>Stops a job (<c>POST /api/jobs/{id}/cancel</c>): nothing more is dispatched; images in flight finish.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job's status, <see cref="JobState.Cancelled"/> unless it had already ended.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public Task<JobStatus> CancelAsync(string jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobStatus>(HttpMethod.Post, JobPath(jobId) + "/cancel", null, cancellationToken);

    /// <summary>Runs the images whose latest outcome failed again (<c>POST /api/jobs/{id}/retry-failed</c>).</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job's status, running again when there was anything to retry.</returns>
    /// <exception cref="FaceSwapConflictException">The job is still running.</exception>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public Task<JobStatus> RetryFailedAsync(string jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobStatus>(HttpMethod.Post, JobPath(jobId) + "/retry-failed", null, cancellationToken);

    /// <summary>One page of a job's results: the latest outcome of each image in finishing order (<c>GET /api/jobs/{id}/results</c>).</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="status">Only outcomes with this status; null for all.</param>
    /// <param name="limit">Outcomes per page (1 to 1000; the server's default is 100).</param>
    /// <param name="cursor">The <see cref="ResultsPage.Next"/> of the previous page; null for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page, with the total number of matching outcomes.</returns>
    public Task<ResultsPage> GetResultsAsync(string jobId, ImageStatus? status = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        SendAsync<ResultsPage>(
            HttpMethod.Get,
            JobPath(jobId) + "/results" + Query(("status", status is { } s ? ToWire(s) : null), ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)),
            null,
            cancellationToken);

    /// <summary>
    /// One page of the images with faces that need a look (<c>GET /api/jobs/{id}/results?review=true</c>): each
    /// outcome's <see cref="ImageOutcome.FaceOutcomes"/> says which faces and why (<see cref="FaceOutcome.Review"/>).
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="limit">Outcomes per page (1 to 1000; the server's default is 100).</param>
    /// <param name="cursor">The <see cref="ResultsPage.Next"/> of the previous page; null for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page, with the total number of images that have faces to review.</returns>
    public Task<ResultsPage> GetReviewAsync(string jobId, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        SendAsync<ResultsPage>(
            HttpMethod.Get,
            JobPath(jobId) + "/results" + Query(("review", "true"), ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)),
            null,
            cancellationToken);

    /// <summary>Swapped images spread over the job, with thumbnail URLs (<c>GET /api/jobs/{id}/gallery</c>).</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="count">How many (1 to 64; the server's default is 8).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Up to <paramref name="count"/> items; fetch their thumbnails with <see cref="GetThumbnailAsync"/>.</returns>
    public async Task<IReadOnlyList<GalleryItem>> GetGalleryAsync(string jobId, int? count = null, CancellationToken cancellationToken = default) =>
        await SendAsync<List<GalleryItem>>(HttpMethod.Get, JobPath(jobId) + "/gallery" + Query(("count", count?.ToString(CultureInfo.InvariantCulture))), null, cancellationToken).ConfigureAwait(false);

    /// <summary>The JPEG bytes of a thumbnail URL of a <see cref="GalleryItem"/> (the API key is sent with it).</summary>
    /// <param name="thumbnailUrl">A <see cref="GalleryItem.Before"/> or <see cref="GalleryItem.After"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The JPEG.</returns>
    public async Task<byte[]> GetThumbnailAsync(string thumbnailUrl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(thumbnailUrl);
        using var request = NewRequest(HttpMethod.Get, thumbnailUrl.TrimStart('/'), "image/jpeg");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Who the API key belongs to and its role (<c>GET /api/whoami</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The caller.</returns>
    public Task<CallerInfo> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        SendAsync<CallerInfo>(HttpMethod.Get, "api/whoami", null, cancellationToken);

    /// <summary>
    /// Follows a job live (<c>GET /api/jobs/{id}/events</c>): <see cref="JobEventKind.Status"/> events as it progresses,
    /// one <see cref="JobEventKind.Image"/> event per finished image, and a last <see cref="JobEventKind.Done"/> event
    /// with the final status, after which the sequence ends.
    /// </summary>
    /// <remarks>
    /// A dropped connection, a stream that goes silent for <see cref="FaceSwapClientOptions.StreamIdleTimeout"/> or a
    /// transient server error is reconnected after a short backoff with <c>Last-Event-ID</c> set to the last event's
    /// id, so no image event is lost or repeated. After <see cref="FaceSwapClientOptions.MaxReconnectAttempts"/> failed
    /// attempts in a row the last error is thrown. To resume later, pass the <see cref="JobEvent.Id"/> of the last
    /// event handled as <paramref name="lastEventId"/>.
    /// </remarks>
    /// <param name="jobId">The job.</param>
    /// <param name="includeImages">Whether to receive image events (false: status and done only).</param>
    /// <param name="lastEventId">Resume after this event id; null starts at the job's first image.</param>
    /// <param name="cancellationToken">Stops following (not the job).</param>
    /// <returns>The events, ending with the done event.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public async IAsyncEnumerable<JobEvent> WatchAsync(
        string jobId,
        bool includeImages = true,
        string? lastEventId = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var path = JobPath(jobId) + "/events?images=" + (includeImages ? "true" : "false");
        TimeSpan? serverRetry = null;
        var failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Exception? failure = null;
            var progressed = false;
            HttpResponseMessage? response = null;
            try
            {
                response = await ConnectAsync(path, lastEventId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                failure = e;
            }

            if (response is not null)
            {
                using (response)
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    ServerSentEventReader? reader = null;
                    try
                    {
                        idle.CancelAfter(options.StreamIdleTimeout);
                        var stream = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
                        reader = new ServerSentEventReader(stream) { Alive = () => idle.CancelAfter(options.StreamIdleTimeout) };
                    }
                    catch (Exception e) when (IsTransient(e, cancellationToken))
                    {
                        failure = e;
                    }

                    while (reader is not null)
                    {
                        ServerSentEvent? received = null;
                        try
                        {
                            received = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
                        }
                        catch (Exception e) when (IsTransient(e, cancellationToken))
                        {
                            failure = e;
                        }

                        serverRetry = reader.Retry ?? serverRetry;
                        if (received is null)
                        {
                            // The stream ended (or broke) before the done event: reconnect from the last event.
                            failure ??= new HttpIOException(HttpRequestError.ResponseEnded, "The event stream ended before the job's done event.");
                            break;
                        }

                        progressed = true;
                        lastEventId = received.Id ?? lastEventId;
                        if (ToJobEvent(received) is not { } jobEvent)
                        {
                            continue;
                        }

                        yield return jobEvent;
                        if (jobEvent.Kind == JobEventKind.Done)
                        {
                            yield break;
                        }
                    }
                }
            }

            failures = progressed ? 1 : failures + 1;
            if (failures > options.MaxReconnectAttempts)
            {
                throw failure ?? new HttpIOException(HttpRequestError.ResponseEnded, "The event stream keeps failing.");
            }

            var first = options.ReconnectDelay ?? serverRetry ?? TimeSpan.FromSeconds(1);
            var delay = TimeSpan.FromTicks(Math.Min(options.MaxReconnectDelay.Ticks, first.Ticks * (1L << Math.Min(failures - 1, 16))));
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until a job ends (following its event stream without image events) and returns its final status.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="progress">Told each status as the job progresses, the final one included.</param>
    /// <param name="cancellationToken">Stops waiting (not the job).</param>
    /// <returns>The final status: completed, failed or cancelled.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public async Task<JobStatus> WaitForCompletionAsync(string jobId, IProgress<JobStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        await foreach (var jobEvent in WatchAsync(jobId, includeImages: false, lastEventId: null, cancellationToken).ConfigureAwait(false))
        {
            if (jobEvent.Status is { } status)
            {
                progress?.Report(status);
                if (jobEvent.Kind == JobEventKind.Done)
                {
                    return status;
                }
            }
        }

        // WatchAsync only ends after the done event.
        throw new InvalidOperationException($"The event stream of job '{jobId}' ended without a done event.");
    }

    /// <summary>Disposes the HTTP clients this instance made itself (none when it was given them).</summary>
    public void Dispose()
    {
        foreach (var disposable in owned)
        {
            disposable.Dispose();
        }
    }

    private async Task<HttpResponseMessage> ConnectAsync(string path, string? lastEventId, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Get, path, "text/event-stream");
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        if (!string.IsNullOrEmpty(lastEventId))
        {
            request.Headers.TryAddWithoutValidation(LastEventIdHeader, lastEventId);
        }

        var response = await streaming.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                throw new FaceSwapApiException(response.StatusCode, "Not an event stream", $"the server answered with '{response.Content.Headers.ContentType}' instead of text/event-stream");
            }

            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static JobEvent? ToJobEvent(ServerSentEvent received) => received.Name switch
    {
        "status" => new JobEvent(JobEventKind.Status, received.Id, Parse<JobStatus>(received), null),
        "image" => new JobEvent(JobEventKind.Image, received.Id, null, Parse<ImageOutcome>(received)),
        "done" => new JobEvent(JobEventKind.Done, received.Id, Parse<JobStatus>(received), null),
        _ => null, // an event type this client does not know yet
    };

    private static T Parse<T>(ServerSentEvent received) =>
        JsonSerializer.Deserialize<T>(received.Data, FaceSwapJson.Options)
        ?? throw new JsonException($"The '{received.Name}' event {received.Id} has no data.");

    /// <summary>Failures worth reconnecting after: network errors, timeouts, 408, 429 and 5xx answers.</summary>
    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException or IOException => true,
        FaceSwapApiException api => api.Status is 408 or 429 or >= 500,
        _ => false,
    };

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, path, "application/json");
        request.Content = content;
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(FaceSwapJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new FaceSwapApiException(response.StatusCode, "Empty answer", $"{method} {path} answered {(int)response.StatusCode} without a body");
        }
        catch (JsonException e)
        {
            throw new FaceSwapApiException(response.StatusCode, "Unreadable answer", $"{method} {path}: {e.Message}");
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path, string accept)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseAddress, path));
        request.Headers.Accept.ParseAdd(accept);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            request.Headers.TryAddWithoutValidation(ApiKeyHeader, options.ApiKey);
        }

        return request;
    }

    /// <summary>Throws the <see cref="FaceSwapApiException"/> an error answer describes.</summary>
    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            body = string.Empty;
        }

        throw ProblemFrom(response, body);
    }

    private static FaceSwapApiException ProblemFrom(HttpResponseMessage response, string body)
    {
        var status = response.StatusCode;
        var reason = response.ReasonPhrase ?? status.ToString();
        JsonElement root;
        try
        {
            root = body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            root = default;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            var text = body.Trim();
            return FaceSwapApiException.Create(status, reason, text.Length == 0 ? null : text.Length > 300 ? text[..300] + "..." : text);
        }

        string? title = null, detail = null, type = null;
        Dictionary<string, string[]>? errors = null;
        var extensions = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in root.EnumerateObject())
        {
            switch (member.Name)
            {
                case "title":
                    title = AsString(member.Value);
                    break;
                case "detail":
                    detail = AsString(member.Value);
                    break;
                case "type":
                    type = AsString(member.Value);
                    break;
                case "status":
                    break;
                case "errors" when member.Value.ValueKind == JsonValueKind.Object:
                    errors = member.Value.EnumerateObject().ToDictionary(
                        e => e.Name,
                        e => e.Value.ValueKind == JsonValueKind.Array
                            ? e.Value.EnumerateArray().Select(m => AsString(m) ?? m.GetRawText()).ToArray()
                            : [AsString(e.Value) ?? e.Value.GetRawText()],
                        StringComparer.Ordinal);
                    break;
                default:
                    extensions[member.Name] = member.Value.Clone();
                    break;
            }
        }

        return FaceSwapApiException.Create(status, title ?? reason, detail, errors, extensions, type);
    }

    private static string? AsString(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string JobPath(string jobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (!JobIds.IsValid(jobId))
        {
            throw new ArgumentException($"'{jobId}' is not a job id (1 to 64 of a-z, 0-9, '-' and '_').", nameof(jobId));
        }

        return "api/jobs/" + jobId;
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)).ToList();
        return present.Count == 0 ? string.Empty : "?" + string.Join('&', present);
    }

    private static string ToWire(ImageStatus status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    private static Uri Normalize(Uri baseAddress)
    {
        if (!baseAddress.IsAbsoluteUri)
        {
            throw new ArgumentException($"'{baseAddress}' is not an absolute URL.", nameof(baseAddress));
        }

        return baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
    }

    /// <summary>What the script constructor does between its calls and the network: retries with backoff, a time limit per attempt.</summary>
    private static ResiliencePipeline<HttpResponseMessage> DefaultPipeline() =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = 3, BackoffType = DelayBackoffType.Exponential, UseJitter = true, Delay = TimeSpan.FromSeconds(1) })
            .AddTimeout(new HttpTimeoutStrategyOptions { Timeout = TimeSpan.FromSeconds(30) })
            .Build();
}
