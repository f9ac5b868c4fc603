using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FaceSwap.Abstractions.Api;
using FaceSwap.Silo.Api.Security;
using FaceSwap.Silo.Hosting;
using FaceSwap.Testing;

namespace FaceSwap.Silo.Tests;

/// <summary>A host with a tight failed-key throttle (5 a minute per address) and two event streams per key.</summary>
public sealed class HttpSurfaceHostFixture : IAsyncLifetime
{
    /// <summary>Wrong keys an address may present per minute on this host.</summary>
    public const int FailedAuthPermits = 5;

    /// <summary>Event streams a key may hold on this host.</summary>
    public const int StreamsPerKey = 2;

    private readonly TemporaryDirectory root = new("faceswap-surface");

    /// <summary>The host.</summary>
    public ApiHost Host { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Host = await ApiHost.StartAsync("local:" + root.FullPath,
        $"--Api:FailedAuth:PermitsPerMinute={FailedAuthPermits}", $"--Api:EventStreams:PerKey={StreamsPerKey}");

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        root.Dispose();
    }
}

/// <summary>Issue 23, items 15 and 16: browser security headers, the failed-key throttle, the per-key cap on event streams.</summary>
public sealed class HttpSurfaceTests(HttpSurfaceHostFixture fixture) : IClassFixture<HttpSurfaceHostFixture>
{
    private ApiHost Host => fixture.Host;

