using System.ComponentModel;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Silo.Api.Security;
using FaceSwap.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FaceSwap.Silo.Api;

/// <summary>
/// A job's results to take home: its outputs as one zip and its failures as CSV, both written to the response as they
/// are read (nothing is assembled in memory; an output is copied in ranges of <see cref="ChunkBytes"/>).
/// </summary>
public static class DownloadsApi
{
    /// <summary>The bytes of an output read from the store at a time.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Maps the download routes under /api/jobs/{id}.</summary>
    public static IEndpointRouteBuilder MapDownloadsApi(this IEndpointRouteBuilder app)
    {
        var results = app.MapGroup("/api/jobs").RequireRateLimiting(ApiRateLimits.Policy).WithTags(OpenApiTags.Results)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        results.MapGet("/{id}/outputs.zip", OutputsZipAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("DownloadJobOutputs").WithSummary("Download a finished job's outputs as one zip")
            .WithDescription("Every output the job wrote (swapped, already done, or copied untouched), under its path relative to the "
                + "job's output prefix, in one zip streamed as it is read. 404: no such job; 409 `job_not_finished` "
                + "while the job runs.")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/zip")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        results.MapGet("/{id}/failures.csv", FailuresCsvAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("DownloadJobFailures").WithSummary("Download a job's failures as CSV")
            .WithDescription("One row per image whose latest outcome is failed or no_face, with the columns path, status, errorClass, "
                + "message (RFC 4180: quoted where needed, UTF-8), streamed. 404: no such job.")
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .ProducesProblem(StatusCodes.Status404NotFound);
        results.MapGet("/{id}/contact-sheet.png", ContactSheetAsync).RequireAuthorization(ApiRoles.Read)
            .WithName("GetJobContactSheet").WithSummary("Get a preview job's contact sheet")
            .WithDescription("The PNG a preview job (`options.preview`) draws when its images are done: one row per swapped face, "
                + "the input's crop beside the output's with that face's similarity, tint, shade, detail and review reasons. "
                + "404: no such job, `not_a_preview` for a job without options.preview, `no_contact_sheet` when it could not be "
                + "drawn (the summary says why); 409 `job_not_finished` while the job runs.")
            .Produces<byte[]>(StatusCodes.Status200OK, "image/png")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    /// <summary>The largest contact sheet read: a full sheet of 150 faces is a few tens of MB at most.</summary>
    private const long MaxContactSheetBytes = 256L * 1024 * 1024;

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ContactSheetAsync(HttpContext http, IGrainFactory grains, IBlobStore store,
        [Description(JobsApi.JobIdDescription)] string id)
    {
        if (await JobsApi.FindAsync(grains, id) is not { } job)
        {
            return JobsApi.JobNotFound(id);
        }

        if (job.Spec!.Options.Preview is null)
        {
            return Problem(StatusCodes.Status404NotFound, "Not a preview", $"job '{id}' is not a preview (options.preview): it draws no contact sheet", ErrorCodes.NotAPreview);
        }

        if (!job.IsTerminal)
        {
            return Problem(StatusCodes.Status409Conflict, "The job is still running", $"job '{id}' draws its contact sheet once its images are done", ErrorCodes.JobNotFinished);
        }

        try
        {
            var png = await store.ReadAllBytesAsync(FaceSwap.Grains.Batch.JobFiles.ContactSheet(job.Spec, id), MaxContactSheetBytes, http.RequestAborted);
            return TypedResults.File(png, "image/png", $"{id}-contact-sheet.png");
        }
        catch (BlobNotFoundException)
        {
            return Problem(StatusCodes.Status404NotFound, "No contact sheet", $"job '{id}' has no contact sheet: it was cancelled, or the sheet could not be drawn (see its summary.json)", ErrorCodes.NoContactSheet);
        }
    }

    private static ProblemHttpResult Problem(int status, string title, string detail, string code) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Title = title, Detail = detail, Extensions = { ["code"] = code } });

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> OutputsZipAsync(HttpContext http, IGrainFactory grains, IBlobStore store,
        [Description(JobsApi.JobIdDescription)] string id)
    {
        if (await JobsApi.FindAsync(grains, id) is not { } job)
        {
            return JobsApi.JobNotFound(id);
        }

        if (!job.IsTerminal)
        {
            return TypedResults.Problem(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The job is still running",
                Detail = $"job '{id}' is {JsonNamingPolicy.SnakeCaseLower.ConvertName(job.State.ToString())}: its outputs can be downloaded once it has finished",
                Extensions = { ["code"] = ErrorCodes.JobNotFinished },
            });
        }

        var cancellationToken = http.RequestAborted;
        return TypedResults.Stream(body => WriteZipAsync(body, store, job.Spec!, id, cancellationToken), "application/zip", $"{id}-outputs.zip");
    }

    private static async Task WriteZipAsync(Stream body, IBlobStore store, JobSpec spec, string jobId, CancellationToken cancellationToken)
    {
        var output = new DeferredSyncWriteStream(body);
        await using (var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken))
        {
            await WriteEntriesAsync(zip, store, spec, jobId, cancellationToken);
        }

        await output.FlushAsync(cancellationToken);
    }

    private static async Task WriteEntriesAsync(ZipArchive zip, IBlobStore store, JobSpec spec, string jobId, CancellationToken cancellationToken)
    {
        await foreach (var outcome in JobDownloads.OutcomesAsync(store, spec, jobId, cancellationToken))
        {
            if (JobDownloads.OutputOf(outcome) is not { } relative || await store.GetPropertiesAsync(spec.Output + relative, cancellationToken) is not { } blob)
            {
                continue;
            }

            // Photos are compressed already: stored as they are, which costs no CPU and leaves them byte for byte.
            var entry = zip.CreateEntry(relative, CompressionLevel.NoCompression);
            entry.LastWriteTime = blob.LastModified;
            await using var entryStream = await entry.OpenAsync(cancellationToken);
            for (long offset = 0; offset < blob.Size;)
            {
                var chunk = await store.ReadRangeAsync(blob.Path, offset, (int)Math.Min(ChunkBytes, blob.Size - offset), cancellationToken);
                if (chunk.Length == 0)
                {
                    break;
                }

                await entryStream.WriteAsync(chunk, cancellationToken);
                offset += chunk.Length;
            }
        }
    }

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> FailuresCsvAsync(HttpContext http, IGrainFactory grains, IBlobStore store,
        [Description(JobsApi.JobIdDescription)] string id)
    {
        if (await JobsApi.FindAsync(grains, id) is not { } job)
        {
            return JobsApi.JobNotFound(id);
        }

        var cancellationToken = http.RequestAborted;
        return TypedResults.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 16 << 10, leaveOpen: true);
            await writer.WriteAsync(CsvRow("path", "status", "errorClass", "message"));
            await foreach (var outcome in JobDownloads.OutcomesAsync(store, job.Spec!, id, cancellationToken))
            {
                if (JobDownloads.IsFailure(outcome))
                {
                    await writer.WriteAsync(CsvRow(outcome.Path, JsonNamingPolicy.SnakeCaseLower.ConvertName(outcome.Status.ToString()), outcome.ErrorClass, outcome.Message));
                }
            }

            await writer.FlushAsync(cancellationToken);
        }, "text/csv; charset=utf-8", $"{id}-failures.csv");
    }

    /// <summary>One CSV record (RFC 4180): a field holding a comma, quote, CR or LF is quoted, its quotes doubled; CRLF ends it.</summary>
    public static string CsvRow(params string?[] fields) =>
        string.Join(',', fields.Select(f => f is null ? "" : f.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{f.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : f)) + "\r\n";
}
