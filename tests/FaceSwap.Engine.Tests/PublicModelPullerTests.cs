using System.Net;
using System.Net.Sockets;
using FaceSwap.Engine.Models;
using FaceSwap.ModelStore;

namespace FaceSwap.Engine.Tests;

/// <summary>`faceswap models pull NAME` against a loopback HTTP server: resume, verification and the offline message.</summary>
public sealed class PublicModelPullerTests : IDisposable
{
    private static readonly byte[] Content = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("faceswap-pull-");
    private readonly HttpListener server = new();
    private readonly List<string?> ranges = [];
    private readonly int port = FreePort();

    public PublicModelPullerTests()
    {
        server.Prefixes.Add($"http://127.0.0.1:{port}/");
        server.Start();
        _ = Task.Run(ServeAsync);
    }

    [Fact]
    public async Task A_partial_download_is_resumed_and_the_whole_file_verified()
    {
        var directory = Models(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Content)), Content.Length);
        var model = directory.Catalog.Get("gfpgan_1.4");
        await File.WriteAllBytesAsync(PublicModelPuller.PartialPath(directory, model), Content[..40_000]);
        using var http = new HttpClient();

        var outcome = await PublicModelPuller.PullAsync(directory, "gfpgan_1.4", http, null, CancellationToken.None);

        Assert.Equal("resumed and downloaded", outcome.Action);
        Assert.Equal(["bytes=40000-"], ranges);
        Assert.Equal(Content, await File.ReadAllBytesAsync(directory.FileOf(model)));
        Assert.False(File.Exists(PublicModelPuller.PartialPath(directory, model)));
        Assert.Equal(ModelState.Present, directory.Check(model));
        Assert.Equal("already present", (await PublicModelPuller.PullAsync(directory, "gfpgan_1.4", http, null, CancellationToken.None)).Action);
    }

    [Fact]
    public async Task A_download_with_another_sha256_is_deleted_and_reported_corrupt()
    {
        var directory = Models(new string('a', 64), null);
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<FaceSwapException>(() => PublicModelPuller.PullAsync(directory, "gfpgan_1.4", http, null, CancellationToken.None));

        Assert.Equal(FaceSwapErrorKind.ModelCorrupt, error.Kind);
        Assert.Empty(folder.GetFiles("gfpgan_1.4.onnx*"));
    }

    [Fact]
    public async Task An_unreachable_url_says_where_to_put_the_file()
    {
        var closed = FreePort();
        var directory = Models(null, null, $"http://127.0.0.1:{closed}/gfpgan_1.4.onnx");
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<FaceSwapException>(() => PublicModelPuller.PullAsync(directory, "gfpgan_1.4", http, null, CancellationToken.None));

        Assert.Equal(FaceSwapErrorKind.ModelMissing, error.Kind);
        Assert.StartsWith($"cannot reach http://127.0.0.1:{closed}/gfpgan_1.4.onnx", error.Message, StringComparison.Ordinal);
        Assert.Contains($"put it at {Path.Combine(folder.FullName, "gfpgan_1.4.onnx")}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_on_the_server_is_reported_with_its_status()
    {
        var directory = Models(null, null, $"http://127.0.0.1:{port}/nothing-here.onnx");
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<FaceSwapException>(() => PublicModelPuller.PullAsync(directory, "gfpgan_1.4", http, null, CancellationToken.None));

        Assert.Equal(FaceSwapErrorKind.ModelMissing, error.Kind);
        Assert.Contains("answered 404", error.Message, StringComparison.Ordinal);
    }

    private ModelDirectory Models(string? sha256, long? size, string? url = null) => new(folder.FullName, new ModelCatalog
    {
        Models = [],
        Public = [new ModelEntry("gfpgan_1.4", "gfpgan_1.4.onnx", "enhancer", sha256, size, "test", null, null, url ?? $"http://127.0.0.1:{port}/gfpgan_1.4.onnx")],
    });

    private async Task ServeAsync()
    {
        while (server.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await server.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var response = context.Response;
            if (context.Request.Url?.AbsolutePath != "/gfpgan_1.4.onnx")
            {
                response.StatusCode = 404;
                continue;
            }

            var range = context.Request.Headers["Range"];
            lock (ranges)
            {
                ranges.Add(range);
            }

            var from = range is null ? 0 : int.Parse(range["bytes=".Length..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
            if (range is not null)
            {
                response.StatusCode = 206;
                response.AddHeader("Content-Range", $"bytes {from}-{Content.Length - 1}/{Content.Length}");
            }

            response.ContentLength64 = Content.Length - from;
            await response.OutputStream.WriteAsync(Content.AsMemory(from));
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        server.Close();
        folder.Delete(recursive: true);
    }
}
