using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Silo.Api;

namespace FaceSwap.Silo.Tests;

/// <summary>Uploads into the inbox through the REST API, a real silo and Azurite: checked like a job checks, resumable per file.</summary>
[Collection(AzuriteApiHostFixture.Collection), Trait("Category", "Azurite")]
public sealed class UploadsApiTests(AzuriteApiHostFixture fixture)
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task Photos_are_stored_under_the_uploads_prefix_and_a_resumed_upload_lists_them_with_their_hashes_and_is_not_written_again()
    {
        var upload = "up-" + Guid.NewGuid().ToString("N")[..10];
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var face = TestPhotos.Small(3);
        var photo = TestPhotos.Small(1);

        using var first = await PutAsync(http, upload, "source/anna.jpg", face);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var stored = (await first.Content.ReadFromJsonAsync<UploadedFile>(FaceSwapJson.Options))!;
        Assert.Equal(($"inbox/uploads/{upload}/source/anna.jpg", face.LongLength, Sha256(face)), (stored.BlobPath, stored.Size, stored.Sha256));
        Assert.Equal(face, await Host.Store.ReadAllBytesAsync(stored.BlobPath, 1 << 24));
        using var second = await PutAsync(http, upload, "photos/2024/summer/a.jpg", photo);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);

        // The connection dropped here; the client comes back and asks what is there already.
        var listing = (await http.GetFromJsonAsync<UploadListing>($"api/uploads/{upload}", FaceSwapJson.Options))!;
        Assert.Equal($"inbox/uploads/{upload}/", listing.Prefix);
        Assert.Equal($"outbox/uploads/{upload}/", listing.Output);
        Assert.Equal(200L * 1024 * 1024, listing.MaxFileBytes);
        Assert.Equal(
            [("photos/2024/summer/a.jpg", photo.LongLength, Sha256(photo)), ("source/anna.jpg", face.LongLength, Sha256(face))],
            listing.Files.Select(f => (f.Path, f.Size, f.Sha256)).ToList());
        Assert.Null(listing.Next);

        // A file sent again with the same content is acknowledged without a write (its version stays); new content replaces it.
        var before = (await Host.Store.GetPropertiesAsync(stored.BlobPath))!.ETag;
        using var again = await PutAsync(http, upload, "source/anna.jpg", face);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(before, (await Host.Store.GetPropertiesAsync(stored.BlobPath))!.ETag);
        using var replaced = await PutAsync(http, upload, "source/anna.jpg", TestPhotos.Small(4));
        Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);
        Assert.Equal(TestPhotos.Small(4), await Host.Store.ReadAllBytesAsync(stored.BlobPath, 1 << 24));

        // Pages: one file a page, the cursor given back.
        var page = (await http.GetFromJsonAsync<UploadListing>($"api/uploads/{upload}?limit=1", FaceSwapJson.Options))!;
        var next = (await http.GetFromJsonAsync<UploadListing>($"api/uploads/{upload}?limit=1&cursor={Uri.EscapeDataString(page.Next!)}", FaceSwapJson.Options))!;
        Assert.Equal(["photos/2024/summer/a.jpg", "source/anna.jpg"], page.Files.Concat(next.Files).Select(f => f.Path).ToList());
    }

    [Theory]
    [InlineData("photos/notes.txt", "text", HttpStatusCode.UnprocessableEntity, "not_an_image")]
    [InlineData("photos/fake.jpg", "text", HttpStatusCode.UnprocessableEntity, "not_an_image")]
    [InlineData("photos/really-a-png.jpg", "png", HttpStatusCode.UnprocessableEntity, "content_mismatch")]
    [InlineData("photos/anim.gif", "gif", HttpStatusCode.UnprocessableEntity, "unsupported_format")]
    [InlineData("photos/empty.jpg", "empty", HttpStatusCode.UnprocessableEntity, "empty_file")]
    [InlineData("../../state/evil.jpg", "jpeg", HttpStatusCode.BadRequest, "invalid_path")]
    [InlineData("photos/../../../state/evil.jpg", "jpeg", HttpStatusCode.BadRequest, "invalid_path")]
    [InlineData("/etc/evil.jpg", "jpeg", HttpStatusCode.BadRequest, "invalid_path")]
    [InlineData("photos\\..\\evil.jpg", "jpeg", HttpStatusCode.BadRequest, "invalid_path")]
    public async Task A_file_a_job_could_not_read_or_a_path_out_of_the_upload_is_refused_with_a_code_and_nothing_is_stored(
        string path, string content, HttpStatusCode status, string code)
    {
        var upload = "up-" + Guid.NewGuid().ToString("N")[..10];
        using var http = Host.CreateClient(ApiHost.SubmitKey);
        var bytes = content switch
        {
            "text" => "this is not a photo, whatever its name says"u8.ToArray(),
            "png" => FaceSwap.Engine.Imaging.ImageCodec.Encode(new OpenCvSharp.Mat(8, 8, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(90)), FaceSwap.Engine.Imaging.ImageFormat.Png),
            "gif" => "GIF89a\u0001\u0000\u0001\u0000"u8.ToArray(),
            "empty" => [],
            _ => TestPhotos.Small(1),
        };

        using var response = await PutAsync(http, upload, path, bytes);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
        Assert.Empty((await Host.Store.ListAsync("inbox/uploads/" + upload + "/", null, 10)).Items);
        Assert.DoesNotContain((await Host.Store.ListAsync("state/", null, 1000)).Items, i => i.Path.EndsWith("evil.jpg", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_over_the_limit_is_refused_from_its_content_length_before_its_body_is_sent()
    {
        // The client waits for the server's 100 Continue (never sent here) as long as the test may take.
        using var http = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) }) { BaseAddress = Host.BaseAddress };
        http.DefaultRequestHeaders.Add(FaceSwap.Silo.Api.Security.ApiKeyOptions.Header, ApiHost.SubmitKey);
        var tooLarge = 200L * 1024 * 1024 + 1;
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/uploads/up-large?path=photos/huge.jpg") { Content = new UnsentContent(tooLarge) };
        request.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("file_too_large", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
    }

    [Fact]
    public async Task Uploading_needs_the_submit_role_and_an_upload_id_a_job_id_could_be()
    {
        using var reader = Host.CreateClient(ApiHost.ReadKey);
        using var forbidden = await PutAsync(reader, "up-read", "photos/a.jpg", TestPhotos.Small(1));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var listForbidden = await reader.GetAsync("api/uploads/up-read");
        Assert.Equal(HttpStatusCode.Forbidden, listForbidden.StatusCode);

        using var http = Host.CreateClient(ApiHost.SubmitKey);
        using var badId = await PutAsync(http, "Up..Id", "photos/a.jpg", TestPhotos.Small(1));
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Equal("invalid_upload_id", (string?)JsonNode.Parse(await badId.Content.ReadAsStringAsync())!["code"]);
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient http, string upload, string path, byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return http.PutAsync($"api/uploads/{upload}?path={Uri.EscapeDataString(path)}", body);
    }

    private static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>A body that announces its length and fails the test if the server ever asks for it.</summary>
    private sealed class UnsentContent(long length) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            throw new InvalidOperationException("the server asked for the body of a file it should have refused from its Content-Length");

        protected override bool TryComputeLength(out long length1)
        {
            length1 = length;
            return true;
        }
    }
}
