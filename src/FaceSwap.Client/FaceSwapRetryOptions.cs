using System.ComponentModel.DataAnnotations;

namespace FaceSwap.Client;

/// <summary>How a <see cref="FaceSwapClient"/> retries ordinary calls: exponential backoff with jitter over transient failures.</summary>
/// <remarks>
/// Transient: network errors, an attempt that timed out, 408, 429 and 5xx answers (a <c>Retry-After</c> header is
/// honoured). A retried <see cref="FaceSwapClient.SubmitJobAsync"/> is safe: the client fixes the job id before the
/// first attempt.
/// </remarks>
public sealed class FaceSwapRetryOptions
{
    /// <summary>Retries after the first attempt; 0 turns retrying off.</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The wait before the first retry; it doubles with each further one.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take before it is abandoned (and retried).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
