using FaceSwap.Grains.Inference;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>Placement holds when only an api silo is up: the engine is never run there, and the job says why it cannot run.</summary>
public sealed class ApiOnlyTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-grains-api");

    [Fact]
    public async Task A_cluster_with_only_an_api_silo_refuses_a_job_clearly_and_does_not_leave_it_hanging()
    {
        var tree = InputTree.Build(photos: 4);
        var inputDir = Path.Combine(work.FullPath, "in");
        tree.WriteTo(inputDir);
        var sourceFile = Path.Combine(work.FullPath, "face.jpg");
        await File.WriteAllBytesAsync(sourceFile, SourceFace.Jpeg);
        var outputDir = Path.Combine(work.FullPath, "out");
        var spec = new JobSpec { Source = sourceFile.TrimStart('/'), Input = inputDir.TrimStart('/') + "/", Output = outputDir.TrimStart('/') + "/",
            SubmittedBy = "grains-tests", ConsentReference = "grains-tests-consent" };

        await using var silo = await EmbeddedSilo.StartAsync(Path.Combine(work.FullPath, "state"), "local", output, role: "api");
        var job = silo.Grains.GetGrain<IBatchGrain>("api-only-" + Guid.NewGuid().ToString("N"));

        // With no inference silo in the cluster manifest at all, Orleans cannot even resolve IInferenceGrain to a grain
        // class ("Could not find an implementation for interface FaceSwap.IInferenceGrain"); with inference silos known
        // but none alive it says "No active nodes are compatible". Either way the caller gets the reason at once.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => job.StartAsync(spec));
        output.WriteLine($"{error.GetType().Name}: {error.Message}");
        // Told apart by its type, as the dispatcher tells it (the API answers 503 for it), never by its text.
        Assert.True(error is InvalidOperationException { InnerException: { } cause } && InferenceDispatcher.IsNoInferenceSilo(cause), error.ToString());
        Assert.False(Directory.Exists(outputDir), "the api silo wrote output");

        // The refused job must not look accepted: asking again fails the same way (or the job is Failed with a reason),
        // never a Pending job that nothing will ever run.
        JobStatus? again = null;
        Exception? againError = null;
        try
        {
            again = await job.StartAsync(spec);
        }
        catch (Exception e) when (e is ArgumentException or OrleansException or InvalidOperationException)
        {
            againError = e;
        }

        var status = await job.GetStatusAsync();
        Assert.True(
            againError is not null || (again!.State == JobState.Failed && !string.IsNullOrEmpty(again.Error)),
            $"a second StartAsync returned {again?.State} without an error; status now {status.State}, spec {(status.Spec is null ? "unset" : "set")}: the job will never run");
        Assert.True(status.State is JobState.Failed or JobState.Pending && (status.State == JobState.Failed || status.Spec is null),
            $"after a refused start the job reads {status.State} with its spec recorded, though nothing runs it");
    }

    public void Dispose() => work.Dispose();
}
