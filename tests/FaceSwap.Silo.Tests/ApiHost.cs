using System.Net.Http.Headers;
using FaceSwap.Engine.Tests;
using FaceSwap.Silo.Api.Security;
using FaceSwap.Silo.Hosting;
using FaceSwap.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Silo.Tests;

/// <summary>
/// A real silo host (Kestrel on a free loopback port, an Orleans silo with the real engine and models) for API, SDK,
/// CLI and browser tests. Storage is Azurite (a cluster of its own in the shared account) or a local folder.
/// Three keys are configured: <see cref="AdminKey"/>, <see cref="SubmitKey"/> and <see cref="ReadKey"/>.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    /// <summary>A key with the admin role (name "ops").</summary>
    public const string AdminKey = "admin-key-for-tests";

    /// <summary>A key with the submit role (name "studio").</summary>
    public const string SubmitKey = "submit-key-for-tests";

    /// <summary>A key with the read role (name "viewer").</summary>
    public const string ReadKey = "read-key-for-tests";

    private readonly WebApplication app;

    private ApiHost(WebApplication app, Uri baseAddress, string storage)
    {
        this.app = app;
        BaseAddress = baseAddress;
        Storage = storage;
        Store = app.Services.GetRequiredService<IBlobStore>();
    }

    /// <summary>Where the API listens, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The storage setting: an Azurite connection string or local:/folder.</summary>
    public string Storage { get; }

    /// <summary>The host's blob store, to put inputs in place and read outputs.</summary>
    public IBlobStore Store { get; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>Starts a host over <paramref name="storage"/> (Azurite connection string or local:/folder).</summary>
    public static Task<ApiHost> StartAsync(string storage, params string[] extraArgs) => StartAsync(storage, null, extraArgs);

    /// <summary>Starts a host over <paramref name="storage"/>; <paramref name="configure"/> adds to the builder (e.g. in-memory exporters).</summary>
    public static async Task<ApiHost> StartAsync(string storage, Action<WebApplicationBuilder>? configure, params string[] extraArgs)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--FaceSwap:Storage=" + storage,
            "--FaceSwap:ModelsPath=" + TestAssets.Models.Path,
            "--FaceSwap:Concurrency=2",
            "--FaceSwap:Host:SiloPort=0",
            "--FaceSwap:Host:GatewayPort=0",
            "--FaceSwap:Host:ClusterId=api-" + id,
            "--FaceSwap:Host:ServiceId=api-" + id,
            "--Api:Keys:0:Name=ops", "--Api:Keys:0:Role=admin", "--Api:Keys:0:Sha256=" + ApiKeyOptions.Hash(AdminKey),
            "--Api:Keys:1:Name=studio", "--Api:Keys:1:Role=submit", "--Api:Keys:1:Sha256=" + ApiKeyOptions.Hash(SubmitKey),
            "--Api:Keys:2:Name=viewer", "--Api:Keys:2:Role=read", "--Api:Keys:2:Sha256=" + ApiKeyOptions.Hash(ReadKey),
            // Most tests submit without a consent reference and poll hard with one key; SafetyApiTests turns both on.
            "--FaceSwap:Safety:RequireConsent=false",
            "--Api:RateLimit:PermitsPerMinute=0",
            .. extraArgs,
        ];
        var app = FaceSwapHost.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.AddFilter((category, level) => level >= (category?.StartsWith("FaceSwap", StringComparison.Ordinal) == true ? LogLevel.Warning : LogLevel.Error));
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ApiHost(app, new Uri(address.TrimEnd('/') + "/"), storage);
    }

    /// <summary>An HTTP client for the API with <paramref name="apiKey"/> (none when null).</summary>
    public HttpClient CreateClient(string? apiKey = AdminKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyOptions.Header, apiKey);
        }

        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>Uploads a local file into the host's storage.</summary>
    public async Task PutFileAsync(string path, string localFile) =>
        await Store.WriteAsync(path, await File.ReadAllBytesAsync(localFile), "image/jpeg", null);

    /// <summary>Uploads bytes into the host's storage.</summary>
    public Task PutBytesAsync(string path, byte[] content) => Store.WriteAsync(path, content, "application/octet-stream", null);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A slow silo shutdown is not worth waiting for in tests.
        }

        await app.DisposeAsync();
    }
}
