using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace FaceSwap.Grains.Tests;

/// <summary>Tests that share one private Azurite.</summary>
[CollectionDefinition(AzuriteFixture.CollectionName)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>;

/// <summary>One line of OUT/_faceswap/&lt;job&gt;/outcomes.jsonl, as written by the BatchGrain.</summary>
public sealed record OutcomeLine(string Path, string Status, string? ErrorClass, string? Message, int Faces, float? Similarity, string? Silo,
    IReadOnlyList<FaceOutcome>? FaceOutcomes = null);

/// <summary>Starting jobs, waiting for them and reading their manifests.</summary>
public static class Jobs
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>Polls a job until it is terminal; fails the test with the last status after <paramref name="timeout"/>.</summary>
    public static async Task<JobStatus> WaitAsync(IBatchGrain job, TimeSpan timeout, Func<JobStatus, Task>? onProgress = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await job.GetStatusAsync();
            if (status.IsTerminal)
            {
                return status;
            }

            if (onProgress is not null)
            {
                await onProgress(status);
            }

            Assert.True(clock.Elapsed < timeout, $"job {status.JobId} not finished after {timeout.TotalSeconds} s: {status.State}, {status.Counters}, in flight {status.InFlight}");
            await Task.Delay(100);
        }
    }

    /// <summary>Parses a JSON-lines manifest.</summary>
    public static List<OutcomeLine> ParseOutcomes(string jsonl) =>
        jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonSerializer.Deserialize<OutcomeLine>(line, Json) ?? throw new InvalidDataException("null line: " + line))
            .ToList();

    /// <summary>Asserts a job's counters: photos ok (or skipped), two without a face, two broken, nothing else.</summary>
    public static void AssertCounts(JobStatus status, InputTree tree, long ok, long skipped)
    {
        Assert.Equal(JobState.Completed, status.State);
        Assert.Null(status.Error);
        Assert.True(status.ListingComplete);
        Assert.Equal(0, status.InFlight);
        var c = status.Counters;
        Assert.Equal(tree.Images.Count, c.Discovered);
        Assert.Equal(ok, c.Ok);
        Assert.Equal(skipped, c.Skipped);
        Assert.Equal(2, c.NoFace);
        Assert.Equal(2, c.Failed);
        Assert.Equal(tree.Images.Count, c.Finished);
    }

    /// <summary>
    /// Asserts a manifest: exactly one line per image (none for ignored files), photos with the expected status and at
    /// least one face when swapped, broken files classified, faceless images no_face.
    /// </summary>
    public static void AssertOutcomes(IReadOnlyList<OutcomeLine> lines, InputTree tree, string photoStatus)
    {
        var duplicates = lines.GroupBy(l => l.Path).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
        Assert.True(duplicates.Count == 0, "images with more than one outcome: " + string.Join(", ", duplicates));
        Assert.Equal(tree.Images.Select(f => f.RelativePath).Order(StringComparer.Ordinal), lines.Select(l => l.Path).Order(StringComparer.Ordinal));
        var byPath = lines.ToDictionary(l => l.Path);
        foreach (var file in tree.Images)
        {
            var line = byPath[file.RelativePath];
            switch (file.Kind)
            {
                case InputKind.Photo:
                    Assert.True(line.Status == photoStatus, $"{file.RelativePath}: {line.Status} {line.ErrorClass} {line.Message}");
                    if (photoStatus == "ok")
                    {
                        Assert.True(line.Faces >= 1, $"{file.RelativePath}: ok with {line.Faces} faces");
                        Assert.True(line.FaceOutcomes?.Count == line.Faces, $"{file.RelativePath}: {line.Faces} faces, {line.FaceOutcomes?.Count} listed");
                        Assert.All(line.FaceOutcomes!, f => Assert.True(f.Similarity is null || f.Tint is not null, $"{file.RelativePath}: a face found again is measured"));
                        Assert.False(string.IsNullOrEmpty(line.Silo));
                    }

                    break;
                case InputKind.NoFace:
                    Assert.True(line.Status == "no_face", $"{file.RelativePath}: {line.Status} {line.ErrorClass} {line.Message}");
                    break;
                case InputKind.NotAnImage:
                    Assert.Equal(("failed", "not_an_image"), (line.Status, line.ErrorClass));
                    Assert.False(string.IsNullOrWhiteSpace(line.Message));
                    break;
                case InputKind.Truncated:
                    Assert.Equal(("failed", "truncated_image"), (line.Status, line.ErrorClass));
                    Assert.False(string.IsNullOrWhiteSpace(line.Message));
                    break;
            }
        }
    }

    /// <summary>Parses summary.json and checks it agrees with the status.</summary>
    public static void AssertSummary(string json, JobStatus status)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(status.JobId, root.GetProperty("jobId").GetString());
        Assert.Equal("completed", root.GetProperty("state").GetString());
        var counts = root.GetProperty("counts");
        Assert.Equal(status.Counters.Discovered, counts.GetProperty("discovered").GetInt64());
        Assert.Equal(status.Counters.Ok, counts.GetProperty("ok").GetInt64());
        Assert.Equal(status.Counters.NoFace, counts.GetProperty("noFace").GetInt64());
        Assert.Equal(status.Counters.Failed, counts.GetProperty("failed").GetInt64());
        Assert.Equal(status.Counters.Skipped, counts.GetProperty("skipped").GetInt64());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("specHash").GetString()));

        // The faces' quality figures and review list agree with the counters the job reported.
        var quality = root.GetProperty("quality");
        Assert.Equal(status.Counters.Faces, quality.GetProperty("facesSwapped").GetInt64());
        Assert.Equal(status.Counters.FacesLost, quality.GetProperty("facesLost").GetInt64());
        Assert.Equal(status.Counters.FacesToReview, quality.GetProperty("facesToReview").GetInt64());
        var review = root.GetProperty("review");
        Assert.Equal(status.Counters.FacesToReview, review.GetProperty("total").GetInt64());
        Assert.Equal(Math.Min(status.Counters.FacesToReview, 1000), review.GetProperty("faces").GetArrayLength());
    }
}

/// <summary>Mirrors test progress to the file named by FACESWAP_TEST_TRACE, for watching a long test while it runs.</summary>
public static class TestTrace
{
    private static readonly string? File = Environment.GetEnvironmentVariable("FACESWAP_TEST_TRACE");
    private static readonly Lock Gate = new();

    /// <summary>Appends a line with a timestamp when tracing is on.</summary>
    public static void Write(string line)
    {
        if (File is null)
        {
            return;
        }

        lock (Gate)
        {
            System.IO.File.AppendAllText(File, $"{DateTime.UtcNow:HH:mm:ss.fff} {line}{Environment.NewLine}");
        }
    }
}

/// <summary>Sends warnings and errors of silos to the test output (and keeps them for failure messages).</summary>
public sealed class TestLoggerProvider(ITestOutputHelper? output) : ILoggerProvider
{
    /// <summary>Everything logged at warning or above, newest last.</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>The messages FaceSwap's own classes logged at information level (kept, not written), newest last.</summary>
    public ConcurrentQueue<string> Information { get; } = new();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void Write(string line)
    {
        Lines.Enqueue(line);
        TestTrace.Write(line);
        try
        {
            output?.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test is over; the silo is still shutting down.
        }
    }

    private sealed class Logger(TestLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Warning || (logLevel == LogLevel.Information && category.StartsWith("FaceSwap.", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Information && IsEnabled(logLevel))
            {
                owner.Information.Enqueue(formatter(state, exception));
            }
            else if (IsEnabled(logLevel))
            {
                owner.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
            }
        }
    }
}
