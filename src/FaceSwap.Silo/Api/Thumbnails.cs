using System.ComponentModel;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FaceSwap.Silo.Api;

/// <summary>
/// Thumbnails of a job's inputs and outputs, made on the server so the page never loads full-size photos, and never
/// decoded at full size on the api silo (<see cref="ThumbnailService"/>).
/// </summary>
public static class Thumbnails
{
    private const long MaxSourceBytes = 200L * 1024 * 1024;

    /// <summary>The URL of one thumbnail.</summary>
    public static string Url(string jobId, string path, string side) =>
        $"/api/jobs/{Uri.EscapeDataString(jobId)}/thumbnail?side={side}&path={Uri.EscapeDataString(path)}";

    /// <summary>
    /// <c>GET /api/jobs/{id}/thumbnail?path=&amp;side=input|output&amp;size=256</c>: a JPEG (header <c>X-Cache</c>: hit or
    /// miss), or a problem with a <c>code</c> (404 not_found; 422 image_too_large, header_mismatch, not_an_image, ...;
    /// 503 when an inference silo must make it and none answers). See <see cref="ThumbnailService"/>.
    /// </summary>
    public static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> GetAsync(HttpContext http, IGrainFactory grains, ThumbnailService thumbnails, ServerPaths paths,
        [Description(JobsApi.JobIdDescription)] string id,
        [Description("The image's path inside the job, as its results name it.")] string? path,
        [Description("input or output.")] string? side,
        [Description("Longest side in pixels, 32 to 1024 (default 256).")] int? size,
        CancellationToken cancellationToken)
    {
        if (await JobsApi.FindAsync(grains, id) is not { } job)
        {
            return JobsApi.JobNotFound(id);
        }

        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(path) || BlobPathRules.Problem("c/" + path, isPrefix: false) is not null)
        {
            errors["path"] = ["must be a relative path inside the job, as its results name it"];
        }

        if (side is not ("input" or "output"))
        {
            errors["side"] = ["must be input or output"];
        }

        var longest = size ?? 256;
        if (longest is < 32 or > 1024)
        {
            errors["size"] = ["must be between 32 and 1024"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var spec = job.Spec!;
        // A matrix job's results name OUT/<source-name>/<path>: its input is the image at <path>, shared by every source.
        // An output of another format than its input is named by that format (FaceSwap.Grains.Batch.OutputNames).
        var full = side == "input" ? SourceMatrix.InputPath(spec, spec.Input + path) : spec.Output + FaceSwap.Grains.Batch.OutputNames.For(spec, path!);
        var (thumbnail, cached) = await thumbnails.GetAsync(full, longest, spec.Options.MaxPixels, Math.Min(spec.Options.MaxFileBytes, MaxSourceBytes), cancellationToken);
        http.Response.Headers["X-Cache"] = cached ? "hit" : "miss";
        if (thumbnail.Jpeg is { } jpeg)
        {
            return TypedResults.File(jpeg, "image/jpeg");
        }

        return TypedResults.Problem(new ProblemDetails
        {
            Status = thumbnail.Status,
            Title = thumbnail.Status switch
            {
                StatusCodes.Status404NotFound => "No such image",
                StatusCodes.Status503ServiceUnavailable => "Cannot make this thumbnail now",
                _ => "No thumbnail for this image",
            },
            Detail = thumbnail.Status == StatusCodes.Status404NotFound ? $"the job has no {side} '{path}'" : paths.Redact(thumbnail.Message),
            Extensions = { ["code"] = thumbnail.Code },
        });
    }
}
