using System.ComponentModel;
using System.Security.Cryptography;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;
using FaceSwap.Silo.Api.Security;
using FaceSwap.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FaceSwap.Silo.Api;

/// <summary>
/// Photos uploaded from a browser into the inbox container, under <c>uploads/&lt;uploadId&gt;/</c>, one request per file.
/// A file is stored whole or not at all (the store's writes are atomic), so an interrupted upload resumes per file: the
/// client lists what is already there, with each file's SHA-256, and sends only the rest.
/// </summary>
public static class UploadsApi
{
    /// <summary>The folder of the inbox (and outbox) container uploads go under.</summary>
    public const string Folder = "uploads";

    /// <summary>The metadata key of a stored file's SHA-256.</summary>
    private const string Sha256Key = "sha256";

    /// <summary>Maps /api/uploads/*.</summary>
    public static IEndpointRouteBuilder MapUploadsApi(this IEndpointRouteBuilder app)
    {
        // A wrong limit stops the host at start rather than at the first upload.
        MaxFileBytes(app.ServiceProvider.GetRequiredService<IConfiguration>());
        var uploads = app.MapGroup("/api/uploads").RequireRateLimiting(ApiRateLimits.Policy).WithTags(OpenApiTags.Uploads)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        uploads.MapPut("/{uploadId}", PutAsync).RequireAuthorization(ApiRoles.Submit)
            .WithName("UploadFile").WithSummary("Upload one photo")
            .WithDescription("Stores the request body as the file `path` of the upload, under the inbox container's uploads/{uploadId}/. "
                + "201 with the stored file; 200 when the same content is already there (nothing is written). "
                + "The file is checked as a job would read it, on its header only: 400 `invalid_path` or `invalid_upload_id`; "
                + "411 `length_required` without Content-Length; 413 `file_too_large` over the job's default maxFileBytes "
                + "(or Api:Uploads:MaxFileBytes); 422 with the error class a job would give it: `not_an_image`, `unsupported_format`, "
                + "`content_mismatch`, `empty_file`, `truncated_image`, `image_too_large`, `header_mismatch`.")
            .Accepts<byte[]>("application/octet-stream")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status411LengthRequired)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        uploads.MapGet("/{uploadId}", ListAsync).RequireAuthorization(ApiRoles.Submit)
            .WithName("ListUploadedFiles").WithSummary("List an upload's files")
            .WithDescription("The files stored so far under the upload, in path order, a page at a time, each with its size "
                + "and SHA-256: what a resumed upload need not send again. Also the upload's storage prefix and an output prefix "
                + "for a job over it. An upload nobody has written to yet lists no files.")
            .ProducesValidationProblem();
        return app;
    }

    /// <summary>The largest file an upload takes: Api:Uploads:MaxFileBytes when set, otherwise a job's default maxFileBytes.</summary>
    public static long MaxFileBytes(IConfiguration configuration)
    {
        var limit = configuration.GetValue("Api:Uploads:MaxFileBytes", new JobOptions().MaxFileBytes);
        return limit >= 1 ? limit : throw new InvalidOperationException($"Api:Uploads:MaxFileBytes must be 1 or more, not {limit}");
    }

    private static async Task<Results<Created<UploadedFile>, Ok<UploadedFile>, ValidationProblem, ProblemHttpResult>> PutAsync(
        HttpContext http, IBlobStore store, IOptions<FaceSwapSiloOptions> silo, IConfiguration configuration,
        [Description("The upload's id: 1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit (the client makes it up).")] string uploadId,
        [Description("The file's path inside the upload, '/'-separated, e.g. photos/2024/a.jpg.")] string? path,
        CancellationToken cancellationToken)
    {
        if (Invalid(silo.Value, uploadId, path) is { } invalid)
        {
            return invalid;
        }

        var limit = MaxFileBytes(configuration);
        if (http.Request.ContentLength is not { } length)
        {
            return Problem(StatusCodes.Status411LengthRequired, "Length required", ErrorCodes.LengthRequired, "send the file's size in Content-Length");
        }

        if (length > limit)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "File too large", ErrorCodes.FileTooLarge, $"the file is {length} bytes, over the limit of {limit} bytes");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limit;
        }

        // The store writes whole blobs: the file is held once, up to the limit a job would read it with anyway.
        var content = new byte[length];
        try
        {
            await http.Request.Body.ReadExactlyAsync(content, cancellationToken);
        }
        catch (EndOfStreamException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Incomplete file", ErrorCodes.IncompleteBody, $"the body ended before the {length} bytes Content-Length announced");
        }

        if (UploadedImageCheck.Check(path!, content, silo.Value.MaxPixels) is { } refusal)
        {
            return Problem(refusal.Status, "The file cannot be used", refusal.Code, refusal.Message);
        }

        var blobPath = BlobPathOf(silo.Value, uploadId, path!);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var stored = new UploadedFile(path!, blobPath, length, sha256);
        var existing = await store.GetMetadataAsync(blobPath, cancellationToken);
        if (existing is not null && existing.GetValueOrDefault(Sha256Key) == sha256)
        {
            return TypedResults.Ok(stored);
        }

        await store.WriteAsync(blobPath, content, ContentType(content), new Dictionary<string, string> { [Sha256Key] = sha256 }, cancellationToken);
        return TypedResults.Created($"/api/uploads/{uploadId}", stored);
    }

    private static async Task<Results<Ok<UploadListing>, ValidationProblem>> ListAsync(IBlobStore store, IOptions<FaceSwapSiloOptions> silo, IConfiguration configuration,
        [Description("The upload's id.")] string uploadId,
        [Description("Files per page, 1 to 1000 (default 500).")] int? limit,
        [Description("The `next` of the previous page.")] string? cursor,
        CancellationToken cancellationToken)
    {
        if (Invalid(silo.Value, uploadId, path: null) is { } invalid)
        {
            return invalid;
        }

        var prefix = PrefixOf(silo.Value, uploadId);
        var page = await store.ListAsync(prefix, string.IsNullOrEmpty(cursor) ? null : cursor, Math.Clamp(limit ?? 500, 1, 1000), cancellationToken);
        var files = new List<UploadedFile>(page.Items.Count);
        foreach (var item in page.Items)
        {
            var metadata = await store.GetMetadataAsync(item.Path, cancellationToken);
            files.Add(new UploadedFile(item.Path[prefix.Length..], item.Path, item.Size, metadata?.GetValueOrDefault(Sha256Key)));
        }

        return TypedResults.Ok(new UploadListing(uploadId, prefix, $"{silo.Value.Drop.Outbox}/{Folder}/{uploadId}/", files, page.ContinuationToken, MaxFileBytes(configuration)));
    }

    /// <summary>A 400 for an upload id or file path that cannot be used; null when both can.</summary>
    private static ValidationProblem? Invalid(FaceSwapSiloOptions silo, string uploadId, string? path)
    {
        if (!JobIds.IsValid(uploadId))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["uploadId"] = ["must be 1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit"] },
                extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.InvalidUploadId });
        }

        var problem = path is null ? null : path.Length == 0 ? "is required" : BlobPathRules.Problem(BlobPathOf(silo, uploadId, path), isPrefix: false);
        if (problem is not null)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["path"] = [$"{problem} (a relative path inside the upload, such as photos/2024/a.jpg)"] },
                extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.InvalidPath });
        }

        return null;
    }

    private static string PrefixOf(FaceSwapSiloOptions silo, string uploadId) => $"{silo.Drop.Inbox}/{Folder}/{uploadId}/";

    private static string BlobPathOf(FaceSwapSiloOptions silo, string uploadId, string path) => PrefixOf(silo, uploadId) + path;

    private static ProblemHttpResult Problem(int status, string title, string code, string detail) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Title = title, Detail = detail, Extensions = { ["code"] = code } });

    private static string ContentType(byte[] content) => FaceSwap.Engine.Imaging.ImageCodec.Sniff(content) switch
    {
        "png" => "image/png",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "heic" => "image/heic",
        "avif" => "image/avif",
        _ => "image/jpeg",
    };
}
