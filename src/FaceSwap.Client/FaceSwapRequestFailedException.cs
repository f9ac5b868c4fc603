using System.Net;
using System.Text;
using System.Text.Json;

namespace FaceSwap.Client;

/// <summary>
/// The FaceSwap API answered with an error status: <see cref="Status"/> and, when the server sent one, the stable
/// <see cref="ErrorCode"/> to branch on, plus the RFC 9457 problem details of the answer (title, detail, the field
/// errors of a validation problem and every other member, such as <c>jobId</c>).
/// </summary>
/// <remarks>
/// Subclasses tell the common cases apart: <see cref="FaceSwapValidationException"/> (400, 422),
/// <see cref="FaceSwapAuthenticationException"/> (401), <see cref="FaceSwapForbiddenException"/> (403),
/// <see cref="FaceSwapNotFoundException"/> (404) and <see cref="FaceSwapConflictException"/> (409).
/// </remarks>
public class FaceSwapRequestFailedException : Exception
{
    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();
    private static readonly IReadOnlyDictionary<string, JsonElement> NoExtensions = new Dictionary<string, JsonElement>();

    /// <summary>Creates an exception without problem details, e.g. for a mocked client in a test.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="message">What went wrong, for people.</param>
    /// <param name="errorCode">The service's error code, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public FaceSwapRequestFailedException(int status, string message, string? errorCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = (HttpStatusCode)status;
        ErrorCode = errorCode;
        Errors = NoErrors;
        Extensions = NoExtensions;
    }

    /// <summary>Creates an exception for an error answer.</summary>
    /// <param name="statusCode">The HTTP status of the answer.</param>
    /// <param name="title">The problem's title (a short summary that does not change from occurrence to occurrence).</param>
    /// <param name="detail">The problem's detail (this occurrence).</param>
    /// <param name="errors">Field errors: each bad field with its messages.</param>
    /// <param name="extensions">Every other member of the problem details; <c>code</c> (or <c>codes</c>) gives <see cref="ErrorCode"/>.</param>
    /// <param name="type">The problem type URI.</param>
    public FaceSwapRequestFailedException(
        HttpStatusCode statusCode,
        string? title,
        string? detail,
        IReadOnlyDictionary<string, string[]>? errors = null,
        IReadOnlyDictionary<string, JsonElement>? extensions = null,
        string? type = null)
        : base(Describe(statusCode, title, detail, errors))
    {
        StatusCode = statusCode;
        Title = title;
        Detail = detail;
        Errors = errors ?? NoErrors;
        Extensions = extensions ?? NoExtensions;
        Type = type;
        (ErrorCode, ErrorField) = CodeOf(Extensions);
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The HTTP status as a number.</summary>
    public int Status => (int)StatusCode;

    /// <summary>
    /// The service's stable code of the problem, to branch on instead of the message (the values are listed in
    /// <c>FaceSwap.Abstractions.Api.ErrorCodes</c> and, for a 422, <c>JobErrorCodes</c>): for a job request the job
    /// policy refused, the code of its first refused field (the <c>codes</c> member, e.g. <c>output_overlaps_input</c>);
    /// otherwise the problem's <c>code</c> member (e.g. <c>job_not_found</c>, <c>poor_source</c>, <c>rate_limited</c>).
    /// Null only when the server sent none (a proxy's answer, or a mocked client).
    /// </summary>
    public string? ErrorCode { get; }

    /// <summary>
    /// The request field the problem is about, where there is one: the problem's <c>field</c> member (a 422 names
    /// <c>source</c>, <c>options.references</c> or a model option), or the first field the job policy refused. Null otherwise.
    /// </summary>
    public string? ErrorField { get; }

    /// <summary>The problem type URI, when the server sent one.</summary>
    public string? Type { get; }

    /// <summary>The problem's title, e.g. "One or more validation errors occurred.".</summary>
    public string? Title { get; }

    /// <summary>What went wrong in this occurrence, e.g. "there is no job 'x'".</summary>
    public string? Detail { get; }

    /// <summary>Field errors (field name, e.g. <c>source</c> or <c>options.batchSize</c>, to its messages); empty when none.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The other members of the problem details, as sent (e.g. <c>jobId</c>, <c>traceId</c>).</summary>
    public IReadOnlyDictionary<string, JsonElement> Extensions { get; }

    /// <summary>The <c>jobId</c> member of the problem, when there is one (a 422 names the job it created and failed).</summary>
    public string? JobId => Extensions.TryGetValue("jobId", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The exception class that matches <paramref name="statusCode"/>.</summary>
    /// <param name="statusCode">The HTTP status of the answer.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    /// <param name="errors">Field errors.</param>
    /// <param name="extensions">Other members.</param>
    /// <param name="type">The problem type URI.</param>
    /// <returns>A <see cref="FaceSwapRequestFailedException"/> or one of its subclasses.</returns>
    public static FaceSwapRequestFailedException Create(
        HttpStatusCode statusCode,
        string? title,
        string? detail,
        IReadOnlyDictionary<string, string[]>? errors = null,
        IReadOnlyDictionary<string, JsonElement>? extensions = null,
        string? type = null) => statusCode switch
    {
        HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => new FaceSwapValidationException(statusCode, title, detail, errors, extensions, type),
        HttpStatusCode.Unauthorized => new FaceSwapAuthenticationException(title, detail, errors, extensions, type),
        HttpStatusCode.Forbidden => new FaceSwapForbiddenException(title, detail, errors, extensions, type),
        HttpStatusCode.NotFound => new FaceSwapNotFoundException(title, detail, errors, extensions, type),
        HttpStatusCode.Conflict => new FaceSwapConflictException(title, detail, errors, extensions, type),
        _ => new FaceSwapRequestFailedException(statusCode, title, detail, errors, extensions, type),
    };

    private static (string? Code, string? Field) CodeOf(IReadOnlyDictionary<string, JsonElement> extensions)
    {
        if (extensions.TryGetValue("codes", out var codes) && codes.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in codes.EnumerateObject())
            {
                if (field.Value.ValueKind == JsonValueKind.String)
                {
                    return (field.Value.GetString(), field.Name);
                }
            }
        }

        return (StringMember(extensions, "code"), StringMember(extensions, "field"));
    }

    private static string? StringMember(IReadOnlyDictionary<string, JsonElement> extensions, string name) =>
        extensions.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>One line for people: "Title (status): detail; field: message".</summary>
    private static string Describe(HttpStatusCode statusCode, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors)
    {
        var text = new StringBuilder();
        text.Append(string.IsNullOrWhiteSpace(title) ? statusCode.ToString() : title.TrimEnd('.'));
        text.Append(" (").Append((int)statusCode).Append(')');
        if (!string.IsNullOrWhiteSpace(detail))
        {
            text.Append(": ").Append(detail);
        }

        foreach (var (field, messages) in errors ?? NoErrors)
        {
            foreach (var message in messages)
            {
                if (message != detail)
                {
                    text.Append("; ").Append(field).Append(": ").Append(message);
                }
            }
        }

        return text.ToString();
    }
}

