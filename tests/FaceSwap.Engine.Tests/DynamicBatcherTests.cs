using FaceSwap.Engine.Models;
using Xunit.Abstractions;

namespace FaceSwap.Engine.Tests;

public sealed class DynamicBatcherTests(ITestOutputHelper output)
{
    [Fact]
    public void Concurrent_callers_share_model_calls_and_each_gets_its_own_outputs()
    {
        using var single = OnnxModel.Load(TestAssets.Models, Landmarks.FaceLandmarker.Contract, new OnnxSettings { IntraOpThreads = 1, Batching = new BatchingSettings { MaxBatch = 1 } });
        using var batched = OnnxModel.Load(TestAssets.Models, Landmarks.FaceLandmarker.Contract, new OnnxSettings
        {
            IntraOpThreads = 1,
            Batching = new BatchingSettings { MaxBatch = 8, MaxWait = TimeSpan.FromMilliseconds(50), ConcurrentRuns = 1 },
        });
        Assert.NotEmpty(batched.BatchEdits);
        Assert.Empty(single.BatchEdits);

        var random = new Random(7);
        var inputs = Enumerable.Range(0, 96).Select(_ => Enumerable.Range(0, 64 * 64).Select(_ => (float)random.NextDouble()).ToArray()).ToList();
        var expected = inputs.Select(i => single.Batcher.Run([i])[0]["output"]).ToList();

        // Dedicated threads, as the engine uses: pool threads may start one by one on a busy machine (other test
        // assemblies run alongside), and callers that never overlap have nothing to merge.
        var actual = new float[inputs.Count][];
        const int Callers = 8;
        using var start = new Barrier(Callers);
        var threads = Enumerable.Range(0, Callers).Select(thread => new Thread(() =>
        {
            start.SignalAndWait();
            // Each thread sends its items one or two at a time, as the engine does with the faces of an image.
            for (var i = thread; i < inputs.Count; i += 2 * Callers)
            {
                var pair = new[] { i, i + Callers }.Where(k => k < inputs.Count).ToList();
                var outputs = batched.Batcher.Run(pair.Select(k => inputs[k]).ToList());
                for (var k = 0; k < pair.Count; k++)
                {
                    actual[pair[k]] = outputs[k]["output"];
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        output.WriteLine($"{batched.Batcher.Items} items in {batched.Batcher.Calls} model calls");
        Assert.Equal(inputs.Count, batched.Batcher.Items);
        Assert.True(batched.Batcher.Calls < inputs.Count / 2, $"{batched.Batcher.Calls} calls for {inputs.Count} items: batches did not form");
        for (var i = 0; i < inputs.Count; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (var v = 0; v < expected[i].Length; v++)
            {
                Assert.Equal(expected[i][v], actual[i][v], 4);
            }
        }
    }

    [Fact]
    public void Without_a_wait_a_lone_caller_runs_at_once_and_a_larger_request_is_split()
    {
        using var model = OnnxModel.Load(TestAssets.Models, Recognition.FaceEmbedder.Contract, new OnnxSettings
        {
            IntraOpThreads = 1,
            Batching = new BatchingSettings { MaxBatch = 4 },
        });
        var inputs = Enumerable.Range(0, 10).Select(n => Enumerable.Repeat(n / 10f, 3 * 112 * 112).ToArray()).ToList();

        var outputs = model.Batcher.Run(inputs);

        Assert.Equal(10, outputs.Count);
        Assert.All(outputs, o => Assert.Equal(512, o["output"].Length));
        Assert.Equal(3, model.Batcher.Calls);
        Assert.NotEqual(outputs[0]["output"], outputs[9]["output"]);
    }
}
