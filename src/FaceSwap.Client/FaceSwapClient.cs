using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace FaceSwap.Client;

/// <summary>
/// A client of the FaceSwap.Orleans REST API (<c>/api</c>): submit jobs and follow them as operations or live over
/// server-sent events, page through jobs and results, cancel and retry. Thread-safe; one instance per server is enough.
/// </summary>
/// <remarks>
/// <para>
/// Errors of the API come as <see cref="FaceSwapRequestFailedException"/> (or a subclass per status) carrying the
/// status, the service's error code and the problem details; network failures as <see cref="HttpRequestException"/>.
/// </para>
/// <para>
/// Two HTTP clients do the work: one for ordinary calls, which retries and times out as
/// <see cref="FaceSwapClientOptions.Retry"/> says (a retried submit is safe because <see cref="SubmitJobAsync"/> fixes
/// the job id before the first attempt), and one for the event stream, which must never be cut by a request timeout;
/// <see cref="WatchAsync"/> reconnects it itself.
/// </para>
/// <para>
/// Every member is virtual and there is a protected parameterless constructor, so a test can mock the client (e.g.
/// with Moq) and return <see cref="JobOperation"/>s and <see cref="AsyncPageable{T}.FromPages"/> of its own.
/// </para>
/// </remarks>
public class FaceSwapClient : IDisposable
{
    /// <summary>The request header carrying the API key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    private const string LastEventIdHeader = "Last-Event-ID";

    private readonly HttpClient http = null!;
    private readonly HttpClient streaming = null!;
    private readonly FaceSwapClientOptions options = null!;
    private readonly ResiliencePipeline reconnect = ResiliencePipeline.Empty;
    private readonly IDisposable[] owned = [];
    private readonly Uri? baseAddress;
    private readonly string? apiKey;

