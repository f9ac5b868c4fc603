using System.Collections;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Silo.Tests;

/// <summary>Runs a job straight through the host's grains and reads its outcomes, for the telemetry and readiness tests.</summary>
public static class TelemetryJobs
{
    /// <summary>Uploads <paramref name="photos"/> photos (and <paramref name="corrupt"/> corrupt files) and runs a job over them to the end.</summary>
    public static async Task<(string JobId, JobSpec Spec, JobStatus Status, IReadOnlyList<ImageOutcome> Outcomes)> RunAsync(ApiHost host, int photos, int corrupt = 0, string? consent = null)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var spec = new JobSpec { Source = $"photos/{id}/source.jpg", Input = $"photos/{id}/in/", Output = $"photos/{id}/out/", SubmittedBy = "telemetry-test", ConsentReference = consent ?? "consent-for-telemetry-tests" };
        await host.PutBytesAsync(spec.Source, TestPhotos.Small(1));
        await TestPhotos.UploadAsync(host, spec.Input, photos);
        for (var i = 0; i < corrupt; i++)
        {
            await host.PutBytesAsync($"{spec.Input}broken{i}.jpg", TestPhotos.Corrupt);
        }

        var jobId = "telemetry-" + id;
        var job = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IBatchGrain>(jobId);
        var status = await job.StartAsync(spec);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!status.IsTerminal && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            status = await job.GetStatusAsync();
        }

        Assert.Equal(JobState.Completed, status.State);
        var outcomes = await JobOutcomes.ReadLatestAsync(host.Store, JobFiles.Outcomes(spec, jobId));
        return (jobId, spec, status, outcomes);
    }
}

/// <summary>A list that exporters may add to while a test reads it.</summary>
public sealed class LockedList<T> : ICollection<T>
{
    private readonly List<T> items = [];

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (items)
            {
                return items.Count;
            }
        }
    }

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <summary>A copy of the items now.</summary>
    public List<T> Snapshot()
    {
        lock (items)
        {
            return [.. items];
        }
    }

    /// <inheritdoc />
    public void Add(T item)
    {
        lock (items)
        {
            items.Add(item);
        }
    }

    /// <inheritdoc />
    public void Clear()
    {
        lock (items)
        {
            items.Clear();
        }
    }

    /// <inheritdoc />
    public bool Contains(T item) => Snapshot().Contains(item);

    /// <inheritdoc />
    public void CopyTo(T[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

    /// <inheritdoc />
    public bool Remove(T item)
    {
        lock (items)
        {
            return items.Remove(item);
        }
    }

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
