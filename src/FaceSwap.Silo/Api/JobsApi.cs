using System.ComponentModel;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Safety;
using FaceSwap.Silo.Api.Security;
using FaceSwap.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FaceSwap.Silo.Api;

/// <summary>The REST API over the grains: jobs, their live events, results and gallery.</summary>
public static class JobsApi
{
    /// <summary>Maps /api/*.</summary>
    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        // Every route needs a key: 401 without one (or with a wrong one), 403 below the route's role, 429 over the
        // per-key rate limit or while the caller's address is throttled for failed keys.
        var api = app.MapGroup("/api").RequireRateLimiting(ApiRateLimits.Policy)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        var jobs = api.MapGroup("/jobs").WithTags(OpenApiTags.Jobs);
        var results = api.MapGroup("/jobs").WithTags(OpenApiTags.Results);

        jobs.MapPost("", SubmitAsync).RequireAuthorization(ApiRoles.Submit)
            .WithName("SubmitJob").WithSummary("Submit a job")
            .WithDescription("Starts a job over the source face(s), the input folder and the output folder. 202 with the new job's "
                + "status; 200 with the existing status when the same jobId is posted again with the same spec (a retried POST). "
                + "400 names each field at fault (`errors`) and the job policy's code of each field it refused (`codes`); "
                + "409: the jobId is in use with another spec; 413: the body is over 1 MB; 422: the source face, a reference face "
                + "or a selected model cannot be used (the job is created as failed, `jobId` names it); 503: the cluster cannot start it now.")
            .Accepts<SubmitJobRequest>("application/json")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        jobs.MapGet("", ListAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("ListJobs").WithSummary("List jobs")
            .WithDescription("The jobs of this deployment, newest first, a page at a time: pass `next` back as `cursor` for the next page.");
        jobs.MapGet("/{id}", GetAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("GetJob").WithSummary("Get a job's status")
            .WithDescription("The job's spec, state, counters and timings.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id}/events", JobEventStream.StreamAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("StreamJobEvents").WithSummary("Follow a job live (server-sent events)")
            .WithDescription("A text/event-stream of `status` events (progress), `image` events (one per outcome, unless images=false) "
                + "and a final `done` event, after which the stream ends. An event's id is a position in the job's outcomes: "
                + "reconnect with Last-Event-ID (header or query) to get exactly the events after it. A key may hold a limited "
                + "number of streams at once (Api:EventStreams:PerKey): beyond it, 429 with code `too_many_streams`.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id}/cancel", CancelAsync).RequireAuthorization(ApiRoles.Submit)
            .WithName("CancelJob").WithSummary("Cancel a job")
            .WithDescription("Stops dispatching the job's images; images already on an inference silo finish. Returns the job's status.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id}/retry-failed", RetryFailedAsync).RequireAuthorization(ApiRoles.Submit)
            .WithName("RetryFailedImages").WithSummary("Retry a finished job's failed images")
            .WithDescription("Runs the failed images of a finished job again. 409 while the job is still running.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        results.MapGet("/{id}/results", ResultsAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("ListJobResults").WithSummary("List a job's per-image outcomes")
            .WithDescription("The latest outcome of each image, a page at a time, optionally only one status or only images with faces to review.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        results.MapGet("/{id}/gallery", GalleryAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("GetJobGallery").WithSummary("Sample a job's swapped images")
            .WithDescription("Up to `count` swapped images spread over the job, each with its before/after thumbnail URLs and face figures.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        results.MapGet("/{id}/thumbnail", Thumbnails.GetAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("GetThumbnail").WithSummary("Get a thumbnail of a job's input or output image")
            .WithDescription("A JPEG no larger than `size` pixels on its longest side (header X-Cache: hit or miss). "
                + "404: no such job or image; 422: the image cannot be thumbnailed, `code` says why (image_too_large, "
                + "header_mismatch, not_an_image, ...); 503: an inference silo must make it and none answers.")
            .Produces<byte[]>(StatusCodes.Status200OK, "image/jpeg")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/whoami", WhoAmI).RequireAuthorization(ApiRoles.Read).WithTags(OpenApiTags.Caller)
            .WithName("WhoAmI").WithSummary("Who the caller is")
            .WithDescription("The name and highest role of the presented key or token.");
        return app;
    }

    /// <summary>The OpenAPI description of a route's job id.</summary>
    public const string JobIdDescription = "The job's id (as submitted, or as the API made it).";

    private static Ok<CallerInfo> WhoAmI(HttpContext http) =>
        TypedResults.Ok(new CallerInfo(http.User.Identity?.Name ?? "", ApiRoles.Highest(http.User) ?? ""));

    /// <summary>The status of an existing job, or null when there is no such job.</summary>
    public static async Task<JobStatus?> FindAsync(IGrainFactory grains, string id)
    {
        if (!JobIds.IsValid(id))
        {
            return null;
        }

        var status = await grains.GetGrain<IBatchGrain>(id).GetStatusAsync();
        return status.Spec is null ? null : status;
    }

    /// <summary>A 404 problem for a job id.</summary>
    public static ProblemHttpResult JobNotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such job", detail: $"there is no job '{id}'",
            extensions: Code(ErrorCodes.JobNotFound));

    /// <summary>The largest body <c>POST /api/jobs</c> reads: a job request is a few hundred bytes, a large source list a few KB.</summary>
    public const long MaxSubmitBodyBytes = 1024 * 1024;

    private static async Task<Results<Accepted<JobStatus>, Ok<JobStatus>, ValidationProblem, ProblemHttpResult>> SubmitAsync(HttpContext http, IGrainFactory grains, IBlobStore store, ServerPaths paths, Microsoft.Extensions.Options.IOptions<FaceSwap.Grains.Hosting.FaceSwapSiloOptions> silo, CancellationToken cancellationToken)
    {
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxSubmitBodyBytes;
        }

        SubmitJobRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<SubmitJobRequest>(http.Request.Body, RequestJson, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem(statusCode: e.StatusCode, title: "Request body too large",
                detail: $"a job request is at most {MaxSubmitBodyBytes / 1024} KB", extensions: Code(ErrorCodes.BodyTooLarge));
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [JsonProblem(e)] }, extensions: Code(ErrorCodes.InvalidRequest));
        }

        if (request is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["a JSON object is required"] }, extensions: Code(ErrorCodes.InvalidRequest));
        }

