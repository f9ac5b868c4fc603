using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Silo.Api;
using Microsoft.VisualBasic.FileIO;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>A job's outputs as one streamed zip and its failures as CSV, through the REST API, a real silo and Azurite.</summary>
[Collection(AzuriteApiHostFixture.Collection), Trait("Category", "Azurite")]
public sealed class DownloadsApiTests(AzuriteApiHostFixture fixture, ITestOutputHelper output)
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task A_job_over_uploaded_photos_downloads_every_output_under_its_mirrored_path_and_its_failures_as_csv_that_parses_back()
    {
        var upload = "up-" + Guid.NewGuid().ToString("N")[..10];
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(http, upload, "source/face.jpg", TestPhotos.Small(3))).StatusCode);
        var photos = new Dictionary<string, byte[]> { ["p00.jpg"] = TestPhotos.Small(1), ["set1/p01.jpg"] = TestPhotos.Small(2), ["set2/deeper/p02.jpg"] = TestPhotos.Small(4) };
        foreach (var (path, bytes) in photos)
        {
            Assert.Equal(HttpStatusCode.Created, (await PutAsync(http, upload, "photos/" + path, bytes)).StatusCode);
        }

        // A file the upload would refuse, dropped beside them another way, with a name that needs CSV quoting.
        var broken = "broken/menu, \"v2\".jpg";
        await Host.PutBytesAsync($"inbox/uploads/{upload}/photos/{broken}", TestPhotos.Corrupt);
        var listing = (await http.GetFromJsonAsync<UploadListing>($"api/uploads/{upload}", FaceSwapJson.Options))!;
        using var submitted = await http.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Source = listing.Prefix + "source/face.jpg",
            Input = listing.Prefix + "photos/",
            Output = listing.Output,
        }, FaceSwapJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var jobId = (await submitted.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId;
        var done = await WaitAsync(http, jobId);
        Assert.Equal((JobState.Completed, 3L, 1L), (done.State, done.Counters.Ok, done.Counters.Failed));

        using var reader = Host.CreateClient(ApiHost.ReadKey);
        using var zipResponse = await reader.GetAsync($"api/jobs/{jobId}/outputs.zip");
        Assert.Equal(HttpStatusCode.OK, zipResponse.StatusCode);
        Assert.Equal("application/zip", zipResponse.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{jobId}-outputs.zip", zipResponse.Content.Headers.ContentDisposition?.FileNameStar ?? zipResponse.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        using var zip = new ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()));
        Assert.Equal(photos.Keys.Order(StringComparer.Ordinal), zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        foreach (var entry in zip.Entries)
        {
            await using var stream = await entry.OpenAsync();
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(await Host.Store.ReadAllBytesAsync(listing.Output + entry.FullName, 1 << 26), copy.ToArray());
        }

        using var csvResponse = await reader.GetAsync($"api/jobs/{jobId}/failures.csv");
        Assert.Equal(HttpStatusCode.OK, csvResponse.StatusCode);
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var csv = await csvResponse.Content.ReadAsStringAsync();
        output.WriteLine(csv);
        using var parser = new TextFieldParser(new StringReader(csv)) { TextFieldType = FieldType.Delimited, HasFieldsEnclosedInQuotes = true };
        parser.SetDelimiters(",");
        var rows = new List<string[]>();
        while (!parser.EndOfData)
        {
            rows.Add(parser.ReadFields()!);
        }

        Assert.Equal(["path", "status", "errorClass", "message"], rows[0]);
        var failure = Assert.Single(rows.Skip(1));
        var outcome = Assert.Single((await reader.GetFromJsonAsync<ResultsPage>($"api/jobs/{jobId}/results?status=failed", FaceSwapJson.Options))!.Items);
        Assert.Equal([broken, "failed", "not_an_image", outcome.Message!], failure);
        Assert.Contains(',', outcome.Message!);
    }

    [Fact]
    public async Task The_zip_is_written_while_it_is_read_an_output_changed_after_the_first_bytes_arrived_is_in_it_as_changed()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"inbox/{id}/a.jpg", TestPhotos.Small(1));
        await Host.PutBytesAsync($"inbox/{id}/b.jpg", TestPhotos.Small(2));
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        using var submitted = await http.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/",
        }, FaceSwapJson.Options);
        var jobId = (await submitted.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId;
        Assert.Equal((JobState.Completed, 2L), ((await WaitAsync(http, jobId)).State, (await WaitAsync(http, jobId)).Counters.Ok));

        // The zip follows the results' order. The first output is made 48 MB, far more than the socket and server buffers
        // hold, so a server that streams is still inside it when the client pauses after the first 64 KB.
        var order = (await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{jobId}/results", FaceSwapJson.Options))!.Items.Select(o => o.Path).ToList();
        var large = new byte[48 << 20];
        Random.Shared.NextBytes(large);
        await Host.Store.WriteAsync($"outbox/{id}/{order[0]}", large, "image/jpeg", null);

        using var response = await http.GetAsync($"api/jobs/{jobId}/outputs.zip", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync();
        var head = new byte[64 << 10];
        await body.ReadExactlyAsync(head);
        Assert.Equal("PK\u0003\u0004"u8.ToArray(), head[..4]);

        // Changed now, after the zip's first bytes arrived: a zip built before sending would hold the old bytes.
        var changed = TestPhotos.Small(4);
        await Host.Store.WriteAsync($"outbox/{id}/{order[1]}", changed, "image/jpeg", null);
        using var rest = new MemoryStream();
        await rest.WriteAsync(head);
        await body.CopyToAsync(rest);
        output.WriteLine($"zip of {rest.Length / 1e6:0.0} MB");
        rest.Position = 0;
        using var zip = new ZipArchive(rest);
        Assert.Equal(order, zip.Entries.Select(e => e.FullName).ToList());
        Assert.Equal(large.LongLength, zip.GetEntry(order[0])!.Length);
        await using var second = await zip.GetEntry(order[1])!.OpenAsync();
        using var secondBytes = new MemoryStream();
        await second.CopyToAsync(secondBytes);
        Assert.Equal(changed, secondBytes.ToArray());
    }

    [Fact]
    public async Task A_running_job_has_no_zip_yet_and_an_unknown_job_has_neither_download()
    {
        using var http = Host.CreateClient(ApiHost.ReadKey);
        using var missingZip = await http.GetAsync("api/jobs/no-such-job/outputs.zip");
        using var missingCsv = await http.GetAsync("api/jobs/no-such-job/failures.csv");
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (missingZip.StatusCode, missingCsv.StatusCode));

        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        await TestPhotos.UploadAsync(Host, $"inbox/{id}/", 12);
        using var submitter = Host.CreateClient(ApiHost.SubmitKey);
        using var submitted = await submitter.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/",
        }, FaceSwapJson.Options);
        var jobId = (await submitted.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId;
        using var running = await http.GetAsync($"api/jobs/{jobId}/outputs.zip");
        Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
        Assert.Equal("job_not_finished", (string?)JsonNode.Parse(await running.Content.ReadAsStringAsync())!["code"]);
        await submitter.PostAsync($"api/jobs/{jobId}/cancel", null);
        await WaitAsync(submitter, jobId);
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient http, string upload, string path, byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return http.PutAsync($"api/uploads/{upload}?path={Uri.EscapeDataString(path)}", body);
    }

    private static async Task<JobStatus> WaitAsync(HttpClient http, string jobId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var status = (await http.GetFromJsonAsync<JobStatus>($"api/jobs/{jobId}", FaceSwapJson.Options))!;
            if (status.IsTerminal || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(200);
        }
    }
}
