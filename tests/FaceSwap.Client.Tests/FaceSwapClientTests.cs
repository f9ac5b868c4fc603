using System.Collections.Concurrent;
using System.Net;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Samples.SubmitFolder;
using FaceSwap.Silo.Tests;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Client.Tests;

/// <summary>The SDK against a real host: Kestrel on loopback, an Orleans silo with the real engine, Azurite storage.</summary>
[Collection(AzuriteFixture.CollectionName), Trait("Category", "Azurite")]
public sealed class FaceSwapClientTests(ClientHostFixture fixture) : IClassFixture<ClientHostFixture>
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(2);

    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task A_submitted_job_streams_each_image_then_done_and_completes_with_its_outputs()
    {
        var batch = await fixture.NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 3);
        using var client = fixture.Client(ApiHost.SubmitKey);
        using var timeout = new CancellationTokenSource(JobTimeout);

        var operation = await client.SubmitJobAsync(Request(batch), timeout.Token);
        var created = operation.LatestStatus!;
        var events = await CollectAsync(client.WatchAsync(operation.Id, cancellationToken: timeout.Token));

        Assert.True(JobIds.IsValid(operation.Id), operation.Id);
        Assert.Equal(operation.Id, created.JobId);
        Assert.Equal(JobState.Running, created.State);
        Assert.False(operation.HasCompleted);
        Assert.Throws<InvalidOperationException>(() => operation.Value);
        Assert.Equal(("studio", batch.Input), (created.Spec!.SubmittedBy, created.Spec.Input));
        var images = events.Where(e => e.Kind == JobEventKind.Image).Select(e => e.Image!).ToList();
        Assert.Equal(paths.Order(), images.Select(i => i.Path).Order());
        Assert.All(images, i => Assert.Equal(ImageStatus.Ok, i.Status));
        Assert.All(events, e => Assert.False(string.IsNullOrEmpty(e.Id)));
        var done = Assert.Single(events, e => e.Kind == JobEventKind.Done);
        Assert.Same(events[^1], done);
        Assert.Equal(JobState.Completed, done.Status!.State);
        Assert.Equal((3L, 3L, 0L), (done.Status.Counters.Discovered, done.Status.Counters.Ok, done.Status.Counters.Failed));
        Assert.Equal(images.Sum(i => i.Faces), done.Status.Counters.Faces);
        foreach (var path in paths)
        {
            Assert.NotNull(await Host.Store.GetPropertiesAsync(batch.Output + path));
        }

        // The same job as the other calls see it.
        Assert.Equal(JobState.Completed, (await client.GetJobAsync(created.JobId)).State);
        Assert.Equal(JobState.Completed, (await operation.UpdateStatusAsync()).State);
        Assert.True(operation.HasCompleted);
        Assert.Equal(done.Status.Counters, operation.Value.Counters);
        await foreach (var newest in client.GetJobsAsync())
        {
            Assert.Equal(created.JobId, newest.JobId);
            break;
        }

        Assert.Equal(new CallerInfo("studio", "submit"), await client.WhoAmIAsync());
        var pages = await CollectAsync(client.GetResultsAsync(created.JobId).AsPages(pageSizeHint: 2));
        Assert.Equal([2, 1], pages.Select(p => p.Values.Count));
        Assert.All(pages, p => Assert.Equal(3, p.Total));
        Assert.Null(pages[^1].ContinuationToken);
        var rest = await CollectAsync(client.GetResultsAsync(created.JobId).AsPages(pages[0].ContinuationToken));
        Assert.Equal(pages[1].Values.Select(i => i.Path), Assert.Single(rest).Values.Select(i => i.Path));
        Assert.Equal(paths.Order(), (await CollectAsync(client.GetResultsAsync(created.JobId))).Select(i => i.Path).Order());
        Assert.Empty(await CollectAsync(client.GetResultsAsync(created.JobId, ImageStatus.Failed)));
        var gallery = await client.GetGalleryAsync(created.JobId, count: 2);
        Assert.Equal(2, gallery.Count);
        using var thumbnail = ImageCodec.Decode(await client.GetThumbnailAsync(gallery[0].After));
        Assert.Equal(256, Math.Max(thumbnail.Width, thumbnail.Height));

        // Submitting the same id and spec again is the same job; another spec under that id is a conflict.
        var again = await client.SubmitJobAsync(Request(batch) with { JobId = created.JobId });
        Assert.Equal((created.JobId, true, JobState.Completed), (again.Id, again.HasCompleted, again.Value.State));
        var conflict = await Assert.ThrowsAsync<FaceSwapConflictException>(() =>
            client.SubmitJobAsync(Request(batch) with { JobId = created.JobId, Options = new JobOptions { Quality = 50 } }));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains(created.JobId, conflict.Detail);
    }

    [Fact]
    public async Task Each_faces_figures_and_review_are_typed_properties_of_events_results_review_pages_and_the_gallery()
    {
        // A source far smaller than the faces: the larger ones need review (source_small).
        var batch = await fixture.NewBatchAsync();
        await Host.PutBytesAsync(batch.Source, TestPhotos.TinySource);
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 3);
        using var client = fixture.Client(ApiHost.ReadKey);
        using var submitter = fixture.Client(ApiHost.SubmitKey);
        using var timeout = new CancellationTokenSource(JobTimeout);

        var created = await submitter.SubmitJobAsync(Request(batch), timeout.Token);
        var events = await CollectAsync(client.WatchAsync(created.Id, cancellationToken: timeout.Token));

        // Live image events carry every swapped face.
        var images = events.Where(e => e.Kind == JobEventKind.Image).Select(e => e.Image!).ToList();
        Assert.Equal(paths.Order(), images.Select(i => i.Path).Order());
        foreach (var image in images)
        {
            IReadOnlyList<FaceOutcome> faces = image.FaceOutcomes!;
            Assert.Equal(image.Faces, faces.Count);
            foreach (var face in faces)
            {
                Assert.Equal(4, face.Box.Count);
                float? similarity = face.Similarity, tint = face.Tint, shade = face.Shade, detail = face.Detail, scale = face.SourceScale;
                Assert.True(similarity is null || (tint is not null && shade is not null && detail is not null), $"{image.Path}: a face found again is measured");
                Assert.NotNull(scale);
                Assert.Equal(scale > FaceSwap.Engine.Pipeline.FaceReport.SoftSourceScale, face.Review?.Contains(ReviewReasons.SourceSmall) == true);
                Assert.Equal(face.NeedsReview, face.Review is { Count: > 0 });
            }
        }

        var done = events[^1].Status!;
        var flagged = images.Sum(i => i.FacesToReview);
        Assert.True(flagged > 0, "a source about a quarter of the size leaves soft faces to review");
        Assert.Equal(flagged, done.Counters.FacesToReview);
        Assert.Equal(images.Sum(i => i.FacesLost), done.Counters.FacesLost);

        // Results carry the same faces as the events; GetReviewAsync pages through the images with faces to review.
        var results = await CollectAsync(client.GetResultsAsync(created.Id, cancellationToken: timeout.Token));
        foreach (var outcome in results)
        {
            var live = images.Single(i => i.Path == outcome.Path);
            Assert.Equal(live.FaceOutcomes!.Select(f => (f.Similarity, f.Tint, f.Shade, f.Detail, f.SourceScale, f.NeedsReview)),
                outcome.FaceOutcomes!.Select(f => (f.Similarity, f.Tint, f.Shade, f.Detail, f.SourceScale, f.NeedsReview)));
        }

        var reviewPages = await CollectAsync(client.GetReviewAsync(created.Id, timeout.Token).AsPages(pageSizeHint: 1));
        var review = reviewPages.SelectMany(p => p.Values).ToList();
        Assert.All(reviewPages, p => Assert.True(p.Values.Count <= 1));

        Assert.Equal(images.Where(i => i.FacesToReview > 0).Select(i => i.Path).Order(), review.Select(o => o.Path).Order());
        Assert.All(review, o => Assert.Contains(o.FaceOutcomes!, f => f.NeedsReview));

        var gallery = await client.GetGalleryAsync(created.Id, cancellationToken: timeout.Token);
        Assert.Equal(images.Count, gallery.Count);
        Assert.All(gallery, item =>
        {
            var live = images.Single(i => i.Path == item.Path);
            Assert.Equal(live.FacesToReview, item.FacesToReview);
            Assert.Equal(live.FaceOutcomes!.Select(f => f.Review is null ? "" : string.Join("+", f.Review)), item.FaceOutcomes!.Select(f => f.Review is null ? "" : string.Join("+", f.Review)));
        });
    }

    [Fact]
    public async Task A_preview_completes_with_n_images_and_its_contact_sheet_and_the_full_job_skips_them()
    {
        var batch = await fixture.NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 5);
        using var client = fixture.Client(ApiHost.SubmitKey);
        using var timeout = new CancellationTokenSource(JobTimeout);

        var preview = await client.SubmitJobAsync(Request(batch) with { Options = new JobOptions { Preview = 2 } }, timeout.Token);
        var done = await preview.WaitForCompletionAsync(timeout.Token);

        Assert.Equal((JobState.Completed, 2, 2L, 2L), (done.State, done.Spec!.Options.Preview, done.Counters.Discovered, done.Counters.Ok));
        var png = await client.GetContactSheetAsync(preview.Id, timeout.Token);
        Assert.Equal(ContactSheet.HeightFor((int)done.Counters.Faces, footer: false), ImageCodec.ReadSize(png).Height);

        var full = await client.SubmitJobAsync(Request(batch), timeout.Token);
        var all = await full.WaitForCompletionAsync(timeout.Token);
        Assert.Equal((paths.Count, 2L, paths.Count - 2L), ((int)all.Counters.Discovered, all.Counters.Skipped, all.Counters.Ok));
        var none = await Assert.ThrowsAsync<FaceSwapNotFoundException>(() => client.GetContactSheetAsync(full.Id, timeout.Token));
        Assert.Equal("not_a_preview", none.ErrorCode);
    }

    [Fact]
    public async Task Cancelling_mid_job_ends_it_cancelled_with_images_left_undone()
    {
        var batch = await fixture.NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 20);
        using var client = fixture.Client(ApiHost.SubmitKey);
        using var timeout = new CancellationTokenSource(JobTimeout);
        var created = await client.SubmitJobAsync(Request(batch) with { Options = new JobOptions { BatchSize = 1, Prefetch = 1 } }, timeout.Token);

        var busy = await Assert.ThrowsAsync<FaceSwapConflictException>(() => client.RetryFailedAsync(created.Id));
        Assert.Equal(409, busy.Status);
        await foreach (var e in client.WatchAsync(created.Id, cancellationToken: timeout.Token))
        {
            if (e.Kind == JobEventKind.Image)
            {
                break;
            }
        }

        var cancelled = await client.CancelJobAsync(created.Id, timeout.Token);
        var progress = new Recorder<JobStatus>();
        var final = await created.WaitForCompletionAsync(progress, timeout.Token);

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(JobState.Cancelled, final.State);
        Assert.Equal(final, progress.Items.Last());
        Assert.Same(final, created.Value);
        var written = 0;
        foreach (var path in paths)
        {
            written += await Host.Store.GetPropertiesAsync(batch.Output + path) is null ? 0 : 1;
        }

        Assert.InRange(written, 1, paths.Count - 1);
        Assert.InRange(final.Counters.Ok, 1, written);
        Assert.True(final.Counters.Finished < paths.Count, $"{final.Counters.Finished} of {paths.Count} finished");
    }

    [Fact]
    public async Task Retry_failed_after_the_corrupt_file_is_replaced_completes_every_image()
    {
        var batch = await fixture.NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 2);
        await Host.PutBytesAsync(batch.Input + "broken/bad.jpg", TestPhotos.Corrupt);
        using var client = fixture.Client(ApiHost.SubmitKey);
        using var timeout = new CancellationTokenSource(JobTimeout);
        var created = await client.SubmitJobAsync(Request(batch), timeout.Token);

        var first = await created.WaitForCompletionAsync(timeout.Token);
        var failures = await CollectAsync(client.GetResultsAsync(created.Id, ImageStatus.Failed));

        Assert.Equal((JobState.Completed, 2L, 1L), (first.State, first.Counters.Ok, first.Counters.Failed));
        var failure = Assert.Single(failures);
        Assert.Equal(("broken/bad.jpg", "not_an_image"), (failure.Path, failure.ErrorClass));
        Assert.Null(await Host.Store.GetPropertiesAsync(batch.Output + "broken/bad.jpg"));
        var noThumbnail = await Assert.ThrowsAsync<FaceSwapNotFoundException>(() =>
            client.GetThumbnailAsync($"/api/jobs/{created.Id}/thumbnail?side=input&path=broken/missing.jpg"));
        Assert.Equal((404, "not_found"), (noThumbnail.Status, noThumbnail.ErrorCode));

        await Host.PutBytesAsync(batch.Input + "broken/bad.jpg", TestPhotos.Small(1));
        var retried = await client.RetryFailedAsync(created.Id, timeout.Token);
        var final = await new JobOperation(client, retried).WaitForCompletionAsync(timeout.Token);

        Assert.Equal(JobState.Running, retried.State);
        Assert.Equal((JobState.Completed, 3L, 3L, 0L), (final.State, final.Counters.Discovered, final.Counters.Ok, final.Counters.Failed));
        Assert.NotNull(await Host.Store.GetPropertiesAsync(batch.Output + "broken/bad.jpg"));
        var results = await CollectAsync(client.GetResultsAsync(created.Id));
        Assert.Equal(paths.Append("broken/bad.jpg").Order(), results.Select(r => r.Path).Order());
        Assert.All(results, r => Assert.Equal(ImageStatus.Ok, r.Status));
        Assert.Empty(await CollectAsync(client.GetResultsAsync(created.Id, ImageStatus.Failed)));
    }

    [Fact]
    public async Task Api_errors_come_as_typed_exceptions_with_their_problem_details()
    {
        var batch = await fixture.NewBatchAsync();
        using var submitter = fixture.Client(ApiHost.SubmitKey);
        using var reader = fixture.Client(ApiHost.ReadKey);
        using var wrongKey = fixture.Client("not-a-key");
        using var http = new HttpClient { BaseAddress = Host.BaseAddress };
        using var anonymous = new FaceSwapClient(http);

        var invalid = await Assert.ThrowsAsync<FaceSwapValidationException>(() =>
            submitter.SubmitJobAsync(Request(batch) with { Source = "https://evil.example/face.jpg", Options = new JobOptions { BatchSize = 0 } }));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains(invalid.Errors["source"], m => m.Contains("not a URL", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors["options.batchSize"], m => m.Contains("between 1 and 64", StringComparison.Ordinal));
        Assert.Contains("source: ", invalid.Message);
        Assert.Equal(ErrorCodes.InvalidRequest, invalid.ErrorCode);

        var noKey = await Assert.ThrowsAsync<FaceSwapAuthenticationException>(() => CollectAsync(anonymous.GetJobsAsync()));
        Assert.Equal((401, ErrorCodes.Unauthenticated), (noKey.Status, noKey.ErrorCode));
        await Assert.ThrowsAsync<FaceSwapAuthenticationException>(() => wrongKey.WhoAmIAsync());

        var forbidden = await Assert.ThrowsAsync<FaceSwapForbiddenException>(() => reader.SubmitJobAsync(Request(batch)));
        Assert.Equal((403, ErrorCodes.Forbidden), (forbidden.Status, forbidden.ErrorCode));
        await Assert.ThrowsAsync<FaceSwapForbiddenException>(() => reader.CancelJobAsync("some-job"));

        var missing = await Assert.ThrowsAsync<FaceSwapNotFoundException>(() => reader.GetJobAsync("no-such-job"));
        Assert.Equal(("No such job", 404), (missing.Title, missing.Status));
        Assert.Contains("no-such-job", missing.Detail);
        await Assert.ThrowsAsync<FaceSwapNotFoundException>(() => CollectAsync(reader.GetResultsAsync("no-such-job")));
        await Assert.ThrowsAsync<FaceSwapNotFoundException>(() => new JobOperation(reader, "no-such-job").UpdateStatusAsync());
        await Assert.ThrowsAsync<FaceSwapNotFoundException>(async () =>
        {
            await foreach (var _ in reader.WatchAsync("no-such-job"))
            {
            }
        });

        // A job policy refusal carries its stable code.
        var overlap = await Assert.ThrowsAsync<FaceSwapValidationException>(() => submitter.SubmitJobAsync(Request(batch) with { Output = batch.Input + "out/" }));
        Assert.Equal((400, JobRefusalCodes.OutputOverlapsInput), (overlap.Status, overlap.ErrorCode));
        Assert.True(overlap.Errors.ContainsKey("output"));
        Assert.Equal("output", overlap.ErrorField);
        Assert.Equal(ErrorCodes.JobNotFound, missing.ErrorCode);

        // A source image without a face: 422 naming the source and the job it created.
        using var gradient = new OpenCvSharp.Mat(400, 400, OpenCvSharp.MatType.CV_8UC3, new OpenCvSharp.Scalar(90, 140, 200));
        await Host.PutBytesAsync(batch.Source, ImageCodec.Encode(gradient, ImageFormat.Jpeg));
        await TestPhotos.UploadAsync(Host, batch.Input, 1);
        var unusable = await Assert.ThrowsAsync<FaceSwapValidationException>(() => submitter.SubmitJobAsync(Request(batch)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unusable.StatusCode);
        Assert.True(unusable.Errors.ContainsKey("source"));
        Assert.Equal((JobErrorCodes.NoFace, JobErrorFields.Source), (unusable.ErrorCode, unusable.ErrorField));
        Assert.NotNull(unusable.JobId);
        var failed = await reader.GetJobAsync(unusable.JobId!);
        Assert.Equal((JobState.Failed, JobErrorCodes.NoFace, JobErrorFields.Source), (failed.State, failed.ErrorCode, failed.ErrorField));
    }

    [Fact]
    public async Task Watching_again_from_the_last_event_id_loses_and_repeats_no_image()
    {
        var batch = await fixture.NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 8);
        using var submitter = fixture.Client(ApiHost.SubmitKey);
        using var reader = fixture.Client(ApiHost.ReadKey);
        using var timeout = new CancellationTokenSource(JobTimeout);
        var created = await submitter.SubmitJobAsync(Request(batch) with { Options = new JobOptions { BatchSize = 1, Prefetch = 2 } }, timeout.Token);

        var before = new List<JobEvent>();
        await foreach (var e in reader.WatchAsync(created.Id, cancellationToken: timeout.Token))
        {
            before.Add(e);
            if (before.Count(b => b.Kind == JobEventKind.Image) == 3)
            {
                break;
            }
        }

        await Task.Delay(1000, timeout.Token); // images keep finishing while nobody listens
        var after = await CollectAsync(reader.WatchAsync(created.Id, lastEventId: before[^1].Id, cancellationToken: timeout.Token));

        var seen = before.Concat(after).Where(e => e.Kind == JobEventKind.Image).Select(e => e.Image!.Path).ToList();
        Assert.Equal(paths.Order(), seen.Order());
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(JobState.Completed, after[^1].Status!.State);
        var ids = before.Concat(after).Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Order(), ids);
    }

    [Fact]
    public async Task The_client_reconnects_a_broken_event_stream_by_itself_without_losing_or_repeating_images()
    {
        var batch = await fixture.NewBatchAsync();
        var paths = await TestPhotos.UploadAsync(Host, batch.Input, 8);
        var flaky = new FlakyStreamHandler(cuts: [CutKind.Reset, CutKind.EndOfStream], imagesPerCut: 2);
        var services = new ServiceCollection();
        services.AddFaceSwapClient(o =>
        {
            o.BaseAddress = Host.BaseAddress;
            o.ApiKey = ApiHost.SubmitKey;
            o.ReconnectDelay = TimeSpan.FromMilliseconds(100);
        });
        services.AddHttpClient(FaceSwapClientServiceCollectionExtensions.StreamingHttpClientName).AddHttpMessageHandler(() => flaky);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<FaceSwapClient>();
        using var timeout = new CancellationTokenSource(JobTimeout);
        var created = await client.SubmitJobAsync(Request(batch) with { Options = new JobOptions { BatchSize = 1, Prefetch = 2 } }, timeout.Token);

        var events = await CollectAsync(client.WatchAsync(created.Id, cancellationToken: timeout.Token));

        var seen = events.Where(e => e.Kind == JobEventKind.Image).Select(e => e.Image!.Path).ToList();
        Assert.Equal(paths.Order(), seen.Order());
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(JobEventKind.Done, events[^1].Kind);
        Assert.Equal((JobState.Completed, 8L), (events[^1].Status!.State, events[^1].Status!.Counters.Ok));

        // Two cuts: three connections, the second and third resuming from the last event delivered before each cut.
        var resumedFrom = flaky.LastEventIds.ToList();
        Assert.Equal(3, resumedFrom.Count);
        Assert.Null(resumedFrom[0]);
        Assert.All(resumedFrom.Skip(1), id => Assert.Contains(events, e => e.Id == id));
        Assert.True(long.Parse(resumedFrom[2]!, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(resumedFrom[1]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_job_of_2500_unreadable_photos_completes_as_an_operation_and_its_failures_page_through_every_result()
    {
        const int Count = 2500;
        var batch = await fixture.NewBatchAsync();
        var paths = Enumerable.Range(0, Count).Select(i => $"{i / 250:00}/{i:0000}.jpg").ToList();
        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (path, _) =>
            await Host.PutBytesAsync(batch.Input + path, TestPhotos.Corrupt));
        using var client = fixture.Client(ApiHost.SubmitKey);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        using var output = new StringWriter();

        // The sample: submit, follow to the end (the operation), list the failures (the pageable).
        var report = await new FolderJob(client, output).RunAsync(Request(batch), timeout.Token);

        Assert.Equal((JobState.Completed, (long)Count, (long)Count), (report.Final.State, report.Final.Counters.Discovered, report.Final.Counters.Failed));
        Assert.Equal(paths, report.Failures.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(report.Failures, f => Assert.Equal("not_an_image", f.ErrorClass));
        Assert.Contains($"failed {paths[^1]}: not_an_image", output.ToString(), StringComparison.Ordinal);

        // Page by page: 1000 + 1000 + 500, each page knowing the total; resumable from a page's continuation token.
        var jobId = report.Final.JobId;
        var pages = new List<Page<ImageOutcome>>();
        await foreach (var page in client.GetResultsAsync(jobId, ImageStatus.Failed, timeout.Token).AsPages(pageSizeHint: 1000))
        {
            pages.Add(page);
        }

        Assert.Equal([1000, 1000, 500], pages.Select(p => p.Values.Count));
        Assert.All(pages, p => Assert.Equal(Count, p.Total));
        Assert.Equal([true, true, false], pages.Select(p => p.ContinuationToken is not null));
        Assert.Equal(paths, pages.SelectMany(p => p.Values).Select(o => o.Path).Order(StringComparer.Ordinal));
        var resumed = await CollectAsync(client.GetResultsAsync(jobId, ImageStatus.Failed, timeout.Token).AsPages(pages[0].ContinuationToken, 1000));
        Assert.Equal(pages.Skip(1).SelectMany(p => p.Values).Select(o => o.Path), resumed.SelectMany(p => p.Values).Select(o => o.Path));

        // Item by item at the server's default page size (100): the same 2500, none twice.
        var all = await CollectAsync(client.GetResultsAsync(jobId, cancellationToken: timeout.Token));
        Assert.Equal(paths, all.Select(o => o.Path).Order(StringComparer.Ordinal));
    }

    private static SubmitJobRequest Request(Batch batch) => new() { Source = batch.Source, Input = batch.Input, Output = batch.Output };

    private static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> events)
    {
        var list = new List<T>();
        await foreach (var e in events)
        {
            list.Add(e);
        }

        return list;
    }

    /// <summary>An <see cref="IProgress{T}"/> that records synchronously (Progress&lt;T&gt; posts, which races assertions).</summary>
    private sealed class Recorder<T> : IProgress<T>
    {
        private readonly ConcurrentQueue<T> items = new();

        public IReadOnlyList<T> Items => items.ToList();

        public void Report(T value) => items.Enqueue(value);
    }
}
