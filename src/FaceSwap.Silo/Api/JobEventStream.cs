using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Silo.Api.Security;
using FaceSwap.Storage;
using Microsoft.AspNetCore.Mvc;

namespace FaceSwap.Silo.Api;

/// <summary>
/// <c>GET /api/jobs/{id}/events</c>: server-sent events that follow the job's append-only outcomes manifest. An event's
/// id is the byte position reached in that manifest, so a client resuming with Last-Event-ID gets exactly the lines
/// after it: nothing lost, nothing repeated, however often it reconnects.
/// </summary>
public static class JobEventStream
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private const int ChunkBytes = 256 * 1024;

    /// <summary>Streams the events until the job is terminal and every outcome line has been sent, or the client leaves.</summary>
    public static async Task StreamAsync(HttpContext http, IGrainFactory grains, IBlobStore store, ServerPaths paths, EventStreamLimit limit,
        [Description(JobsApi.JobIdDescription)] string id,
        [Description("false: only status and done events, no image events (default true).")] bool? images,
        [Description("Resume after this event id (the Last-Event-ID header wins when both are given).")] string? lastEventId,
        [FromHeader(Name = "Last-Event-ID"), Description("Resume after this event id: the id of the last event received before a reconnect.")] string? lastEventIdHeader,
        CancellationToken cancellationToken)
    {
        if (await JobsApi.FindAsync(grains, id) is not { } status)
        {
            await JobsApi.JobNotFound(id).ExecuteAsync(http);
            return;
        }

        var resumeFrom = string.IsNullOrEmpty(lastEventIdHeader) ? lastEventId : lastEventIdHeader;
        long offset = 0;
        if (!string.IsNullOrEmpty(resumeFrom) && (!long.TryParse(resumeFrom, NumberStyles.None, CultureInfo.InvariantCulture, out offset)))
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["Last-Event-ID"] = ["is not an event id of this stream"] }).ExecuteAsync(http);
            return;
        }

        using var slot = limit.TryOpen(http.User);
        if (slot is null)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many event streams",
                    detail: $"this key holds {limit.PerKey} event streams already: close one first",
                    extensions: new Dictionary<string, object?> { ["code"] = EventStreamLimit.Code })
                .ExecuteAsync(http);
            return;
        }

        var withImages = images ?? true;
        var manifest = JobFiles.Outcomes(status.Spec!, id);
        var grain = grains.GetGrain<IBatchGrain>(id);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var writer = new EventWriter(http.Response);
        await writer.RetryAsync(2000, cancellationToken);

        JobStatus? sent = null;
        var lastWrite = DateTimeOffset.UtcNow;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // The status first, then the manifest: once a terminal status is seen, every line is already written.
                status = paths.Redact(await grain.GetStatusAsync());
                var readAll = false;
                while (!readAll)
                {
                    var chunk = await store.ReadRangeAsync(manifest, offset, ChunkBytes, cancellationToken);
                    var end = Array.LastIndexOf(chunk, (byte)'\n');
                    readAll = chunk.Length < ChunkBytes;
                    if (end < 0)
                    {
                        break;
                    }

                    var start = 0;
                    while (start <= end)
                    {
                        var newline = Array.IndexOf(chunk, (byte)'\n', start);
                        var lineEnd = offset + newline + 1;
                        if (withImages && JobOutcomes.Parse(chunk.AsSpan(start, newline - start)) is { } outcome)
                        {
                            await writer.EventAsync("image", lineEnd, JsonSerializer.Serialize(outcome, FaceSwapJson.Options), cancellationToken);
                        }

                        start = newline + 1;
                    }

                    offset += end + 1;
                    lastWrite = DateTimeOffset.UtcNow;
                }

                if (status.IsTerminal)
                {
                    await writer.EventAsync("done", offset, JsonSerializer.Serialize(status, FaceSwapJson.Options), cancellationToken);
                    return;
                }

                if (sent is null || !SameProgress(sent, status))
                {
                    await writer.EventAsync("status", offset, JsonSerializer.Serialize(status, FaceSwapJson.Options), cancellationToken);
                    sent = status;
                    lastWrite = DateTimeOffset.UtcNow;
                }
                else if (DateTimeOffset.UtcNow - lastWrite > KeepAlive)
                {
                    await writer.CommentAsync("keep-alive", cancellationToken);
                    lastWrite = DateTimeOffset.UtcNow;
                }

                await Task.Delay(Poll, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static bool SameProgress(JobStatus a, JobStatus b) =>
        a.State == b.State && a.Counters == b.Counters && a.InFlight == b.InFlight && a.ListingComplete == b.ListingComplete;

    private sealed class EventWriter(HttpResponse response)
    {
        public Task RetryAsync(int milliseconds, CancellationToken cancellationToken) =>
            WriteAsync($"retry: {milliseconds}\n\n", cancellationToken);

        public Task EventAsync(string name, long id, string data, CancellationToken cancellationToken) =>
            WriteAsync($"event: {name}\nid: {id.ToString(CultureInfo.InvariantCulture)}\ndata: {data}\n\n", cancellationToken);

        public Task CommentAsync(string text, CancellationToken cancellationToken) => WriteAsync($": {text}\n\n", cancellationToken);

        private async Task WriteAsync(string text, CancellationToken cancellationToken)
        {
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }
}