    /// <summary>
    /// A client for scripts and tools: its own connection pool; ordinary calls retried and timed out as
    /// <paramref name="options"/> says (by default 3 retries with exponential backoff, 30 s per attempt, 100 s in all);
    /// an event stream without a time limit.
    /// </summary>
    /// <param name="baseAddress">The server, e.g. <c>http://localhost:5000/</c> (the options' <see cref="FaceSwapClientOptions.BaseAddress"/> is not used).</param>
    /// <param name="apiKey">The API key, sent in <c>X-Api-Key</c> (the options' <see cref="FaceSwapClientOptions.ApiKey"/> is not used).</param>
    /// <param name="options">Version, retries, time limits and reconnection; null for the defaults.</param>
    /// <exception cref="OptionsValidationException">A setting in <paramref name="options"/> is out of range.</exception>
    public FaceSwapClient(Uri baseAddress, string apiKey, FaceSwapClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        this.options = Validated(options ?? new FaceSwapClientOptions());
        this.baseAddress = Normalize(baseAddress);
        this.apiKey = apiKey;
        var sockets = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        var resilient = new ResilienceHandler(FaceSwapResilience.Build(this.options)) { InnerHandler = sockets };
        http = new HttpClient(resilient, disposeHandler: true) { Timeout = this.options.Timeout };
        streaming = new HttpClient(sockets, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        reconnect = JobEventStream.Pipeline(this.options);
        owned = [http, streaming];
    }

    /// <summary>
    /// A client over HTTP clients made elsewhere (an <see cref="IHttpClientFactory"/>, a test's handler), which bring
    /// their own retries and time limits. Neither is disposed with this client.
    /// </summary>
    /// <param name="httpClient">For ordinary calls; may carry resilience handlers and a timeout.</param>
    /// <param name="options">The server, key and reconnection settings; the server defaults to <paramref name="httpClient"/>'s base address.</param>
    /// <param name="streamingHttpClient">
    /// For the event stream; it must not time out (<see cref="Timeout.InfiniteTimeSpan"/>, no resilience timeout).
    /// Null: <paramref name="httpClient"/>, which is then expected to have no timeout either.
    /// </param>
    /// <exception cref="OptionsValidationException">A setting in <paramref name="options"/> is out of range.</exception>
    public FaceSwapClient(HttpClient httpClient, FaceSwapClientOptions? options = null, HttpClient? streamingHttpClient = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        this.options = Validated(options ?? new FaceSwapClientOptions());
        var server = this.options.BaseAddress ?? httpClient.BaseAddress
            ?? throw new ArgumentException("Neither the options nor the HTTP client name the server (BaseAddress).", nameof(options));
        baseAddress = Normalize(server);
        apiKey = this.options.ApiKey;
        http = httpClient;
        streaming = streamingHttpClient ?? httpClient;
        reconnect = JobEventStream.Pipeline(this.options);
    }

    /// <summary>For mocking: a client with no server, whose members are set up by the mock.</summary>
    protected FaceSwapClient()
    {
    }

    /// <summary>The server's address (ending in '/'); the API is under its <c>api/</c>.</summary>
    public virtual Uri BaseAddress => baseAddress ?? throw new InvalidOperationException("A mocked client has no server.");

    /// <summary>
    /// Creates and starts a job (<c>POST /api/jobs</c>) and returns it as an operation to wait for. When
    /// <paramref name="request"/> has no <see cref="SubmitJobRequest.JobId"/> the client picks one
    /// (<see cref="JobIds.New"/>) before sending, so a retried request finds the job its first attempt created instead
    /// of starting a second one.
    /// </summary>
    /// <param name="request">Source, input, output and options.</param>
    /// <param name="cancellationToken">Cancels the call (not the job).</param>
    /// <returns>
    /// The job, usually running (<see cref="JobOperation.LatestStatus"/>). Submitting the id of an existing job with the
    /// same spec returns that job as it is now (possibly finished already: <see cref="JobOperation.HasCompleted"/>).
    /// </returns>
    /// <exception cref="FaceSwapValidationException">
    /// 400 naming each bad field (<see cref="FaceSwapRequestFailedException.ErrorCode"/> for a job policy refusal);
    /// 422 when the source face cannot be used (<see cref="FaceSwapRequestFailedException.JobId"/> names the failed job).
    /// </exception>
    /// <exception cref="FaceSwapConflictException">The job id exists with another spec.</exception>
    public virtual async Task<JobOperation> SubmitJobAsync(SubmitJobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = string.IsNullOrEmpty(request.JobId) ? request with { JobId = JobIds.New() } : request;
        var status = await SendAsync<JobStatus>(HttpMethod.Post, Api("jobs"), JsonContent.Create(body, options: FaceSwapJson.Options), cancellationToken).ConfigureAwait(false);
        return new JobOperation(this, status);
    }

    /// <summary>The status of a job (<c>GET /api/jobs/{id}</c>).</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job's status.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public virtual Task<JobStatus> GetJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobStatus>(HttpMethod.Get, JobPath(jobId), null, cancellationToken);

    /// <summary>
    /// The server's jobs, newest first (<c>GET /api/jobs</c>), fetched a page at a time as the enumeration goes
    /// (page size 1 to 200; the server's default is 20).
    /// </summary>
    /// <param name="cancellationToken">Cancels fetching pages.</param>
    /// <returns>The jobs.</returns>
    public virtual AsyncPageable<JobStatus> GetJobsAsync(CancellationToken cancellationToken = default) =>
        new CursorPageable<JobStatus>(
            async (cursor, limit, token) =>
            {
                var page = await SendAsync<JobList>(HttpMethod.Get, Api("jobs") + Query(("limit", Number(limit)), ("cursor", cursor)), null, token).ConfigureAwait(false);
                return Page<JobStatus>.FromValues(page.Items, page.Next);
            },
            cancellationToken);

    /// <summary>Stops a job (<c>POST /api/jobs/{id}/cancel</c>): nothing more is dispatched; images in flight finish.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job's status, <see cref="JobState.Cancelled"/> unless it had already ended.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public virtual Task<JobStatus> CancelJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobStatus>(HttpMethod.Post, JobPath(jobId) + "/cancel", null, cancellationToken);

    /// <summary>
    /// Runs the images whose latest outcome failed again (<c>POST /api/jobs/{id}/retry-failed</c>); wait for the job
    /// again with <c>new JobOperation(client, status)</c>.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job's status, running again when there was anything to retry.</returns>
    /// <exception cref="FaceSwapConflictException">The job is still running.</exception>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public virtual Task<JobStatus> RetryFailedAsync(string jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobStatus>(HttpMethod.Post, JobPath(jobId) + "/retry-failed", null, cancellationToken);

    /// <summary>
    /// A job's results: the latest outcome of each image in finishing order (<c>GET /api/jobs/{id}/results</c>),
    /// fetched a page at a time (page size 1 to 1000; the server's default is 100). Each page's
    /// <see cref="Page{T}.Total"/> is the number of matching outcomes.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="status">Only outcomes with this status (e.g. <see cref="ImageStatus.Failed"/>); null for all.</param>
    /// <param name="cancellationToken">Cancels fetching pages.</param>
    /// <returns>The outcomes.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job (when the first page is fetched).</exception>
    public virtual AsyncPageable<ImageOutcome> GetResultsAsync(string jobId, ImageStatus? status = null, CancellationToken cancellationToken = default)
    {
        var path = JobPath(jobId) + "/results";
        var filter = status is { } s ? ToWire(s) : null;
        return new CursorPageable<ImageOutcome>(
            (cursor, limit, token) => ResultsPageAsync(path, ("status", filter), cursor, limit, token),
            cancellationToken);
    }

    /// <summary>
    /// The images with faces that need a look (<c>GET /api/jobs/{id}/results?review=true</c>), a page at a time: each
    /// outcome's <see cref="ImageOutcome.FaceOutcomes"/> says which faces and why (<see cref="FaceOutcome.Review"/>).
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancellationToken">Cancels fetching pages.</param>
    /// <returns>The outcomes with faces to review.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job (when the first page is fetched).</exception>
    public virtual AsyncPageable<ImageOutcome> GetReviewAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var path = JobPath(jobId) + "/results";
        return new CursorPageable<ImageOutcome>(
            (cursor, limit, token) => ResultsPageAsync(path, ("review", "true"), cursor, limit, token),
            cancellationToken);
    }