        var (spec, errors, codes) = await JobRequestValidation.ValidateAsync(request, http.User.Identity?.Name ?? "unknown", store, JobPolicy.Of(silo.Value), cancellationToken);
        if (spec is null)
        {
            return Invalid(errors, codes);
        }

        var jobId = request.JobId ?? JobIds.New();
        var existing = await FindAsync(grains, jobId);
        if (existing is not null)
        {
            if (!SameJob(existing.Spec!, spec))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Job id in use", detail: $"job '{jobId}' exists with another spec",
                    extensions: Code(ErrorCodes.JobIdInUse));
            }

            // A retried POST gets the answer the first one got: 422 again for a job whose source face was refused.
            return existing.State == JobState.Failed && existing.Counters.Discovered == 0 ? SourceRefused(jobId, paths.Redact(existing)) : TypedResults.Ok(paths.Redact(existing));
        }

        JobStatus status;
        try
        {
            status = await grains.GetGrain<IBatchGrain>(jobId).StartAsync(spec);
        }
        catch (JobRefusedException e)
        {
            // The grain's own policy check; the validation above normally answers first.
            return Invalid(new Dictionary<string, string[]> { [e.Field] = [e.Message] }, new Dictionary<string, string> { [e.Field] = e.Code });
        }
        catch (InvalidOperationException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Cannot start the job now", detail: e.Message,
                extensions: Code(ErrorCodes.Unavailable));
        }

        status = paths.Redact(status);
        return status.State == JobState.Failed ? SourceRefused(jobId, status) : TypedResults.Accepted($"/api/jobs/{jobId}", status);
    }

    /// <summary>A problem's <c>code</c> member (<see cref="ErrorCodes"/>).</summary>
    private static Dictionary<string, object?> Code(string code) => new() { ["code"] = code };

    /// <summary>A 400 naming each field at fault; <c>codes</c> gives the job policy's code of each field it refused.</summary>
    private static ValidationProblem Invalid(Dictionary<string, string[]> errors, Dictionary<string, string> codes)
    {
        var extensions = Code(ErrorCodes.InvalidRequest);
        if (codes.Count > 0)
        {
            extensions["codes"] = codes;
        }

        return TypedResults.ValidationProblem(errors, extensions: extensions);
    }

    /// <summary>
    /// The 422 of a job refused by its source check: <c>code</c> is the job's error code, <c>field</c> (and the one entry
    /// of <c>errors</c>) the request field at fault.
    /// </summary>
    private static ProblemHttpResult SourceRefused(string jobId, JobStatus status)
    {
        var field = status.ErrorField ?? JobErrorFields.Source;
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = field == JobErrorFields.Source ? "The source face cannot be used"
                : field == JobErrorFields.References ? "A reference face cannot be used"
                : "A selected model cannot be used",
            Detail = status.Error,
            Extensions =
            {
                ["code"] = status.ErrorCode ?? ErrorCodes.ForStatus(StatusCodes.Status422UnprocessableEntity),
                ["field"] = field,
                ["jobId"] = jobId,
                ["errors"] = new Dictionary<string, string[]> { [field] = [status.Error ?? "unusable"] },
            },
        });
    }

    private static async Task<Ok<JobList>> ListAsync(IGrainFactory grains, ServerPaths paths,
        [Description("Jobs per page, 1 to 200 (default 20).")] int? limit,
        [Description("The `next` of the previous page.")] string? cursor)
    {
        var page = await grains.GetGrain<IJobIndexGrain>(0).ListAsync(Math.Clamp(limit ?? 20, 1, 200), cursor);
        var statuses = await Task.WhenAll(page.JobIds.Select(id => grains.GetGrain<IBatchGrain>(id).GetStatusAsync()));
        return TypedResults.Ok(new JobList(statuses.Where(s => s.Spec is not null).Select(paths.Redact).ToList(), page.Next));
    }

    private static async Task<Results<Ok<JobStatus>, ProblemHttpResult>> GetAsync(IGrainFactory grains, ServerPaths paths, [Description(JobIdDescription)] string id) =>
        await FindAsync(grains, id) is { } status ? TypedResults.Ok(paths.Redact(status)) : JobNotFound(id);

    private static async Task<Results<Ok<JobStatus>, ProblemHttpResult>> CancelAsync(IGrainFactory grains, ServerPaths paths, [Description(JobIdDescription)] string id) =>
        await FindAsync(grains, id) is null ? JobNotFound(id) : TypedResults.Ok(paths.Redact(await grains.GetGrain<IBatchGrain>(id).CancelAsync()));

    private static async Task<Results<Accepted<JobStatus>, ProblemHttpResult>> RetryFailedAsync(IGrainFactory grains, ServerPaths paths, [Description(JobIdDescription)] string id)
    {
        if (await FindAsync(grains, id) is null)
        {
            return JobNotFound(id);
        }

        try
        {
            return TypedResults.Accepted($"/api/jobs/{id}", paths.Redact(await grains.GetGrain<IBatchGrain>(id).RetryFailedAsync()));
        }
        catch (InvalidOperationException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Cannot retry now", detail: e.Message,
                extensions: Code(ErrorCodes.RetryNotPossible));
        }
    }

    private static async Task<Results<Ok<ResultsPage>, ValidationProblem, ProblemHttpResult>> ResultsAsync(IGrainFactory grains, IBlobStore store,
        [Description(JobIdDescription)] string id,
        [Description("Only outcomes of this status: ok, no_face, failed or skipped.")] string? status,
        [Description("true: only images with faces to review.")] bool? review,
        [Description("Outcomes per page, 1 to 1000 (default 100).")] int? limit,
        [Description("The `next` of the previous page.")] string? cursor,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(grains, id) is not { } job)
        {
            return JobNotFound(id);
        }

        ImageStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!TryParseStatus(status, out var parsed))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["status"] = ["must be ok, no_face, failed or skipped"] },
                    extensions: Code(ErrorCodes.InvalidRequest));
            }

            filter = parsed;
        }

        var start = 0;
        if (!string.IsNullOrEmpty(cursor) && (!int.TryParse(cursor, out start) || start < 0))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["cursor"] = ["is not a cursor this API gave out"] },
                extensions: Code(ErrorCodes.InvalidRequest));
        }

        // A page is read through the outcomes' index: its cost does not grow with the job.
        var index = await OpenIndexAsync(store, job, id, cancellationToken);
        var total = index.Count(filter, review == true);
        var items = await index.PageAsync(filter, review == true, start, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken);
        var next = start + items.Count < total ? (start + items.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new ResultsPage(items, next, (int)Math.Min(total, int.MaxValue)));
    }

    private static async Task<Results<Ok<List<GalleryItem>>, ProblemHttpResult>> GalleryAsync(IGrainFactory grains, IBlobStore store,
        [Description(JobIdDescription)] string id,
        [Description("How many images, 1 to 64 (default 8).")] int? count,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(grains, id) is not { } job)
        {
            return JobNotFound(id);
        }

        var index = await OpenIndexAsync(store, job, id, cancellationToken);
        var ok = index.Count(ImageStatus.Ok);
        var wanted = Math.Clamp(count ?? 8, 1, 64);

        // Spread the sample over the job rather than showing only its first images.
        var step = Math.Max(1.0, ok / (double)wanted);
        var swapped = await index.AtAsync(ImageStatus.Ok, Enumerable.Range(0, (int)Math.Min(wanted, ok)).Select(i => (long)(i * step)).ToList(), cancellationToken);
        var items = swapped
            .Select(o => new GalleryItem(
                o.Path,
                Thumbnails.Url(id, o.Path, "input"),
                Thumbnails.Url(id, o.Path, "output"),
                o.Faces,
                o.Similarity,
                o.FacesLost,
                o.FacesToReview,
                o.FaceOutcomes))
            .ToList();
        return TypedResults.Ok(items);
    }

    /// <summary>How old an index may be while its job still writes outcomes: a busy job's pages are not rebuilt per request.</summary>
    private static readonly TimeSpan LiveIndexAge = TimeSpan.FromSeconds(5);

    private static Task<OutcomeIndex> OpenIndexAsync(IBlobStore store, JobStatus job, string id, CancellationToken cancellationToken) =>
        OutcomeIndex.OpenAsync(store, JobFiles.Outcomes(job.Spec!, id), job.IsTerminal && job.InFlight == 0 ? TimeSpan.Zero : LiveIndexAge, cancellationToken);

    private static bool TryParseStatus(string value, out ImageStatus status)
    {
        status = default;
        foreach (var candidate in Enum.GetValues<ImageStatus>())
        {
            if (JsonNamingPolicy.SnakeCaseLower.ConvertName(candidate.ToString()) == value.ToLowerInvariant())
            {
                status = candidate;
                return true;
            }
        }

        return false;
    }

    private static bool SameJob(JobSpec a, JobSpec b) =>
        a.Source == b.Source && a.Input == b.Input && a.Output == b.Output && a.Options.SameAs(b.Options)
        && (a.Sources ?? []).SequenceEqual(b.Sources ?? []);

    private static string JsonProblem(JsonException e) =>
        UnknownMembers.At(RequestJson, typeof(SubmitJobRequest), e.Path) ? "is not a known member" : "has a value of the wrong type or is not valid JSON";

    /// <summary>Requests are read strictly: unknown members are errors, so a typo does not silently fall back to a default.</summary>
    private static readonly JsonSerializerOptions RequestJson = new(FaceSwapJson.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };
}
