using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Client;

/// <summary>
/// A submitted job, followed as a long-running operation: <see cref="WaitForCompletionAsync(CancellationToken)"/> until
/// it ends, or <see cref="UpdateStatusAsync"/> now and then and look at <see cref="HasCompleted"/>; the final status is
/// <see cref="Value"/>.
/// </summary>
/// <remarks>
/// The shape of Azure.Core's <c>Operation&lt;T&gt;</c>. A job that ends is completed, cancelled or failed (see
/// <see cref="JobStatus.State"/>); each of those is a value. To pick a job up again in another process, keep its
/// <see cref="Id"/> and make a new operation with <see cref="JobOperation(FaceSwapClient, string)"/>.
/// </remarks>
public class JobOperation
{
    private readonly FaceSwapClient? client;
    private JobStatus? latest;

    /// <summary>Follows the job <paramref name="jobId"/>, e.g. one submitted earlier or elsewhere; nothing is sent until asked.</summary>
    /// <param name="client">The client to follow it with.</param>
    /// <param name="jobId">The job.</param>
    public JobOperation(FaceSwapClient client, string jobId)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        this.client = client;
        Id = jobId;
    }

    /// <summary>Follows a job whose status the caller already has (the answer to a submit).</summary>
    /// <param name="client">The client to follow it with.</param>
    /// <param name="status">The job's status as last seen.</param>
    public JobOperation(FaceSwapClient client, JobStatus status)
        : this(client, (status ?? throw new ArgumentNullException(nameof(status))).JobId)
    {
        latest = status;
    }

    /// <summary>For mocking.</summary>
    protected JobOperation()
    {
        Id = string.Empty;
    }

    /// <summary>The job's id.</summary>
    public virtual string Id { get; }

    /// <summary>The job's status as last seen (null for an operation made from an id and not updated yet).</summary>
    public virtual JobStatus? LatestStatus => latest;

    /// <summary>Whether the job had ended when last seen.</summary>
    public virtual bool HasCompleted => latest?.IsTerminal == true;

    /// <summary>Whether <see cref="Value"/> is there: the same as <see cref="HasCompleted"/>.</summary>
    public virtual bool HasValue => HasCompleted;

    /// <summary>The job's final status.</summary>
    /// <exception cref="InvalidOperationException">The job had not ended when last seen.</exception>
    public virtual JobStatus Value => HasCompleted
        ? latest!
        : throw new InvalidOperationException($"Job '{Id}' has not ended yet (last seen {latest?.State.ToString() ?? "never"}); wait for it or update its status.");

    /// <summary>Fetches the job's status now (<c>GET /api/jobs/{id}</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The status, also in <see cref="LatestStatus"/>.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public virtual async Task<JobStatus> UpdateStatusAsync(CancellationToken cancellationToken = default)
    {
        latest = await Client.GetJobAsync(Id, cancellationToken).ConfigureAwait(false);
        return latest;
    }

    /// <summary>Waits until the job ends, following its event stream (no polling).</summary>
    /// <param name="cancellationToken">Stops waiting (not the job).</param>
    /// <returns>The final status, also in <see cref="Value"/>.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public virtual Task<JobStatus> WaitForCompletionAsync(CancellationToken cancellationToken = default) =>
        WaitForCompletionAsync(null, cancellationToken);

    /// <summary>Waits until the job ends, following its event stream (no polling) and reporting each status on the way.</summary>
    /// <param name="progress">Told each status as the job progresses, the final one included.</param>
    /// <param name="cancellationToken">Stops waiting (not the job).</param>
    /// <returns>The final status, also in <see cref="Value"/>.</returns>
    /// <exception cref="FaceSwapNotFoundException">There is no such job.</exception>
    public virtual async Task<JobStatus> WaitForCompletionAsync(IProgress<JobStatus>? progress, CancellationToken cancellationToken = default)
    {
        if (HasCompleted)
        {
            progress?.Report(latest!);
            return latest!;
        }

        await foreach (var jobEvent in Client.WatchAsync(Id, includeImages: false, lastEventId: null, cancellationToken).ConfigureAwait(false))
        {
            if (jobEvent.Status is not { } status)
            {
                continue;
            }

            latest = status;
            progress?.Report(status);
            if (jobEvent.Kind == JobEventKind.Done)
            {
                return status;
            }
        }

        throw new InvalidOperationException($"The event stream of job '{Id}' ended without a done event.");
    }

    private FaceSwapClient Client => client ?? throw new InvalidOperationException("A mocked operation has no client; set up the member being called.");
}
