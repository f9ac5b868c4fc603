using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FaceSwap.Client;

/// <summary>Settings of a <see cref="FaceSwapClient"/>: the server, the key, the API version, retries and time limits.</summary>
public sealed class FaceSwapClientOptions
{
    /// <summary>The newest API version this client speaks.</summary>
    public const ServiceVersion LatestVersion = ServiceVersion.V1;

    /// <summary>Settings for the newest API version.</summary>
    public FaceSwapClientOptions()
        : this(LatestVersion)
    {
    }

    /// <summary>Settings for a given API version, for a client that must keep talking to an older server.</summary>
    /// <param name="version">The API version.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is not one this client knows.</exception>
    public FaceSwapClientOptions(ServiceVersion version)
    {
        Version = Enum.IsDefined(version) ? version : throw new ArgumentOutOfRangeException(nameof(version), version, "not an API version this client knows");
    }

    /// <summary>The versions of the FaceSwap API.</summary>
    public enum ServiceVersion
    {
        /// <summary>The <c>/api</c> surface described by <c>/openapi/v1.json</c>.</summary>
        V1 = 1,
    }

    /// <summary>The API version the client speaks; it decides the paths and bodies the client uses.</summary>
    public ServiceVersion Version { get; }

    /// <summary>
    /// The server, e.g. <c>https://faceswap.example.com/</c> (the API lives under its <c>api/</c>). Null: the
    /// <see cref="HttpClient.BaseAddress"/> of the HTTP client the <see cref="FaceSwapClient"/> is given.
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The API key, sent in the <c>X-Api-Key</c> header of every request; null sends none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// How ordinary calls are retried (one Polly pipeline, also used by <c>AddFaceSwapClient</c>): which failures,
    /// how often, how long to wait and how long one attempt may take.
    /// </summary>
    [ValidateObjectMembers]
    public FaceSwapRetryOptions Retry { get; } = new();

    /// <summary>How long one ordinary call may take in all, retries and their waits included.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// How long <see cref="FaceSwapClient.WatchAsync"/> waits before reconnecting a dropped event stream; it doubles
    /// with each attempt that fails in a row, up to <see cref="MaxReconnectDelay"/>. Null (the default): the server's
    /// <c>retry:</c> hint, or one second before it has sent one.
    /// </summary>
    public TimeSpan? ReconnectDelay { get; set; }

    /// <summary>The longest wait between two reconnection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many reconnection attempts in a row may fail (no event received in between) before
    /// <see cref="FaceSwapClient.WatchAsync"/> gives up and throws the last error.
    /// </summary>
    [Range(0, 1000)]
    public int MaxReconnectAttempts { get; set; } = 10;

    /// <summary>
    /// An event stream that sends nothing at all (the server sends a keep-alive comment every 15 s of silence) for this
    /// long is taken for a dead connection and reconnected.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