/// <summary>The request was refused as invalid: 400 (a bad field, named in <see cref="FaceSwapRequestFailedException.Errors"/>) or 422 (a source face that cannot be used).</summary>
public sealed class FaceSwapValidationException : FaceSwapRequestFailedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">400 or 422.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    /// <param name="errors">Field errors.</param>
    /// <param name="extensions">Other members.</param>
    /// <param name="type">The problem type URI.</param>
    public FaceSwapValidationException(HttpStatusCode statusCode, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null, IReadOnlyDictionary<string, JsonElement>? extensions = null, string? type = null)
        : base(statusCode, title, detail, errors, extensions, type)
    {
    }
}

/// <summary>401: no API key, or a key the server does not know.</summary>
public sealed class FaceSwapAuthenticationException : FaceSwapRequestFailedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    /// <param name="errors">Field errors.</param>
    /// <param name="extensions">Other members.</param>
    /// <param name="type">The problem type URI.</param>
    public FaceSwapAuthenticationException(string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null, IReadOnlyDictionary<string, JsonElement>? extensions = null, string? type = null)
        : base(HttpStatusCode.Unauthorized, title, detail, errors, extensions, type)
    {
    }
}

/// <summary>403: the key is known but its role is too low for the call (e.g. a read key submitting).</summary>
public sealed class FaceSwapForbiddenException : FaceSwapRequestFailedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    /// <param name="errors">Field errors.</param>
    /// <param name="extensions">Other members.</param>
    /// <param name="type">The problem type URI.</param>
    public FaceSwapForbiddenException(string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null, IReadOnlyDictionary<string, JsonElement>? extensions = null, string? type = null)
        : base(HttpStatusCode.Forbidden, title, detail, errors, extensions, type)
    {
    }
}

/// <summary>404: there is no such job.</summary>
public sealed class FaceSwapNotFoundException : FaceSwapRequestFailedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    /// <param name="errors">Field errors.</param>
    /// <param name="extensions">Other members.</param>
    /// <param name="type">The problem type URI.</param>
    public FaceSwapNotFoundException(string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null, IReadOnlyDictionary<string, JsonElement>? extensions = null, string? type = null)
        : base(HttpStatusCode.NotFound, title, detail, errors, extensions, type)
    {
    }
}

/// <summary>409: the job id is taken by a job with another spec, or the job is running and cannot be retried now.</summary>
public sealed class FaceSwapConflictException : FaceSwapRequestFailedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    /// <param name="errors">Field errors.</param>
    /// <param name="extensions">Other members.</param>
    /// <param name="type">The problem type URI.</param>
    public FaceSwapConflictException(string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null, IReadOnlyDictionary<string, JsonElement>? extensions = null, string? type = null)
        : base(HttpStatusCode.Conflict, title, detail, errors, extensions, type)
    {
    }
}
