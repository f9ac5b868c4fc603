namespace FaceSwap.Abstractions.Api;

/// <summary>
/// The <c>code</c> every 4xx problem answer of the API carries, to branch on instead of the title or detail text. A 422
/// from <c>POST /api/jobs</c> carries the job's <see cref="Jobs.JobStatus.ErrorCode"/> instead (and the field at fault
/// in <c>field</c>); a thumbnail the server cannot make carries its image's failure class.
/// </summary>
public static class ErrorCodes
{
    /// <summary>400: a field or query value is invalid (the fields are in <c>errors</c>; policy refusals also in <c>codes</c>).</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>401: no API key or bearer token, or one the server does not accept.</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>403: the caller's role does not allow the call.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>404: there is no job with that id.</summary>
    public const string JobNotFound = "job_not_found";

    /// <summary>404: no such resource: an input or output image of a job (a thumbnail), or a path the API does not have.</summary>
    public const string NotFound = "not_found";

    /// <summary>405: the resource does not take this method.</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    /// <summary>409: the job id is taken by a job with another spec.</summary>
    public const string JobIdInUse = "job_id_in_use";

    /// <summary>409: the job cannot retry its failed images now (it is still running, or failed before it started).</summary>
    public const string RetryNotPossible = "retry_not_possible";

    /// <summary>409: the job's outputs cannot be downloaded yet (<c>outputs.zip</c>, a preview's contact sheet, while it runs).</summary>
    public const string JobNotFinished = "job_not_finished";

    /// <summary>404: the job is not a preview (no <c>options.preview</c>), so it has no contact sheet.</summary>
    public const string NotAPreview = "not_a_preview";

    /// <summary>404: the preview job has no contact sheet: it was cancelled, or the sheet could not be drawn (its summary says why).</summary>
    public const string NoContactSheet = "no_contact_sheet";

    /// <summary>400: an upload id that breaks the rules of a job id.</summary>
    public const string InvalidUploadId = "invalid_upload_id";

    /// <summary>400: an upload's file path that is empty, absolute, has <c>..</c>/<c>.</c> segments, backslashes or too long a name.</summary>
    public const string InvalidPath = "invalid_path";

    /// <summary>400: an upload's body ended before the bytes its <c>Content-Length</c> announced.</summary>
    public const string IncompleteBody = "incomplete_body";

    /// <summary>411: an upload without <c>Content-Length</c>.</summary>
    public const string LengthRequired = "length_required";

    /// <summary>413: an uploaded file over the size limit (told from its <c>Content-Length</c>).</summary>
    public const string FileTooLarge = "file_too_large";

    /// <summary>413: the request body is larger than the API reads.</summary>
    public const string BodyTooLarge = "body_too_large";

    /// <summary>429: the caller made more requests a minute than its key may.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>429: too many failed sign-ins from this address; wait for <c>Retry-After</c>.</summary>
    public const string AuthThrottled = "auth_throttled";

    /// <summary>429: the caller follows as many jobs' event streams as it may at once.</summary>
    public const string TooManyStreams = "too_many_streams";

    /// <summary>503: the job cannot be started now (no inference silo, or the audit log cannot be written).</summary>
    public const string Unavailable = "unavailable";

    /// <summary>500: an unexpected error on the server (the problem's <c>exception</c> names its kind).</summary>
    public const string ServerError = "server_error";

    /// <summary>The code of a 4xx or 5xx status that has no more specific one.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => InvalidRequest,
        401 => Unauthenticated,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => BodyTooLarge,
        429 => RateLimited,
        503 => Unavailable,
        >= 500 => ServerError,
        _ => "http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