    /// <summary>Swapped images spread over the job, with thumbnail URLs (<c>GET /api/jobs/{id}/gallery</c>).</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="count">How many (1 to 64; the server's default is 8).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Up to <paramref name="count"/> items; fetch their thumbnails with <see cref="GetThumbnailAsync"/>.</returns>
    public virtual async Task<IReadOnlyList<GalleryItem>> GetGalleryAsync(string jobId, int? count = null, CancellationToken cancellationToken = default) =>
        await SendAsync<List<GalleryItem>>(HttpMethod.Get, JobPath(jobId) + "/gallery" + Query(("count", Number(count))), null, cancellationToken).ConfigureAwait(false);

    /// <summary>The JPEG bytes of a thumbnail URL of a <see cref="GalleryItem"/> (the API key is sent with it).</summary>
    /// <param name="thumbnailUrl">A <see cref="GalleryItem.Before"/> or <see cref="GalleryItem.After"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The JPEG.</returns>
    /// <exception cref="FaceSwapRequestFailedException">
    /// The thumbnail cannot be made; <see cref="FaceSwapRequestFailedException.ErrorCode"/> says why (e.g.
    /// <c>not_found</c>, <c>image_too_large</c>).
    /// </exception>
    public virtual async Task<byte[]> GetThumbnailAsync(string thumbnailUrl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(thumbnailUrl);
        using var request = NewRequest(HttpMethod.Get, thumbnailUrl.TrimStart('/'), "image/jpeg");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The contact sheet of a finished preview job (<see cref="JobOptions.Preview"/>; <c>GET /api/jobs/{id}/contact-sheet.png</c>):
    /// a PNG with a row per swapped face, input beside output, with that face's figures.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The PNG.</returns>
    /// <exception cref="FaceSwapRequestFailedException">
    /// There is none; <see cref="FaceSwapRequestFailedException.ErrorCode"/> says why: <c>not_a_preview</c>,
    /// <c>job_not_finished</c>, <c>no_contact_sheet</c> (no such job: <see cref="FaceSwapNotFoundException"/>).
    /// </exception>
    public virtual async Task<byte[]> GetContactSheetAsync(string jobId, CancellationToken cancellationToken = default)
    {
        using var request = NewRequest(HttpMethod.Get, JobPath(jobId) + "/contact-sheet.png", "image/png");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Who the API key belongs to and its role (<c>GET /api/whoami</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The caller.</returns>
    public virtual Task<CallerInfo> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        SendAsync<CallerInfo>(HttpMethod.Get, Api("whoami"), null, cancellationToken);

    /// <summary>
    /// Follows a job live (<c>GET /api/jobs/{id}/events</c>): <see cref="JobEventKind.Status"/> events as it progresses,
    /// one <see cref="JobEventKind.Image"/> event per finished image, and a last <see cref="JobEventKind.Done"/> event
    /// with the final status, after which the sequence ends.
    /// </summary>
    /// <remarks>
    /// The stream is read with .NET's <see cref="System.Net.ServerSentEvents.SseParser"/>. A dropped connection, a stream
    /// that goes silent for <see cref="FaceSwapClientOptions.StreamIdleTimeout"/> or a transient server error is
    /// reconnected through one resilience pipeline, with <c>Last-Event-ID</c> set to the last event's id, so no image
    /// event is lost or repeated. After <see cref="FaceSwapClientOptions.MaxReconnectAttempts"/> failed attempts in a
    /// row the last error is thrown. To resume later, pass the <see cref="JobEvent.Id"/> of the last event handled as
    /// <paramref name="lastEventId"/>.
    /// </remarks>
    /// <param name="jobId">The job.</param>
    /// <param name="includeImages">Whether to receive image events (false: status and done only).</param>
    /// <param name="lastEventId">Resume after this event id; null starts at the job's first image.</param>
    /// <param name="cancellationToken">Stops following (not the job).</param>
    /// <returns>The events, ending with the done event.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public virtual async IAsyncEnumerable<JobEvent> WatchAsync(
        string jobId,
        bool includeImages = true,
        string? lastEventId = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var path = JobPath(jobId) + "/events?images=" + (includeImages ? "true" : "false");
        var stream = new JobEventStream((id, token) => ConnectAsync(path, id, token), options.StreamIdleTimeout, lastEventId);
        await using (stream.ConfigureAwait(false))
        {
            while (true)
            {
                var jobEvent = await stream.NextAsync(reconnect, cancellationToken).ConfigureAwait(false);
                yield return jobEvent;
                if (jobEvent.Kind == JobEventKind.Done)
                {
                    yield break;
                }
            }
        }
    }

    /// <summary>Disposes the HTTP clients this instance made itself (none when it was given them).</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the HTTP clients this instance made itself.</summary>
    /// <param name="disposing">False when called from a finalizer: nothing to do then.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        foreach (var disposable in owned)
        {
            disposable.Dispose();
        }
    }

    /// <summary>Failures worth another attempt: network errors, timeouts, 408, 429 and 5xx answers.</summary>
    internal static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException or IOException or TimeoutException => true,
        FaceSwapRequestFailedException api => api.Status is 408 or 429 or >= 500,
        _ => false,
    };

