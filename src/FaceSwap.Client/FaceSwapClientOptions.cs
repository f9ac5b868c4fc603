namespace FaceSwap.Client;

/// <summary>Settings of a <see cref="FaceSwapClient"/>.</summary>
public sealed class FaceSwapClientOptions
{
    /// <summary>
    /// The server, e.g. <c>https://faceswap.example.com/</c> (the API lives under its <c>api/</c>). Null: the
    /// <see cref="HttpClient.BaseAddress"/> of the HTTP client the <see cref="FaceSwapClient"/> is given.
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The API key, sent in the <c>X-Api-Key</c> header of every request; null sends none.</summary>
    public string? ApiKey { get; set; }

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
    public int MaxReconnectAttempts { get; set; } = 10;

    /// <summary>
    /// An event stream that sends nothing at all (the server sends a keep-alive comment every 15 s of silence) for this
    /// long is taken for a dead connection and reconnected.
    /// </summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
