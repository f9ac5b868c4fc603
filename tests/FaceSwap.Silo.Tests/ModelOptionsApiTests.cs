using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Silo.Tests;

/// <summary>The model options through the API: field errors, and a job refused at start when its model is missing.</summary>
[Collection(AzuriteApiHostFixture.Collection), Trait("Category", "Azurite")]
public sealed class ModelOptionsApiTests(AzuriteApiHostFixture fixture)
{
    private ApiHost Host => fixture.Host;

    [Theory]
    [InlineData("swapper", "\"roop\"", "must be 'morph', 'inswapper_128' or 'simswap_256'")]
    [InlineData("enhancer", "\"codeformer\"", "must be 'none' or 'gfpgan_1.4'")]
    [InlineData("detector", "\"retinaface\"", "'scrfd_2.5g' or 'yoloface_8n'")]
    [InlineData("blendRatio", "1.5", "between 0 and 1")]
    [InlineData("pixelBoost", "300", "pixel boost must be 128, 256, 384, 512, or 0")]
    [InlineData("maskPadding", "[0, 0, 120, 0]", "between 0 and 100")]
    public async Task Unknown_models_are_400s_naming_the_option(string option, string value, string message)
    {
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var body = """{"source":"inbox/f.jpg","input":"inbox/x/","output":"outbox/x/","options":{""" + $"\"{option}\":{value}" + "}}";

        using var response = await http.PostAsync("api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var messages = problem["errors"]?[$"options.{option}"]?.AsArray().Select(m => (string)m!).ToList();
        Assert.True(messages is not null, problem.ToJsonString());
        Assert.Contains(messages, m => m.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_job_whose_swapper_model_is_missing_is_refused_at_start_naming_the_option()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/source.jpg", TestPhotos.Small(3));
        await TestPhotos.UploadAsync(Host, $"inbox/{id}/", 1);
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest
        {
            Source = $"faces/{id}/source.jpg",
            Input = $"inbox/{id}/",
            Output = $"outbox/{id}/",
            Options = new JobOptions { Swapper = "inswapper_128" },
        };

        using var response = await http.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("A selected model cannot be used", (string?)problem["title"]);
        var message = (string)problem["errors"]!["options.swapper"]![0]!;
        Assert.Contains("inswapper_128.onnx is missing", message, StringComparison.Ordinal);
        Assert.Contains("faceswap models pull inswapper_128", message, StringComparison.Ordinal);

        // Issue 23, item 15: the caller learns what is missing, not where the server keeps its models.
        var modelsFolder = Path.GetFullPath(FaceSwap.Engine.Tests.TestAssets.Models.Path).TrimEnd('/');
        Assert.DoesNotContain(modelsFolder, problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("the server's models folder", message, StringComparison.Ordinal);
        var jobId = (string)problem["jobId"]!;
        var status = await http.GetStringAsync($"api/jobs/{jobId}");
        Assert.DoesNotContain(modelsFolder, status, StringComparison.Ordinal);
        Assert.Contains("inswapper_128.onnx is missing", status, StringComparison.Ordinal);
    }
}
