using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using FaceSwap.Grains.Batch;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Silo.Tests;

/// <summary>The photo options of issue 25 item 4 (format, quality, stripGps, copyUnswapped) through the API of a real host.</summary>
public sealed class PhotoOptionsApiTests(SafetyHostFixture fixture) : IClassFixture<SafetyHostFixture>
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task A_format_the_engine_cannot_write_is_a_400_naming_options_format()
    {
        using var http = Host.CreateClient(ApiHost.AdminKey);
        const string body = """{ "source": "faces/x/face.jpg", "input": "inbox/x/", "output": "outbox/x/", "consentReference": "c", "options": { "format": "tiff" } }""";
        using var response = await http.PostAsync("api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        Assert.Contains("options.format", errors.Select(e => e.Key));
    }

    [Fact]
    public async Task A_heic_job_in_webp_writes_webp_outputs_copies_the_photo_without_a_face_and_both_thumbnails_are_made()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var landscape = TestImages.Gradient(640, 480);
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        await Host.PutBytesAsync($"inbox/photos-{id}/IMG_0001.heic", await File.ReadAllBytesAsync(Fixtures.HeicPhoto));
        await Host.PutBytesAsync($"inbox/photos-{id}/landscape.jpg", landscape);
        using var http = Host.CreateClient(ApiHost.AdminKey);
        var request = new SubmitJobRequest
        {
            Source = $"faces/{id}/face.jpg", Input = $"inbox/photos-{id}/", Output = $"outbox/photos-{id}/", JobId = "photos-" + id, ConsentReference = "test",
            Options = new JobOptions { Format = "webp", Quality = 80, StripGps = true, CopyUnswapped = true },
        };
        using (var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var grain = Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IBatchGrain>(request.JobId!);
        var status = await grain.GetStatusAsync();
        for (var deadline = DateTime.UtcNow.AddMinutes(3); !status.IsTerminal && DateTime.UtcNow < deadline; status = await grain.GetStatusAsync())
        {
            await Task.Delay(200);
        }

        Assert.Equal(JobState.Completed, status.State);
        var outcomes = (await File.ReadAllLinesAsync(Local(JobFiles.Outcomes(status.Spec!, status.JobId))))
            .Select(l => JobOutcomes.Parse(Encoding.UTF8.GetBytes(l))).OfType<ImageOutcome>().ToDictionary(o => o.Path);

        Assert.Equal(ImageStatus.Ok, outcomes["IMG_0001.heic"].Status);
        Assert.Equal("IMG_0001.webp", outcomes["IMG_0001.heic"].Output);
        var webp = await File.ReadAllBytesAsync(Local($"outbox/photos-{id}/IMG_0001.webp"));
        Assert.Equal("webp", ImageCodec.Sniff(webp));
        var exif = PhotoMetadata.Read(webp).Exif;
        Assert.NotNull(exif);
        var tags = new ImageMagick.ExifProfile(exif).Values.Select(v => v.Tag.ToString()).ToList();
        Assert.Contains("Make", tags);
        Assert.DoesNotContain(tags, t => t.StartsWith("GPS", StringComparison.Ordinal));

        Assert.Equal(ImageStatus.NoFace, outcomes["landscape.jpg"].Status);
        Assert.True(outcomes["landscape.jpg"].Untouched);
        Assert.Equal(SHA256.HashData(landscape), SHA256.HashData(await File.ReadAllBytesAsync(Local($"outbox/photos-{id}/landscape.jpg"))));

        using var reader = Host.CreateClient(ApiHost.ReadKey);
        foreach (var side in new[] { "input", "output" })
        {
            using var thumbnail = await reader.GetAsync($"api/jobs/{request.JobId}/thumbnail?side={side}&path=IMG_0001.heic");
            Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
            Assert.Equal("jpeg", ImageCodec.Sniff(await thumbnail.Content.ReadAsByteArrayAsync()));
        }
    }

    private string Local(string path) => Path.Combine(fixture.Root, path);
}
