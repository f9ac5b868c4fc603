using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Grains.Batch;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Silo.Tests;

/// <summary>A preview job (issue 25 item 5) through the API of a real host: accepted, stopped after N images with its contact sheet, bad sizes refused with a code.</summary>
public sealed class PreviewApiTests(SafetyHostFixture fixture) : IClassFixture<SafetyHostFixture>
{
    private ApiHost Host => fixture.Host;

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("101")]
    [InlineData("2147483647")]
    public async Task A_preview_size_out_of_range_is_a_400_naming_options_preview_with_its_code(string value)
    {
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var body = $$"""{ "source": "faces/x/face.jpg", "input": "inbox/x/", "output": "outbox/x/", "consentReference": "c", "options": { "preview": {{value}} } }""";
        using var response = await http.PostAsync("api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("must be 1 to 100", problem["errors"]!["options.preview"]![0]!.GetValue<string>());
        Assert.Equal(JobRefusalCodes.PreviewOutOfRange, problem["codes"]!["options.preview"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_preview_job_swaps_n_images_spread_over_the_folders_and_serves_its_contact_sheet()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        var paths = await TestPhotos.UploadAsync(Host, $"inbox/preview-{id}/", 7);
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest
        {
            Source = $"faces/{id}/face.jpg", Input = $"inbox/preview-{id}/", Output = $"outbox/preview-{id}/", JobId = "preview-" + id, ConsentReference = "test",
            Options = new JobOptions { Preview = 3 },
        };
        using (var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var accepted = await response.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options);
            Assert.Equal(3, accepted!.Spec!.Options.Preview);
        }

        var grain = Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IBatchGrain>(request.JobId!);
        var status = await grain.GetStatusAsync();
        for (var deadline = DateTime.UtcNow.AddMinutes(3); !status.IsTerminal && DateTime.UtcNow < deadline; status = await grain.GetStatusAsync())
        {
            await Task.Delay(200);
        }

        // The status says it was a preview (its spec) and how many it did.
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(3, status.Spec!.Options.Preview);
        Assert.Equal(3, status.Counters.Discovered);
        Assert.Equal(3, status.Counters.Finished);

        // Spread over the three folders of the upload (the top one and set1, set2), not its first three names.
        var outcomes = (await File.ReadAllLinesAsync(Local(JobFiles.Outcomes(status.Spec, status.JobId))))
            .Select(l => JobOutcomes.Parse(Encoding.UTF8.GetBytes(l))).OfType<ImageOutcome>().ToList();
        Assert.Equal(3, outcomes.Count);
        Assert.All(outcomes, o => Assert.Contains(o.Path, paths));
        Assert.Equal(3, outcomes.Select(o => Path.GetDirectoryName(o.Path)).Distinct().Count());

        using var reader = Host.CreateClient(ApiHost.ReadKey);
        using (var sheet = await reader.GetAsync($"api/jobs/{request.JobId}/contact-sheet.png"))
        {
            Assert.Equal(HttpStatusCode.OK, sheet.StatusCode);
            Assert.Equal("image/png", sheet.Content.Headers.ContentType?.MediaType);
            var png = await sheet.Content.ReadAsByteArrayAsync();
            var (width, height) = ImageCodec.ReadSize(png);
            Assert.Equal(ContactSheet.Width, width);
            Assert.Equal(ContactSheet.HeightFor((int)status.Counters.Faces, footer: false), height);
        }

        // A job that is not a preview has none, and says so with a code.
        using var none = await reader.GetAsync($"api/jobs/{request.JobId}x/contact-sheet.png");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task A_job_without_preview_has_no_contact_sheet_and_the_answer_says_why()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"inbox/full-{id}/a.jpg", TestPhotos.Small(1));
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest
        {
            Source = $"faces/{id}/face.jpg", Input = $"inbox/full-{id}/", Output = $"outbox/full-{id}/", JobId = "full-" + id, ConsentReference = "test",
        };
        using (var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        using var sheet = await http.GetAsync($"api/jobs/{request.JobId}/contact-sheet.png");

        Assert.Equal(HttpStatusCode.NotFound, sheet.StatusCode);
        Assert.Equal("not_a_preview", JsonNode.Parse(await sheet.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());

        // Left to finish, so the host's disposal does not stop it half-way.
        var grain = Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IBatchGrain>(request.JobId!);
        for (var deadline = DateTime.UtcNow.AddMinutes(2); !(await grain.GetStatusAsync()).IsTerminal && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200);
        }
    }

    private string Local(string path) => Path.Combine(fixture.Root, path);
}
