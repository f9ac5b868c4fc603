using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Grains.BlobDrop;
using FaceSwap.Grains.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>Jobs started by dropping photos and a faceswap.json into the inbox: over the Event Grid queue and the watcher, against Azurite.</summary>
[Collection(AzuriteApiHostFixture.Collection), Trait("Category", "Azurite")]
public sealed class BlobDropTests(AzuriteApiHostFixture fixture)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task An_event_grid_message_on_the_queue_starts_one_job_even_when_delivered_twice_and_seen_by_the_watcher()
    {
        var names = Names.New();
        await using var host = await StartHostAsync(names, watchSeconds: 0.5, queue: true);
        var paths = await TestPhotos.UploadAsync(host, $"{names.Inbox}/shoot/", 3);
        await host.PutBytesAsync($"{names.Inbox}/shoot/face.jpg", TestPhotos.Small(3));
        await host.PutBytesAsync($"{names.Inbox}/shoot/faceswap.json", """{ "source": "./face.jpg", "consentReference": "consent-7" }"""u8.ToArray());
        var queue = new QueueClient(fixture.ConnectionString, names.Queue);
        await queue.CreateIfNotExistsAsync();
        var message = EventGridMessage(names.Inbox, "shoot/faceswap.json");
        await queue.SendMessageAsync(message);
        await queue.SendMessageAsync(message);

        var status = await WaitForStatusAsync(host, $"{names.Inbox}/shoot/_faceswap/status.json");

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(3, status.Counters.Ok);
        Assert.Equal($"{names.Outbox}/shoot/", status.Spec!.Output);
        Assert.Equal("consent-7", status.Spec.ConsentReference);
        foreach (var path in paths)
        {
            Assert.NotNull(await host.Store.GetPropertiesAsync($"{names.Outbox}/shoot/{path}"));
        }

        Assert.Null(await host.Store.GetPropertiesAsync($"{names.Outbox}/shoot/face.jpg"));
        using var http = host.CreateClient(ApiHost.ReadKey);
        var jobs = (await http.GetFromJsonAsync<JobList>("api/jobs?limit=50", FaceSwapJson.Options))!.Items;
        var job = Assert.Single(jobs, j => j.Spec?.Input == $"{names.Inbox}/shoot/");
        Assert.Equal(status.JobId, job.JobId);
        Assert.Equal(JobState.Completed, job.State);
        await WaitForEmptyAsync(queue);
        Assert.Equal(0, await CountAsync(new QueueClient(fixture.ConnectionString, names.Queue + "-poison")));
    }

    [Fact]
    public async Task The_watcher_starts_a_dropped_job_and_a_re_uploaded_manifest_starts_a_new_job_that_skips_finished_outputs()
    {
        var names = Names.New();
        await using var host = await StartHostAsync(names, watchSeconds: 0.5, queue: false);
        var paths = await TestPhotos.UploadAsync(host, $"{names.Inbox}/a/b/", 3);
        await host.PutBytesAsync($"faces-{names.Id}/anna.jpg", TestPhotos.Small(3));
        var manifest = Encoding.UTF8.GetBytes($$"""{ "source": "faces-{{names.Id}}/anna.jpg", "output": "{{names.Outbox}}/custom/", "options": { "batchSize": 2, "faces": "largest" } }""");
        await host.PutBytesAsync($"{names.Inbox}/a/b/faceswap.json", manifest);

        var first = await WaitForStatusAsync(host, $"{names.Inbox}/a/b/_faceswap/status.json");
        // One face per photo at most (the largest); demo photo 2's largest face is a full profile, out of the frontal
        // source's reach, so it is left as it is and the photo still counts as done.
        Assert.Equal((JobState.Completed, 3L, 2L), (first.State, first.Counters.Ok, first.Counters.Faces));
        Assert.Equal(FaceMode.Largest, first.Spec!.Options.Faces);
        foreach (var path in paths)
        {
            Assert.NotNull(await host.Store.GetPropertiesAsync($"{names.Outbox}/custom/{path}"));
        }

        await host.PutBytesAsync($"{names.Inbox}/a/b/faceswap.json", manifest);
        var second = await WaitForStatusAsync(host, $"{names.Inbox}/a/b/_faceswap/status.json", notJob: first.JobId);

        Assert.NotEqual(first.JobId, second.JobId);
        Assert.Equal((JobState.Completed, 3L, 0L), (second.State, second.Counters.Skipped, second.Counters.Ok));
    }

    [Theory]
    [InlineData("{ \"source\": \"./face.jpg\", ", "invalid JSON")]
    [InlineData("{ \"output\": \"outbox/x/\" }", "source is required")]
    [InlineData("{ \"source\": \"./../../etc/passwd\" }", "'..'")]
    [InlineData("{ \"source\": \"./face.jpg\", \"output\": \"/etc/\" }", "output absolute paths")]
    [InlineData("{ \"source\": \"https://example.com/face.jpg\" }", "not a URL")]
    [InlineData("{ \"source\": \"./face.jpg\", \"options\": { \"turbo\": true } }", "unknown member at 'options.turbo'")]
    [InlineData("{ \"source\": \"./no-such.jpg\" }", "no image at")]
    [InlineData("{ \"source\": \"./gradient.jpg\" }", "no face")]
    public async Task A_bad_manifest_gets_a_failed_status_beside_it_that_says_why_and_the_queue_moves_on(string manifest, string reason)
    {
        var names = Names.New();
        await using var host = await StartHostAsync(names, watchSeconds: 0, queue: true);
        await TestPhotos.UploadAsync(host, $"{names.Inbox}/bad/", 1);
        await host.PutBytesAsync($"{names.Inbox}/bad/face.jpg", TestPhotos.Small(3));
        using var gradient = new OpenCvSharp.Mat(300, 300, OpenCvSharp.MatType.CV_8UC3, new OpenCvSharp.Scalar(40, 160, 220));
        await host.PutBytesAsync($"{names.Inbox}/bad/gradient.jpg", ImageCodec.Encode(gradient, ImageFormat.Jpeg));
        await host.PutBytesAsync($"{names.Inbox}/bad/faceswap.json", Encoding.UTF8.GetBytes(manifest));
        await TestPhotos.UploadAsync(host, $"{names.Inbox}/good/", 1);
        await host.PutBytesAsync($"{names.Inbox}/good/face.jpg", TestPhotos.Small(3));
        await host.PutBytesAsync($"{names.Inbox}/good/faceswap.json", """{ "source": "./face.jpg" }"""u8.ToArray());
        var queue = new QueueClient(fixture.ConnectionString, names.Queue);
        await queue.CreateIfNotExistsAsync();

        await queue.SendMessageAsync(EventGridMessage(names.Inbox, "bad/faceswap.json"));
        await queue.SendMessageAsync(EventGridMessage(names.Inbox, "good/faceswap.json"));

        var bad = await WaitForStatusAsync(host, $"{names.Inbox}/bad/_faceswap/status.json");
        Assert.Equal(JobState.Failed, bad.State);
        Assert.Contains(reason, bad.Error, StringComparison.OrdinalIgnoreCase);
        var good = await WaitForStatusAsync(host, $"{names.Inbox}/good/_faceswap/status.json");
        Assert.Equal((JobState.Completed, 1L), (good.State, good.Counters.Ok));
        await WaitForEmptyAsync(queue);
        Assert.Equal(0, await CountAsync(new QueueClient(fixture.ConnectionString, names.Queue + "-poison")));
    }

    [Fact]
    public async Task A_message_that_is_not_an_event_goes_to_the_poison_queue_at_once_with_the_reason()
    {
        var names = Names.New();
        await using var host = await StartHostAsync(names, watchSeconds: 0, queue: true);
        var queue = new QueueClient(fixture.ConnectionString, names.Queue);
        await queue.CreateIfNotExistsAsync();

        await queue.SendMessageAsync("hello, this is not an event");
        await queue.SendMessageAsync("""{"id":"1","subject":"/nothing/here","eventType":"Microsoft.Storage.BlobCreated","eventTime":"2026-11-25T00:00:00Z","data":{},"dataVersion":""}""");

        var poison = new QueueClient(fixture.ConnectionString, names.Queue + "-poison");
        var reasons = await ReceiveAllAsync(poison, 2);
        Assert.Contains(reasons, r => r.Contains("neither JSON nor base64", StringComparison.Ordinal) && r.Contains("hello, this is not an event", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("names no container and blob", StringComparison.Ordinal));
        await WaitForEmptyAsync(queue);
    }

    [Fact]
    public async Task A_message_whose_handling_keeps_failing_is_retried_then_moved_to_the_poison_queue()
    {
        var names = Names.New();
        var queue = new QueueClient(fixture.ConnectionString, names.Queue);
        var poison = new QueueClient(fixture.ConnectionString, names.Queue + "-poison");
        var options = new FaceSwapSiloOptions { Drop = new BlobDropOptions { Enabled = true, Queue = names.Queue, MaxDeliveries = 3, VisibilitySeconds = 1 } };
        var handler = new FailingHandler();
        var consumer = new BlobDropQueueConsumer(handler, new DropQueues(queue, poison), Microsoft.Extensions.Options.Options.Create(options), null!, NullLogger<BlobDropQueueConsumer>.Instance);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(EventGridMessage(names.Inbox, "x/faceswap.json"));

        for (var round = 0; round < 3; round++)
        {
            Assert.True(await WaitUntilAsync(() => consumer.ReceiveOnceAsync(CancellationToken.None)), $"no delivery in round {round}");
        }

        Assert.Equal(3, handler.Calls);
        var reason = Assert.Single(await ReceiveAllAsync(poison, 1));
        Assert.Contains("failed 3 times", reason, StringComparison.Ordinal);
        Assert.Contains("storage is down", reason, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(queue));
    }

    private async Task<ApiHost> StartHostAsync(Names names, double watchSeconds, bool queue)
    {
        List<string> args =
        [
            "--FaceSwap:Drop:Inbox=" + names.Inbox, "--FaceSwap:Drop:Outbox=" + names.Outbox,
            "--FaceSwap:Drop:WatchSeconds=" + watchSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        if (queue)
        {
            args.Add("--FaceSwap:Drop:Queue=" + names.Queue);
        }

        return await ApiHost.StartAsync(fixture.ConnectionString, [.. args]);
    }

    /// <summary>A BlobCreated event in the Event Grid schema, as Event Grid writes it to a storage queue.</summary>
    private string EventGridMessage(string container, string blob) => JsonSerializer.Serialize(new object[]
    {
        new
        {
            id = Guid.NewGuid().ToString(),
            topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
            subject = $"/blobServices/default/containers/{container}/blobs/{blob}",
            eventType = "Microsoft.Storage.BlobCreated",
            eventTime = DateTimeOffset.UtcNow,
            data = new
            {
                api = "PutBlob",
                contentType = "application/json",
                contentLength = 64,
                blobType = "BlockBlob",
                url = $"{fixture.Host.BaseAddress}devstoreaccount1/{container}/{blob}",
            },
            dataVersion = "",
            metadataVersion = "1",
        },
    }[0]);

    private static async Task<JobStatus> WaitForStatusAsync(ApiHost host, string path, string? notJob = null)
    {
        using var timeout = new CancellationTokenSource(JobTimeout);
        while (true)
        {
            try
            {
                var status = JsonSerializer.Deserialize<JobStatus>(await host.Store.ReadAllBytesAsync(path, 1 << 20), FaceSwapJson.Options)!;
                if (status.IsTerminal && status.JobId != notJob)
                {
                    return status;
                }
            }
            catch (FaceSwap.Storage.BlobNotFoundException)
            {
                // Not written yet.
            }

            await Task.Delay(200, timeout.Token);
        }
    }

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> attempt)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!await attempt())
        {
            await Task.Delay(200, timeout.Token);
        }

        return true;
    }

    private static async Task WaitForEmptyAsync(QueueClient queue)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await CountAsync(queue) > 0)
        {
            await Task.Delay(200, timeout.Token);
        }
    }

    private static async Task<int> CountAsync(QueueClient queue) =>
        await queue.ExistsAsync() ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;

    private static async Task<List<string>> ReceiveAllAsync(QueueClient queue, int count)
    {
        var bodies = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (bodies.Count < count)
        {
            if (await queue.ExistsAsync(timeout.Token))
            {
                foreach (var message in (await queue.ReceiveMessagesAsync(32, cancellationToken: timeout.Token)).Value)
                {
                    bodies.Add(message.Body.ToString());
                }
            }

            await Task.Delay(200, timeout.Token);
        }

        return bodies;
    }

    private sealed record Names(string Id, string Inbox, string Outbox, string Queue)
    {
        public static Names New()
        {
            var id = Guid.NewGuid().ToString("N")[..10];
            return new Names(id, "inbox-" + id, "outbox-" + id, "drops-" + id);
        }
    }

    private sealed class FailingHandler : IBlobDropHandler
    {
        private int calls;

        public int Calls => calls;

        public Task<DropOutcome> HandleAsync(string manifestPath, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            throw new IOException("storage is down");
        }
    }
}