    private async Task<Page<ImageOutcome>> ResultsPageAsync(string path, (string Name, string? Value) filter, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var page = await SendAsync<ResultsPage>(HttpMethod.Get, path + Query(filter, ("limit", Number(limit)), ("cursor", cursor)), null, cancellationToken).ConfigureAwait(false);
        return Page<ImageOutcome>.FromValues(page.Items, page.Next, page.Total);
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
                throw new FaceSwapRequestFailedException(response.StatusCode, "Not an event stream", $"the server answered with '{response.Content.Headers.ContentType}' instead of text/event-stream");
            }

            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, path, "application/json");
        request.Content = content;
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(FaceSwapJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new FaceSwapRequestFailedException(response.StatusCode, "Empty answer", $"{method} {path} answered {(int)response.StatusCode} without a body");
        }
        catch (JsonException e)
        {
            throw new FaceSwapRequestFailedException(response.StatusCode, "Unreadable answer", $"{method} {path}: {e.Message}");
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path, string accept)
    {
        var request = new HttpRequestMessage(method, new Uri(baseAddress!, path));
        request.Headers.Accept.ParseAdd(accept);
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.TryAddWithoutValidation(ApiKeyHeader, apiKey);
        }

        return request;
    }

    /// <summary>Throws the <see cref="FaceSwapRequestFailedException"/> an error answer describes.</summary>
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

    private static FaceSwapRequestFailedException ProblemFrom(HttpResponseMessage response, string body)
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
            return FaceSwapRequestFailedException.Create(status, reason, text.Length == 0 ? null : text.Length > 300 ? text[..300] + "..." : text);
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

        return FaceSwapRequestFailedException.Create(status, title ?? reason, detail, errors, extensions, type);
    }

    private static string? AsString(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The path of an API resource in the version the client speaks (V1: the <c>/api</c> surface).</summary>
    private string Api(string resource) => options.Version switch
    {
        FaceSwapClientOptions.ServiceVersion.V1 => "api/" + resource,
        _ => throw new InvalidOperationException($"API version {options.Version} is not supported."),
    };

    private string JobPath(string jobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (!JobIds.IsValid(jobId))
        {
            throw new ArgumentException($"'{jobId}' is not a job id (1 to 64 of a-z, 0-9, '-' and '_').", nameof(jobId));
        }

        return Api("jobs/" + jobId);
    }

    private static string? Number(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static FaceSwapClientOptions Validated(FaceSwapClientOptions options)
    {
        var result = new FaceSwapClientOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(FaceSwapClientOptions), result.Failures) : options;
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
    }}
