using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Grains.Tests;

/// <summary>Job state persisted before the wire contracts moved to FaceSwap.Contracts is still read by a new silo.</summary>
public sealed class ContractStateTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-grains-contract-state");

    [Fact]
    public async Task A_job_whose_state_names_the_contracts_in_FaceSwap_Abstractions_is_read_back_whole()
    {
        // A completed job's state file as the embedded mode wrote it before the move: every contract type is named with
        // the FaceSwap.Abstractions assembly, which now forwards them to FaceSwap.Contracts.
        const string jobId = "20261205-023224-3deec2";
        var stateDirectory = Path.Combine(work.FullPath, "state");
        Directory.CreateDirectory(Path.Combine(stateDirectory, "job"));
        await File.WriteAllTextAsync(Path.Combine(stateDirectory, "job", $"batch%2F{jobId}.json"), """
            {"$id":"1","$type":"FaceSwap.Grains.Batch.BatchState, FaceSwap.Grains","Spec":{"$id":"2","$type":"FaceSwap.Abstractions.Jobs.JobSpec, FaceSwap.Abstractions","Source":"tmp/wt4-t/sample3.jpg","Input":"tmp/wt4-t/photos/","Output":"tmp/wt4-t/out/","Options":{"$id":"3","$type":"FaceSwap.Abstractions.Jobs.JobOptions, FaceSwap.Abstractions","BatchSize":4,"Prefetch":16,"Quality":92,"MaxPixels":64000000,"MaxFileBytes":209715200,"Watermark":true,"ReferenceDistance":0.3,"Swapper":"morph","Enhancer":"none","Detector":"default","BlendRatio":0.95,"Landmarker":"default"},"SubmittedBy":"root","ConsentReference":"local run"},"SpecHash":"\"35f79-8df5277ff18e184\":b12bb7e2235ebbb8","State":2,"Counters":{"$id":"4","$type":"FaceSwap.Abstractions.Jobs.JobCounters, FaceSwap.Abstractions","Discovered":2,"Ok":2,"Faces":7,"Finished":2},"ListingComplete":true,"Created":"2026-12-05T02:32:28.4272716+00:00","Finished":"2026-12-05T02:32:32.8163784+00:00","Started":"2026-12-05T02:32:28.6417259+00:00"}
            """);

        await using var silo = await EmbeddedSilo.StartAsync(stateDirectory, "local", output);
        var status = await silo.Grains.GetGrain<IBatchGrain>(jobId).GetStatusAsync();

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal("tmp/wt4-t/sample3.jpg", status.Spec?.Source);
        Assert.Equal("local run", status.Spec?.ConsentReference);
        Assert.Equal(0.95f, status.Spec?.Options.BlendRatio);
        Assert.Equal(2, status.Counters.Ok);
        Assert.Equal(7, status.Counters.Faces);
        Assert.Null(status.ErrorCode);
    }

    /// <inheritdoc />
    public void Dispose() => work.Dispose();
}
