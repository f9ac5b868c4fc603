using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// The lifecycle of a job's start while its sources are checked on an inference silo, which for a matrix of many
/// source photos can outlast a grain call: one check at a time (a second start joins it), the caller answered when it
/// ends within <see cref="AnswerWithin"/> and otherwise told "pending", and a failure that no caller is left to hear
/// handed to the job to record. One per job activation; used on the grain's single thread.
/// </summary>
public sealed class PendingSourceCheck
{
    /// <summary>What a job's status says while its sources are checked.</summary>
    public const string Notice = "checking the source faces; the job starts when they pass";

    private static readonly TimeSpan LongestAnswer = TimeSpan.FromSeconds(20);

    /// <summary>The check and start in progress, if any; a second start meanwhile joins it.</summary>
    private Task? starting;

    /// <summary>A caller was answered "pending" for the check in progress: nobody is left to hear how it ends.</summary>
    private bool answeredPending;

    /// <summary>The spec whose sources are being checked (not persisted yet); null when no check is in progress.</summary>
    public JobSpec? Checking { get; private set; }

    /// <summary>When the check in progress (or the last one) began.</summary>
    public DateTimeOffset Since { get; private set; }

    /// <summary>Half the silo's grain call timeout, at most <see cref="LongestAnswer"/>: the caller's call never times out.</summary>
    public static TimeSpan AnswerWithin(TimeSpan callTimeout) => TimeSpan.FromTicks(Math.Min(LongestAnswer.Ticks, callTimeout.Ticks / 2));

    /// <summary>
    /// The code of a start that failed after its caller was answered: the code a caller waiting for the start would have
    /// had from the API (unavailable for no inference silo or no audit log), so a poller sees why without reading the text.
    /// </summary>
    public static string FailureCode(Exception failure) => failure switch
    {
        IOException => JobErrorCodes.StorageError,
        InvalidOperationException or OrleansException or TimeoutException => ErrorCodes.Unavailable,
        _ => ErrorCodes.ServerError,
    };

    /// <summary>
    /// Starts <paramref name="checkAndStart"/> for <paramref name="spec"/>, or joins the one in progress, and waits for it
    /// at most <paramref name="answerWithin"/>: finished in time, its outcome (a refusal or an error included) is the
    /// caller's; otherwise the caller is answered "pending", and a later failure goes to <paramref name="unheard"/>.
    /// </summary>
    public async Task RunAsync(JobSpec spec, TimeSpan answerWithin, Func<JobSpec, Task> checkAndStart, Func<JobSpec, Exception, Task> unheard)
    {
        var run = starting ??= InBackgroundAsync(spec, checkAndStart, unheard);
        if (await Task.WhenAny(run, Task.Delay(answerWithin)) == run)
        {
            // Finished in time: the caller gets the outcome itself, a refusal or an error included.
            await run;
        }
        else
        {
            answeredPending = true;
        }
    }

    private async Task InBackgroundAsync(JobSpec spec, Func<JobSpec, Task> checkAndStart, Func<JobSpec, Exception, Task> unheard)
    {
        Checking = spec;
        Since = DateTimeOffset.UtcNow;
        answeredPending = false;
        try
        {
            await checkAndStart(spec);
        }
        catch (Exception e) when (answeredPending && e is not OutOfMemoryException)
        {
            // No caller waits for the answer any more: the job records why it could not start instead.
            await unheard(spec, e);
        }
        finally
        {
            Checking = null;
            starting = null;
        }
    }
}
