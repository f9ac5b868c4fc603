using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Safety;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Silo.Tests;

/// <summary>options.faces "reference" through the REST API, a real silo and Azurite.</summary>
[Collection(AzuriteApiHostFixture.Collection), Trait("Category", "Azurite")]
public sealed class ReferenceSelectionApiTests(AzuriteApiHostFixture fixture)
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task Reference_mode_swaps_only_the_referenced_person_and_an_image_without_them_is_ok_with_zero_faces()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var (source, reference, input, output) = ($"faces/{id}/source.jpg", $"faces/{id}/anna.jpg", $"inbox/{id}/", $"outbox/{id}/");
        await Host.PutBytesAsync(source, TestPhotos.Small(3));
        await Host.PutBytesAsync(reference, TestPhotos.LeftmostFaceOf(TestPhotos.Small(1)));
        await Host.PutBytesAsync(input + "group.jpg", TestPhotos.Small(1));
        await Host.PutBytesAsync(input + "others/strangers.jpg", TestPhotos.Small(4));
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        using var response = await http.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Source = source,
            Input = input,
            Output = output,
            Options = new JobOptions { Faces = FaceMode.Reference, References = [reference] },
        }, FaceSwapJson.Options);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!;
        Assert.Equal([reference], created.Spec!.Options.References!);
        var done = await WaitAsync(http, created.JobId);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal((2L, 0L, 0L, 1L), (done.Counters.Ok, done.Counters.NoFace, done.Counters.Failed, done.Counters.Faces));

        var results = (await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{created.JobId}/results", FaceSwapJson.Options))!;
        var group = Assert.Single(results.Items, r => r.Path == "group.jpg");
        Assert.Equal((ImageStatus.Ok, 1, 2), (group.Status, group.Faces, group.FacesSkipped));
        Assert.Equal(2, group.SkipReasons!["not_reference"]);
        Assert.True(group.NearestSkippedDistance > SwapRequest.DefaultReferenceDistance);
        Assert.NotNull(group.Similarity); // measured on the swapped face only

        var strangers = Assert.Single(results.Items, r => r.Path == "others/strangers.jpg");
        Assert.Equal((ImageStatus.Ok, 0, 4), (strangers.Status, strangers.Faces, strangers.FacesSkipped));
        Assert.Null(strangers.ErrorClass);
        Assert.NotNull(await Host.Store.GetPropertiesAsync(output + "others/strangers.jpg"));

        // Only the image with a replaced face is marked AI-generated (XMP, watermark, stored metadata); the one where
        // nobody matched is written unmarked and its outcome says so.
        Assert.Equal((true, false), (group.Marked, strangers.Marked));
        var marked = await Host.Store.ReadAllBytesAsync(output + "group.jpg", 50_000_000);
        var unmarked = await Host.Store.ReadAllBytesAsync(output + "others/strangers.jpg", 50_000_000);
        Assert.True(XmpMarker.Read(marked).Found);
        Assert.False(XmpMarker.Read(unmarked).Found);
        using (var image = ImageCodec.Decode(marked))
        {
            Assert.True(Watermark.Detect(image).Found);
        }

        using (var image = ImageCodec.Decode(unmarked))
        {
            Assert.False(Watermark.Detect(image).Found);
        }

        Assert.DoesNotContain("faceswap_ai_generated", (await Host.Store.GetMetadataAsync(output + "others/strangers.jpg"))!.Keys);
        Assert.Equal("trainedAlgorithmicMedia", (await Host.Store.GetMetadataAsync(output + "group.jpg"))!["faceswap_ai_generated"]);
    }

    [Fact]
    public async Task A_reference_without_a_face_is_422_naming_options_references_before_the_job_runs()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/source.jpg", TestPhotos.Small(3));
        using var gradient = new Mat(400, 400, MatType.CV_8UC3, new Scalar(90, 140, 200));
        await Host.PutBytesAsync($"faces/{id}/wall.jpg", ImageCodec.Encode(gradient, ImageFormat.Jpeg));
        await Host.PutBytesAsync($"inbox/{id}/a.jpg", TestPhotos.Small(1));
        using var http = Host.CreateClient(ApiHost.SubmitKey);

        using var response = await http.PostAsJsonAsync("api/jobs", new SubmitJobRequest
        {
            Source = $"faces/{id}/source.jpg",
            Input = $"inbox/{id}/",
            Output = $"outbox/{id}/",
            Options = new JobOptions { Faces = FaceMode.Reference, References = [$"faces/{id}/wall.jpg"] },
        }, FaceSwapJson.Options);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var message = (string)problem["errors"]!["options.references"]![0]!;
        Assert.Contains($"faces/{id}/wall.jpg", message);
        Assert.Null(problem["errors"]!["source"]);
        var status = await http.GetFromJsonAsync<JobStatus>($"api/jobs/{(string)problem["jobId"]!}", FaceSwapJson.Options);
        Assert.Equal((JobState.Failed, 0L), (status!.State, status.Counters.Discovered));
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
