using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Safety;
using FaceSwap.Grains.Batch;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>A host with the served defaults of trust and safety: consent required, audit log on, a tight per-key rate limit.</summary>
public sealed class SafetyHostFixture : IAsyncLifetime
{
    /// <summary>Requests a key may make per minute on this host.</summary>
    public const int PermitsPerMinute = 40;

    private readonly TemporaryDirectory root = new("faceswap-safety");

    /// <summary>The storage root folder.</summary>
    public string Root => root.FullPath;

    /// <summary>The host.</summary>
    public ApiHost Host { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Host = await ApiHost.StartAsync("local:" + root.FullPath,
        "--FaceSwap:Safety:RequireConsent=true", $"--Api:RateLimit:PermitsPerMinute={PermitsPerMinute}");

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        root.Dispose();
    }
}

/// <summary>Consent, the audit log, provenance marks on outputs, hostile inputs, traversal and rate limits, through a real host.</summary>
public sealed class SafetyApiTests(SafetyHostFixture fixture, ITestOutputHelper output) : IClassFixture<SafetyHostFixture>
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task Consent_is_required_and_audited_and_outputs_carry_both_marks()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var face = TestPhotos.Small(3);
        await Host.PutBytesAsync($"faces/{id}/face.jpg", face);
        await Host.PutBytesAsync($"inbox/{id}/a.jpg", TestPhotos.Small(1));
        await Host.PutBytesAsync($"inbox/{id}/b.jpg", TestPhotos.Small(2));
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest { Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/", JobId = "consent-" + id };

        using (var refused = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var errors = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["errors"]!.AsObject();
            Assert.Contains("consentReference", errors.Select(e => e.Key));
        }

        using var accepted = await http.PostAsJsonAsync("api/jobs", request with { ConsentReference = "release-form-2026-118" }, FaceSwapJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var status = await WaitAsync(request.JobId!);
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(2, status.Counters.Ok);

        // The summary and the audit log record who, what, the consent and the source face's hash.
        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Local(JobFiles.Summary(status.Spec!, status.JobId))))!;
        Assert.Equal("release-form-2026-118", (string?)summary["spec"]!["consentReference"]);
        Assert.Equal("studio", (string?)summary["spec"]!["submittedBy"]);
        var audit = AuditLines().Where(l => (string?)l["jobId"] == request.JobId).ToList();
        Assert.Equal(["submitted", "completed"], audit.Select(l => (string?)l["event"]));
        Assert.Equal("studio", (string?)audit[0]["submittedBy"]);
        Assert.Equal("release-form-2026-118", (string?)audit[0]["consentReference"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(face)), (string?)audit[0]["sourceSha256"]);
        Assert.Equal($"inbox/{id}/", (string?)audit[0]["input"]);
        Assert.Equal($"outbox/{id}/", (string?)audit[0]["output"]);
        Assert.Equal(2, (int?)audit[1]["counts"]!["ok"]);

        // Every output is marked AI-generated in its XMP and carries the watermark with the job's tag.
        foreach (var name in new[] { "a.jpg", "b.jpg" })
        {
            var bytes = await File.ReadAllBytesAsync(Local($"outbox/{id}/{name}"));
            var meta = XmpMarker.Read(bytes);
            Assert.True(meta.Found);
            Assert.Equal(request.JobId, meta.JobId);
            using var image = ImageCodec.Decode(bytes);
            var reading = Watermark.Detect(image);
            Assert.True(reading.Found, $"{name}: score {reading.Score}");
            Assert.Equal(Watermark.JobTag(request.JobId!), reading.JobTag);
        }

        // Cancellation is audited too.
        var cancelId = "cancel-" + id;
        using (var second = await http.PostAsJsonAsync("api/jobs", request with { JobId = cancelId, Output = $"outbox/{id}-2/", ConsentReference = "c-2" }, FaceSwapJson.Options))
        {
            Assert.True(second.IsSuccessStatusCode);
        }

        await http.PostAsync($"api/jobs/{cancelId}/cancel", null);
        var cancelled = await WaitAsync(cancelId);
        var events = AuditLines().Where(l => (string?)l["jobId"] == cancelId).Select(l => (string?)l["event"]).ToList();
        Assert.Equal("submitted", events[0]);
        Assert.Contains(events[^1], cancelled.State == JobState.Cancelled ? new[] { "cancelled", "cancel_finished" } : ["completed"]);
    }

    [Fact]
    public async Task Hostile_files_each_fail_with_their_own_error_class_and_the_job_completes_with_bounded_memory()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var input = $"inbox/hostile-{id}/";
        var small = TestPhotos.Small(2);
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        var corpus = new Dictionary<string, (byte[] Bytes, string? ErrorClass)>
        {
            ["good.jpg"] = (small, null),
            ["bomb.png"] = (PngBomb(16000, 16000), "image_too_large"),
            ["header-60000.jpg"] = (WithJpegSize(small, 60000, 60000), "header_mismatch"),
            ["truncated.jpg"] = (small[..(small.Length / 3)], "truncated_image"),
            ["text.jpg"] = ("this is a text file, not a photo\n"u8.ToArray(), "not_an_image"),
            ["png-named.jpg"] = (ImageCodec.Encode(ImageCodec.Decode(small), ImageFormat.Png), "content_mismatch"),
            ["empty.jpg"] = ([], "empty_file"),
            ["huge-file.jpg"] = ([.. small, .. new byte[3_000_000]], "file_too_large"),
        };
        foreach (var (name, file) in corpus)
        {
            await Host.PutBytesAsync(input + name, file.Bytes);
        }

        // A symlink leaving the storage root (local mode) must not be read.
        var outside = Path.Combine(Path.GetTempPath(), $"faceswap-outside-{id}.jpg");
        await File.WriteAllBytesAsync(outside, small);
        File.CreateSymbolicLink(Local(input + "escape.jpg"), outside);

        var peakBefore = Process.GetCurrentProcess().PeakWorkingSet64;
        using var http = Host.CreateClient(ApiHost.AdminKey);
        var request = new SubmitJobRequest
        {
            Source = $"faces/{id}/face.jpg", Input = input, Output = $"outbox/hostile-{id}/", JobId = "hostile-" + id, ConsentReference = "test",
            Options = new JobOptions { MaxFileBytes = 2_000_000, Faces = FaceMode.Largest },
        };
        using (var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var status = await WaitAsync(request.JobId!);
        using var process = Process.GetCurrentProcess();
        var growth = process.PeakWorkingSet64 - peakBefore;
        File.Delete(outside);
        Assert.Equal(JobState.Completed, status.State);
        var outcomes = (await File.ReadAllLinesAsync(Local(JobFiles.Outcomes(status.Spec!, status.JobId))))
            .Select(l => JobOutcomes.Parse(Encoding.UTF8.GetBytes(l))).OfType<ImageOutcome>().ToDictionary(o => o.Path);
        foreach (var o in outcomes.Values.OrderBy(o => o.Path))
        {
            output.WriteLine($"{o.Path}: {o.Status} {o.ErrorClass} {o.Message}");
        }

        foreach (var (name, file) in corpus)
        {
            Assert.True(outcomes.ContainsKey(name), $"{name} has no outcome");
            Assert.Equal(file.ErrorClass is null ? ImageStatus.Ok : ImageStatus.Failed, outcomes[name].Status);
            Assert.Equal(file.ErrorClass, outcomes[name].ErrorClass);
        }

        Assert.NotEqual(ImageStatus.Ok, outcomes.GetValueOrDefault("escape.jpg")?.Status ?? ImageStatus.Failed);
        Assert.False(File.Exists(Local($"outbox/hostile-{id}/escape.jpg")));
        output.WriteLine($"peak working set grew by {growth / 1e6:0} MB during the job");
        Assert.True(growth < 600_000_000, $"memory grew by {growth / 1e6:0} MB");
    }

    [Theory]
    [InlineData("source", "faces/../../etc/passwd")]
    [InlineData("source", "/etc/passwd")]
    [InlineData("source", "https://attacker.example/face.jpg")]
    [InlineData("input", "inbox/../../../")]
    [InlineData("input", "file:///etc/")]
    [InlineData("output", "/tmp/out/")]
    [InlineData("output", "outbox/../../escape/")]
    public async Task Traversal_absolute_paths_and_urls_are_refused_field_by_field(string field, string value)
    {
        using var http = Host.CreateClient(ApiHost.AdminKey);
        var request = new SubmitJobRequest { Source = "faces/x/face.jpg", Input = "inbox/x/", Output = "outbox/x/", ConsentReference = "c" };
        request = field switch
        {
            "source" => request with { Source = value },
            "input" => request with { Input = value },
            _ => request with { Output = value },
        };
        using var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        Assert.Contains(field, errors.Select(e => e.Key));
    }

    [Theory]
    [InlineData("""{ "maxPixels": 1000000000000 }""", "options.maxPixels", JobRefusalCodes.MaxPixelsOutOfRange)]
    [InlineData("""{ "maxPixels": 64000001 }""", "options.maxPixels", JobRefusalCodes.MaxPixelsOutOfRange)]
    [InlineData("""{ "maxPixels": 0 }""", "options.maxPixels", JobRefusalCodes.MaxPixelsOutOfRange)]
    [InlineData("""{ "watermark": false }""", "options.watermark", JobRefusalCodes.WatermarkRequired)]
    public async Task Options_the_host_does_not_allow_are_refused_with_400_naming_the_field_and_its_code(string options, string field, string code)
    {
        using var http = Host.CreateClient(ApiHost.AdminKey);
        var body = $$"""{ "source": "faces/x/face.jpg", "input": "inbox/x/", "output": "outbox/x/", "consentReference": "c", "options": {{options}} }""";
        using var response = await http.PostAsync("api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(field, problem["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(code, (string?)problem["codes"]![field]);
    }

    [Theory]
    [InlineData("""{ "source": "./face.jpg", "consentReference": "c", "options": { "watermark": false } }""", "options.watermark")]
    [InlineData("""{ "source": "./face.jpg", "consentReference": "c", "options": { "maxPixels": 1000000000000 } }""", "options.maxPixels")]
    [InlineData("""{ "source": "./face.jpg" }""", "consentReference")]
    [InlineData("""{ "source": "../../../etc/face.jpg", "consentReference": "c" }""", "source")]
    [InlineData("""{ "source": "./face.jpg", "output": "/srv/elsewhere/", "consentReference": "c" }""", "output")]
    [InlineData("""{ "source": "https://attacker.example/face.jpg", "consentReference": "c" }""", "source")]
    [InlineData("""{ "source": "./face.jpg", "output": "state/audit/", "consentReference": "c" }""", "output")]
    [InlineData("""{ "source": "./face.jpg", "output": "inbox/", "consentReference": "c" }""", "output")]
    public async Task Blob_drop_manifests_without_consent_or_with_escaping_paths_or_options_the_host_does_not_allow_are_rejected(string manifest, string field)
    {
        var folder = $"inbox/drop-{Guid.NewGuid():N}/";
        await Host.PutBytesAsync(folder + "face.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync(folder + "p.jpg", TestPhotos.Small(1));
        await Host.PutBytesAsync(folder + "faceswap.json", Encoding.UTF8.GetBytes(manifest));
        var handler = Host.Services.GetRequiredService<FaceSwap.Grains.BlobDrop.BlobDropHandler>();
        var outcome = await handler.HandleAsync(folder + "faceswap.json", CancellationToken.None);

        // The inbox watcher may have handled it first; either way the manifest's status blob tells why it was refused.
        Assert.NotEqual(FaceSwap.Grains.BlobDrop.DropResult.Started, outcome.Result);
        var status = JsonNode.Parse(await File.ReadAllTextAsync(Local(folder + "_faceswap/status.json")))!;
        Assert.Equal("failed", (string?)status["state"]);
        Assert.Contains(field, (string?)status["error"]);
    }

    [Fact]
    public async Task A_burst_over_the_per_key_limit_gets_429_with_retry_after_and_other_keys_are_unaffected()
    {
        using var reader = Host.CreateClient(ApiHost.ReadKey);
        var codes = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < SafetyHostFixture.PermitsPerMinute + 5; i++)
        {
            using var response = await reader.GetAsync("api/whoami");
            codes.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                retryAfter ??= response.Headers.RetryAfter?.ToString();
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(ErrorCodes.RateLimited, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
            }
        }

        Assert.True(codes.Count(c => c == HttpStatusCode.TooManyRequests) >= 5, string.Join(",", codes));
        Assert.All(codes, c => Assert.True(c is HttpStatusCode.OK or HttpStatusCode.TooManyRequests));
        Assert.True(int.TryParse(retryAfter, out var seconds) && seconds is > 0 and <= 60, $"Retry-After: {retryAfter}");

        // The limit is per key: another key still gets through.
        using var other = Host.CreateClient(ApiHost.SubmitKey);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("api/whoami")).StatusCode);
    }

    [Fact]
    public async Task A_matrix_job_audits_the_hash_of_every_source_photo()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var alice = TestPhotos.Small(3);
        var bob = TestPhotos.Small(4);
        await Host.PutBytesAsync($"faces/{id}/alice.jpg", alice);
        await Host.PutBytesAsync($"faces/{id}/team/bob/front.jpg", bob);
        await Host.PutBytesAsync($"inbox/{id}/a.jpg", TestPhotos.Small(1));
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest
        {
            Sources = [$"faces/{id}/alice.jpg", $"faces/{id}/team/bob/"],
            Input = $"inbox/{id}/",
            Output = $"outbox/{id}/",
            JobId = "matrix-audit-" + id,
            ConsentReference = "release-forms-2026-200",
            Options = new JobOptions { SourcesMode = SourcesMode.Each },
        };

        using var accepted = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(JobState.Completed, (await WaitAsync(request.JobId!)).State);

        // The folder is expanded to its photos: the log names every face that went into the job, not just the first.
        var submitted = AuditLines().Single(l => (string?)l["jobId"] == request.JobId && (string?)l["event"] == "submitted");
        var photos = submitted["sourcePhotosSha256"]!.AsObject().ToDictionary(p => p.Key, p => (string?)p.Value);
        Assert.Equal(new Dictionary<string, string?>
        {
            [$"faces/{id}/alice.jpg"] = Convert.ToHexStringLower(SHA256.HashData(alice)),
            [$"faces/{id}/team/bob/front.jpg"] = Convert.ToHexStringLower(SHA256.HashData(bob)),
        }, photos);
    }

    [Fact]
    public async Task An_output_on_the_input_or_in_the_state_area_is_refused_with_400_and_its_code_and_no_original_changes()
    {
        // Issue 23, item 3: the input's parent, a folder inside it, a symbolic link to it, the audit log's container.
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"inbox/{id}/photos/a.jpg", TestPhotos.Small(1));
        var original = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Local($"inbox/{id}/photos/a.jpg"))));
        Directory.CreateDirectory(Local("outbox"));
        Directory.CreateSymbolicLink(Local($"outbox/link-{id}"), Local($"inbox/{id}/photos"));
        var request = new SubmitJobRequest { Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/photos/", Output = "", ConsentReference = "c" };
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        foreach (var (output, code) in new[]
        {
            ($"inbox/{id}/", JobRefusalCodes.OutputOverlapsInput),
            ($"inbox/{id}/photos/swapped/", JobRefusalCodes.OutputOverlapsInput),
            ($"outbox/link-{id}/", JobRefusalCodes.OutputOverlapsInput),
            ("state/audit/", JobRefusalCodes.OutputInStateArea),
            ($"state/{id}/", JobRefusalCodes.OutputInStateArea),
        })
        {
            using var response = await http.PostAsJsonAsync("api/jobs", request with { Output = output }, FaceSwapJson.Options);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{output}: {response.StatusCode} {problem}");
            Assert.Contains("output", problem["errors"]!.AsObject().Select(e => e.Key));
            Assert.Equal(code, (string?)problem["codes"]!["output"]);
        }

        // The grain refuses it too, for a caller that skips the API (a cluster client, faceswap run).
        var spec = new JobSpec { Source = request.Source!, Input = request.Input!, Output = $"outbox/link-{id}/", SubmittedBy = "x", ConsentReference = "c" };
        var refused = await Assert.ThrowsAsync<JobRefusedException>(() =>
            Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IBatchGrain>("placement-" + id).StartAsync(spec));
        Assert.Equal(JobRefusalCodes.OutputOverlapsInput, refused.Code);

        Assert.Equal(original, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Local($"inbox/{id}/photos/a.jpg")))));
        Assert.Equal([Local($"inbox/{id}/photos/a.jpg")], Directory.GetFiles(Local($"inbox/{id}"), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(FaceSwap.Storage.LocalBlobStore.MetadataFolderName, StringComparison.Ordinal)));
        Assert.All(Directory.Exists(Local("state/audit")) ? Directory.GetFiles(Local("state/audit")) : [], f => Assert.EndsWith(".jsonl", f, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_faceswap_did_not_write_is_kept_and_listed_as_not_ours_unless_the_job_says_overwrite()
    {
        // Issue 23, item 3: the output folder already holds someone's photo under an input's name.
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"inbox/{id}/a.jpg", TestPhotos.Small(1));
        await Host.PutBytesAsync($"inbox/{id}/b.jpg", TestPhotos.Small(2));
        Directory.CreateDirectory(Local($"outbox/{id}"));
        await File.WriteAllBytesAsync(Local($"outbox/{id}/a.jpg"), TestPhotos.Small(4));
        var theirs = Convert.ToHexStringLower(SHA256.HashData(TestPhotos.Small(4)));
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest { Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/", ConsentReference = "c", JobId = "keep-" + id };

        using (var accepted = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var kept = await WaitAsync(request.JobId!);
        Assert.Equal(theirs, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Local($"outbox/{id}/a.jpg")))));
        var outcomes = await Outcomes(kept);
        Assert.Equal((ImageStatus.Skipped, "not_ours"), (outcomes["a.jpg"].Status, outcomes["a.jpg"].ErrorClass));
        Assert.Equal(ImageStatus.Ok, outcomes["b.jpg"].Status);

        using (var accepted = await http.PostAsJsonAsync("api/jobs", request with { JobId = "overwrite-" + id, Options = new JobOptions { Overwrite = true } }, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var replaced = await Outcomes(await WaitAsync("overwrite-" + id));
        Assert.Equal(ImageStatus.Ok, replaced["a.jpg"].Status);
        Assert.True(XmpMarker.Read(await File.ReadAllBytesAsync(Local($"outbox/{id}/a.jpg"))).Found);
        Assert.Equal(ImageStatus.Skipped, replaced["b.jpg"].Status); // FaceSwap's own output of the same spec
        Assert.Null(replaced["b.jpg"].ErrorClass);
    }

    [Fact]
    public async Task Every_image_that_finishes_after_a_cancel_is_in_the_summary_and_the_audit_log()
    {
        // Issue 23, item 6: cancel with a wide window; the images in flight still finish and write their outputs, and
        // before, the summary and audit log counted only what had finished at the cancel.
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        for (var i = 0; i < 16; i++)
        {
            await Host.PutBytesAsync($"inbox/{id}/p{i:D2}.jpg", Distinct(i));
        }

        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest
        {
            Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/", ConsentReference = "c", JobId = "cancel-drain-" + id,
            Options = new JobOptions { Prefetch = 64, BatchSize = 4 },
        };
        using (var accepted = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (OutputsOnDisk(id) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        using (var cancel = await http.PostAsync($"api/jobs/{request.JobId}/cancel", null))
        {
            var atCancel = (await cancel.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!;
            Assert.Equal(JobState.Cancelled, atCancel.State);
            Assert.True(atCancel.InFlight > 0, "nothing was in flight at the cancel: the job was too quick to show anything");
        }

        var final = await WaitAsync(request.JobId!);
        var onDisk = OutputsOnDisk(id);
        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Local(JobFiles.Summary(final.Spec!, final.JobId))))!;
        var audit = AuditLines().Where(l => (string?)l["jobId"] == request.JobId).ToList();

        Assert.Equal(0, final.InFlight);
        Assert.InRange(onDisk, 1, 16);
        Assert.Equal(onDisk, final.Counters.Ok);
        Assert.Equal(onDisk, (int?)summary["counts"]!["ok"]);
        Assert.Equal(["submitted", "cancelled", "cancel_finished"], audit.Select(l => (string?)l["event"]));
        Assert.Equal(onDisk, (int?)audit[^1]["counts"]!["ok"]);
        Assert.True((int?)audit[1]["inFlight"] > 0);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_not_500()
    {
        // Issue 23, item 12: a 50 MB body.
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        // Expect: 100-continue lets the server answer before the body is sent (without it the client sees the
        // connection close while it is still sending, whatever the answer).
        http.DefaultRequestHeaders.ExpectContinue = true;
        var body = new byte[50 * 1024 * 1024];
        body.AsSpan().Fill((byte)' ');
        body[0] = (byte)'{';
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await http.PostAsync("api/jobs", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(ErrorCodes.BodyTooLarge, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
    }

    [Fact]
    public async Task Paths_the_store_refuses_get_400_naming_the_field_and_a_255_byte_name_is_swapped()
    {
        // Issue 23, item 12: a source that is a symbolic link leading outside the storage root, a 300-character path
        // segment (both were 500), and a photo whose name is 255 bytes (was storage_error: the temporary name).
        var id = Guid.NewGuid().ToString("N")[..8];
        var outside = Path.Combine(Path.GetTempPath(), $"faceswap-outside-face-{id}.jpg");
        await File.WriteAllBytesAsync(outside, TestPhotos.Small(3));
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        File.CreateSymbolicLink(Local($"faces/{id}/elsewhere.jpg"), outside);
        var name = new string('n', 251) + ".jpg";
        await Host.PutBytesAsync($"inbox/{id}/{name}", TestPhotos.Small(1));
        var longSegment = new string('x', 300);
        var request = new SubmitJobRequest { Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/", ConsentReference = "c", JobId = "long-name-" + id };
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        try
        {
            foreach (var (bad, field) in new[]
            {
                (request with { Source = $"faces/{id}/elsewhere.jpg" }, "source"),
                (request with { Source = $"faces/{longSegment}/face.jpg" }, "source"),
                (request with { Input = $"inbox/{longSegment}/" }, "input"),
                (request with { Output = $"outbox/{longSegment}/" }, "output"),
            })
            {
                using var response = await http.PostAsJsonAsync("api/jobs", bad, FaceSwapJson.Options);
                var problem = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{field}: {response.StatusCode} {problem}");
                Assert.Contains(field, JsonNode.Parse(problem)!["errors"]!.AsObject().Select(e => e.Key));
            }
        }
        finally
        {
            File.Delete(outside);
        }

        using (var accepted = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var outcome = (await Outcomes(await WaitAsync(request.JobId!)))[name];
        Assert.True(outcome.Status == ImageStatus.Ok, $"{outcome.Status} {outcome.ErrorClass} {outcome.Message}");
        Assert.True(File.Exists(Local($"outbox/{id}/{name}")));
    }

    /// <summary>Demo photo <c>i % 4 + 1</c> with a mark of its own in a corner: same faces, a content no other photo has.</summary>
    private static byte[] Distinct(int i)
    {
        using var image = ImageCodec.Decode(TestPhotos.Small(i % 4 + 1));
        OpenCvSharp.Cv2.Rectangle(image, new OpenCvSharp.Rect(0, 0, 6, 6), new OpenCvSharp.Scalar(i * 15 % 256, i * 40 % 256, i * 90 % 256), -1);
        return ImageCodec.Encode(image, ImageFormat.Jpeg, 90);
    }

    private int OutputsOnDisk(string id) => Directory.Exists(Local($"outbox/{id}"))
        ? Directory.GetFiles(Local($"outbox/{id}"), "*.jpg", SearchOption.AllDirectories).Count(f => !f.Contains("/_faceswap/", StringComparison.Ordinal))
        : 0;

    private async Task<Dictionary<string, ImageOutcome>> Outcomes(JobStatus status) =>
        (await File.ReadAllLinesAsync(Local(JobFiles.Outcomes(status.Spec!, status.JobId))))
            .Select(l => JobOutcomes.Parse(Encoding.UTF8.GetBytes(l))).OfType<ImageOutcome>()
            .GroupBy(o => o.Path).ToDictionary(g => g.Key, g => g.Last());

    private string Local(string path) => Path.Combine(fixture.Root, path);

    private List<JsonNode> AuditLines() =>
        Directory.GetFiles(Path.Combine(fixture.Root, "state", "audit"), "*.jsonl")
            .SelectMany(File.ReadAllLines).Select(l => JsonNode.Parse(l)!).ToList();

    private async Task<JobStatus> WaitAsync(string jobId)
    {
        var grain = Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IBatchGrain>(jobId);
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var status = await grain.GetStatusAsync();

            // A cancelled job is final once the images that were in flight at the cancel are recorded (inFlight 0).
            if ((status.IsTerminal && status.InFlight == 0) || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>A valid PNG that declares <paramref name="width"/>x<paramref name="height"/> RGB and really holds that many (black) pixels, deflated about 1:1000.</summary>
    private static byte[] PngBomb(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + width * 3];
            for (var y = 0; y < height; y++)
            {
                z.Write(row);
            }
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Writes one PNG chunk (length, type, data, CRC-32).</summary>
    internal static void Chunk(Stream png, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        png.Write(header);
        png.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. header.AsSpan(4), .. data]));
        png.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }

    /// <summary>A real JPEG whose frame header (SOF) is edited to claim another size.</summary>
    private static byte[] WithJpegSize(byte[] jpeg, int width, int height)
    {
        var copy = jpeg.ToArray();
        for (var at = 2; at + 9 < copy.Length;)
        {
            var marker = copy[at + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(at + 2));
            if (marker is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at + 7), (ushort)width);
                return copy;
            }

            at += 2 + length;
        }

        throw new InvalidOperationException("no SOF marker");
    }
}
