using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Storage;
using OpenCvSharp;

namespace FaceSwap.Silo.Api;

/// <summary>Thumbnails of a job's inputs and outputs, made on the server so the page never loads full-size photos.</summary>
public static class Thumbnails
{
    private const long MaxSourceBytes = 200L * 1024 * 1024;

    /// <summary>The URL of one thumbnail.</summary>
    public static string Url(string jobId, string path, string side) =>
        $"/api/jobs/{Uri.EscapeDataString(jobId)}/thumbnail?side={side}&path={Uri.EscapeDataString(path)}";

    /// <summary><c>GET /api/jobs/{id}/thumbnail?path=&amp;side=input|output&amp;size=256</c>.</summary>
    public static async Task<IResult> GetAsync(IGrainFactory grains, IBlobStore store, string id, string? path, string? side, int? size, CancellationToken cancellationToken)
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

        var full = (side == "input" ? job.Spec!.Input : job.Spec!.Output) + path;
        byte[] bytes;
        try
        {
            bytes = await store.ReadAllBytesAsync(full, MaxSourceBytes, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such image", detail: $"the job has no {side} '{path}'");
        }

        try
        {
            using var image = ImageCodec.Decode(bytes, job.Spec.Options.MaxPixels);
            var scale = Math.Min(1.0, longest / (double)Math.Max(image.Width, image.Height));
            using var small = new Mat();
            Cv2.Resize(image, small, new Size(Math.Max(1, (int)(image.Width * scale)), Math.Max(1, (int)(image.Height * scale))), interpolation: InterpolationFlags.Area);
            return TypedResults.File(ImageCodec.Encode(small, ImageFormat.Jpeg, 85), "image/jpeg");
        }
        catch (FaceSwapException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Not a readable image", detail: e.Message);
        }
    }
}