    [Theory]
    [InlineData("", null, HttpStatusCode.OK)]
    [InlineData("app.js", null, HttpStatusCode.OK)]
    [InlineData("api/whoami", ApiHost.ReadKey, HttpStatusCode.OK)]
    [InlineData("api/jobs", null, HttpStatusCode.Unauthorized)]
    [InlineData("api/jobs/no-such-job", ApiHost.ReadKey, HttpStatusCode.NotFound)]
    [InlineData("dashboard/", ApiHost.AdminKey, HttpStatusCode.OK)]
    [InlineData("openapi/v1.json", null, HttpStatusCode.OK)]
    [InlineData("readyz", null, null)]
    public async Task The_page_the_api_the_dashboard_and_errors_carry_the_browser_security_headers(string path, string? key, HttpStatusCode? expected)
    {
        using var http = Host.CreateClient(key);
        using var response = await http.GetAsync(path);

        if (expected is { } status)
        {
            Assert.Equal(status, response.StatusCode);
        }

        var policy = path.StartsWith("dashboard", StringComparison.Ordinal) ? SecurityHeaders.DashboardContentSecurityPolicy : SecurityHeaders.ContentSecurityPolicy;
        Assert.Equal(policy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task Wrong_keys_from_one_address_are_throttled_with_429_even_for_a_right_key_while_other_addresses_go_on()
    {
        // The guesser connects from 127.0.0.2, everyone else from 127.0.0.1: the throttle counts per client address.
        using var guesser = FromAddress(IPAddress.Parse("127.0.0.2"));
        var codes = new List<HttpStatusCode>();
        string? retryAfter = null;
        JsonNode? problem = null;
        for (var i = 0; i < 200; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/jobs");
            request.Headers.Add(ApiKeyOptions.Header, $"guess-{i}");

            // This host is not behind a proxy (Api:BehindProxy is off): a made-up X-Forwarded-For changes nothing.
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i % 250}");
            using var response = await guesser.SendAsync(request);
            codes.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && problem is null)
            {
                retryAfter = response.Headers.RetryAfter?.ToString();
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                problem = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            }
        }

        // Only the first five guesses were even checked; the other 195 were answered 429 without looking at the key.
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, HttpSurfaceHostFixture.FailedAuthPermits), codes.Take(HttpSurfaceHostFixture.FailedAuthPermits));
        Assert.All(codes.Skip(HttpSurfaceHostFixture.FailedAuthPermits), c => Assert.Equal(HttpStatusCode.TooManyRequests, c));
        Assert.Equal(FailedAuthThrottle.Code, (string?)problem!["code"]);
        Assert.True(int.TryParse(retryAfter, out var seconds) && seconds is > 0 and <= 60, $"Retry-After: {retryAfter}");

        // A right key from the throttled address gains nothing until the minute is over.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "api/whoami"))
        {
            request.Headers.Add(ApiKeyOptions.Header, ApiHost.ReadKey);
            using var response = await guesser.SendAsync(request);
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        }

        // A request without a key from there is not a guess: plain 401. Another address is not affected.
        Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("api/jobs")).StatusCode);
        using var other = Host.CreateClient(ApiHost.ReadKey);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("api/whoami")).StatusCode);
    }

    [Fact]
    public async Task Behind_a_proxy_wrong_keys_are_counted_per_client_address_the_proxy_forwarded()
    {
        using var root = new TemporaryDirectory("faceswap-proxy");
        await using var host = await ApiHost.StartAsync("local:" + root.FullPath, "--FaceSwap:Host:LoadModelsAtStart=false",
            "--Api:BehindProxy=true", "--Api:FailedAuth:PermitsPerMinute=3");
        using var http = host.CreateClient(apiKey: null);

        // The proxy appends the address it saw; whatever a client put before it is not believed.
        async Task<HttpStatusCode> SendAsync(string key, string forwardedFor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/whoami");
            request.Headers.Add(ApiKeyOptions.Header, key);
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            guesses.Add(await SendAsync($"guess-{i}", $"10.0.0.{i}, 203.0.113.7"));
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 3), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 7)], guesses);
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(ApiHost.ReadKey, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(ApiHost.ReadKey, "198.51.100.9"));

        // The scheme the client used at the proxy is the document's server scheme.
        using var document = new HttpRequestMessage(HttpMethod.Get, "openapi/v1.json");
        document.Headers.Add("X-Forwarded-Proto", "https");
        using var served = await http.SendAsync(document);
        var server = (string?)JsonNode.Parse(await served.Content.ReadAsStringAsync())!["servers"]![0]!["url"];
        Assert.StartsWith("https://", server, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_holds_at_most_its_cap_of_event_streams_and_a_closed_stream_frees_its_slot()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await Host.PutBytesAsync($"faces/{id}/face.jpg", TestPhotos.Small(3));
        await TestPhotos.UploadAsync(Host, $"inbox/{id}/", 40);
        using var submitter = Host.CreateClient(ApiHost.SubmitKey);
        var request = new SubmitJobRequest { Source = $"faces/{id}/face.jpg", Input = $"inbox/{id}/", Output = $"outbox/{id}/", JobId = "streams-" + id };
        using (var accepted = await submitter.PostAsJsonAsync("api/jobs", request, FaceSwapJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var events = $"api/jobs/{request.JobId}/events?images=false";
        using var reader = Host.CreateClient(ApiHost.ReadKey);

        // Thirty streams asked at once on one read key while the 40-photo job runs: two are served, the others refused.
        var opened = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => OpenAsync(reader, events)));
        try
        {
            var served = opened.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
            Assert.Equal(HttpSurfaceHostFixture.StreamsPerKey, served.Count);
            Assert.All(served, r => Assert.Equal("text/event-stream", r.Content.Headers.ContentType?.MediaType));
            foreach (var refused in opened.Where(r => r.StatusCode != HttpStatusCode.OK))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
                var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
                Assert.Equal(EventStreamLimit.Code, (string?)problem["code"]);
            }

            // Another key has slots of its own.
            using var admin = Host.CreateClient(ApiHost.AdminKey);
            using (var adminStream = await OpenAsync(admin, events))
            {
                Assert.Equal(HttpStatusCode.OK, adminStream.StatusCode);
            }

            // Closing a stream gives its slot back (the server sees the client leave and ends the stream).
            served[0].Dispose();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            HttpStatusCode again;
            do
            {
                using var retry = await OpenAsync(reader, events);
                again = retry.StatusCode;
                if (again != HttpStatusCode.OK)
                {
                    await Task.Delay(200);
                }
            }
            while (again != HttpStatusCode.OK && DateTime.UtcNow < deadline);

            Assert.Equal(HttpStatusCode.OK, again);
        }
        finally
        {
            foreach (var response in opened)
            {
                response.Dispose();
            }

            await submitter.PostAsync($"api/jobs/{request.JobId}/cancel", null);
        }
    }

    private static Task<HttpResponseMessage> OpenAsync(HttpClient http, string url) =>
        http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);

    /// <summary>A client whose connections leave from <paramref name="source"/> (any 127.x address reaches the host on Linux loopback).</summary>
    private HttpClient FromAddress(IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = Host.BaseAddress };
    }
}
