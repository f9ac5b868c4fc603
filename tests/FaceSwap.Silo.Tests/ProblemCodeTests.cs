using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using FaceSwap.Testing;

namespace FaceSwap.Silo.Tests;

/// <summary>A host over local folders for <see cref="ProblemCodeTests"/>.</summary>
public sealed class ProblemCodeHostFixture : IAsyncLifetime
{
    private readonly TemporaryDirectory root = new("faceswap-problem-codes");

    /// <summary>The host.</summary>
    public ApiHost Host { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Host = await ApiHost.StartAsync("local:" + root.FullPath);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        root.Dispose();
    }
}

/// <summary>Issue 24: every error answer carries a stable <c>code</c> (and a 422 its <c>field</c>), and a refused job keeps them in its status.</summary>
public sealed class ProblemCodeTests(ProblemCodeHostFixture fixture) : IClassFixture<ProblemCodeHostFixture>
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task Each_kind_of_refusal_is_a_problem_with_its_own_code()
    {
        var batch = await NewBatchAsync(TestPhotos.Small(3));
        using var anonymous = Host.CreateClient(apiKey: null);
        using var wrongKey = Host.CreateClient("not-a-key-of-this-host");
        using var reader = Host.CreateClient(ApiHost.ReadKey);
        using var submitter = Host.CreateClient(ApiHost.SubmitKey);

        await AssertProblemAsync(await anonymous.GetAsync("api/jobs"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated);
        await AssertProblemAsync(await wrongKey.GetAsync("api/jobs"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated);
        await AssertProblemAsync(await reader.PostAsJsonAsync("api/jobs", batch, FaceSwapJson.Options), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await AssertProblemAsync(await reader.GetAsync("api/jobs/no-such-job"), HttpStatusCode.NotFound, ErrorCodes.JobNotFound);
        await AssertProblemAsync(await reader.GetAsync("api/jobs/no-such-job/results"), HttpStatusCode.NotFound, ErrorCodes.JobNotFound);
        await AssertProblemAsync(await reader.GetAsync("api/no-such-resource"), HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await AssertProblemAsync(await submitter.PutAsync("api/jobs", Json("{}")), HttpStatusCode.MethodNotAllowed, ErrorCodes.MethodNotAllowed);

        var unknownMember = await AssertProblemAsync(await submitter.PostAsync("api/jobs", Json("""{"sourc":"x","input":"inbox/a/","output":"outbox/a/"}""")),
            HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        Assert.Equal("is not a known member", (string?)unknownMember["errors"]?["sourc"]?[0]);
        var unknownOption = await AssertProblemAsync(await submitter.PostAsync("api/jobs", Json("""{"options":{"bachSize":4}}""")),
            HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        Assert.Equal("is not a known member", (string?)unknownOption["errors"]?["options.bachSize"]?[0]);
        var wrongType = await AssertProblemAsync(await submitter.PostAsync("api/jobs", Json("""{"options":{"batchSize":"four"}}""")),
            HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        Assert.Equal("has a value of the wrong type or is not valid JSON", (string?)wrongType["errors"]?["options.batchSize"]?[0]);

        var policy = await AssertProblemAsync(await submitter.PostAsJsonAsync("api/jobs", batch with { Output = batch.Input + "out/" }, FaceSwapJson.Options),
            HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        Assert.Equal(JobRefusalCodes.OutputOverlapsInput, (string?)policy["codes"]?["output"]);

        var jobId = "codes-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Accepted, (await submitter.PostAsJsonAsync("api/jobs", batch with { JobId = jobId }, FaceSwapJson.Options)).StatusCode);
        await AssertProblemAsync(await submitter.PostAsJsonAsync("api/jobs", batch with { JobId = jobId, Output = "outbox/elsewhere/" }, FaceSwapJson.Options),
            HttpStatusCode.Conflict, ErrorCodes.JobIdInUse);
    }

    [Fact]
    public async Task A_refused_source_is_422_with_the_code_and_field_of_its_check_and_the_jobs_status_keeps_them()
    {
        using var gradient = new OpenCvSharp.Mat(400, 400, OpenCvSharp.MatType.CV_8UC3, new OpenCvSharp.Scalar(90, 140, 200));
        var noFace = ImageCodec.Encode(gradient, ImageFormat.Jpeg);
        byte[] profile;
        using (var engine = new EngineFixture())
        {
            // The leftmost face of demo photo 2 is turned to profile (FaceSwap.Engine.Tests' SwapTests).
            profile = engine.CropFace(2, 0);
        }

        await AssertRefusedAsync(await NewBatchAsync(noFace), JobErrorCodes.NoFace, JobErrorFields.Source, "The source face cannot be used");
        await AssertRefusedAsync(await NewBatchAsync(profile), JobErrorCodes.PoorSource, JobErrorFields.Source, "The source face cannot be used");

        var withReference = await NewBatchAsync(TestPhotos.Small(3));
        var reference = withReference.Input!.Replace("inbox/", "faces/", StringComparison.Ordinal) + "reference.jpg";
        await Host.PutBytesAsync(reference, noFace);
        await AssertRefusedAsync(withReference with { Options = new JobOptions { Faces = FaceMode.Reference, References = [reference] } },
            JobErrorCodes.NoFace, JobErrorFields.References, "A reference face cannot be used");
    }

    private async Task AssertRefusedAsync(SubmitJobRequest request, string code, string field, string title)
    {
        using var submitter = Host.CreateClient(ApiHost.SubmitKey);
        var problem = await AssertProblemAsync(await submitter.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options), HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal((field, title), ((string?)problem["field"], (string?)problem["title"]));
        Assert.NotNull(problem["errors"]?[field]);

        var status = await submitter.GetFromJsonAsync<JobStatus>($"api/jobs/{(string?)problem["jobId"]}", FaceSwapJson.Options);
        Assert.Equal((JobState.Failed, code, field), (status!.State, status.ErrorCode, status.ErrorField));
    }

    private static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(body)!;
            Assert.Equal(code, (string?)problem["code"]);
            return problem;
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<SubmitJobRequest> NewBatchAsync(byte[] source)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitJobRequest { Source = $"faces/{id}/source.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/" };
        await Host.PutBytesAsync(request.Source, source);
        await TestPhotos.UploadAsync(Host, request.Input, 1);
        return request;
    }
}
