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
        return app;
    }

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
