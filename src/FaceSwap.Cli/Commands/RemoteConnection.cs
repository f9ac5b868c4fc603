using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Client;
using FaceSwap.Engine;
using Polly.Timeout;
using Spectre.Console;

namespace FaceSwap.Cli.Commands;

/// <summary>
/// What every remote command shares: --server and --api-key (or FACESWAP_SERVER and FACESWAP_API_KEY), the SDK client,
/// and the mapping of API errors to one line on stderr and an exit code. The key is never printed.
/// </summary>
public sealed class RemoteConnection
{
    /// <summary>Environment variable with the server's address.</summary>
    public const string ServerVariable = "FACESWAP_SERVER";

    /// <summary>Environment variable with the API key.</summary>
    public const string ApiKeyVariable = "FACESWAP_API_KEY";

    /// <summary>The server when neither --server nor FACESWAP_SERVER says otherwise (what `faceswap serve` listens on).</summary>
    public const string DefaultServer = "http://localhost:5000";

    /// <summary>JSON for --json output: the API's own form, indented.</summary>
    public static readonly JsonSerializerOptions Json = new(FaceSwapJson.Options) { WriteIndented = true };

    /// <summary>--server URL.</summary>
    public Option<string> Server { get; } = new("--server")
    {
        Description = $"The FaceSwap server (default: ${ServerVariable}, else {DefaultServer})",
    };

    /// <summary>--api-key KEY.</summary>
    public Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = $"API key (default: ${ApiKeyVariable}); prefer the variable, so the key stays out of shell history",
    };

    /// <summary>Adds --server and --api-key to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(ApiKey);
    }

    /// <summary>
    /// Runs a remote command's body with a client of the server, turning API and network errors into one clear line on
    /// stderr and an exit code (401/403: <see cref="ExitCodes.Auth"/>, 404: <see cref="ExitCodes.NotFound"/>, 400:
    /// <see cref="ExitCodes.Usage"/>, 422: the unusable-source code of `faceswap run`, unreachable:
    /// <see cref="ExitCodes.Unreachable"/>).
    /// </summary>
    /// <remarks>
    /// Ctrl+C (SIGINT) and SIGTERM cancel the token given to <paramref name="body"/>: System.CommandLine 2.0.0 leaves its
    /// own handling off unless the invocation sets a ProcessTerminationTimeout (dotnet/command-line-api#2739).
    /// </remarks>
    public Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<FaceSwapClient, CancellationToken, Task<int>> body) => CommandRunner.RunAsync(async () =>
    {
        using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupted.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        var server = ServerAddress(parse);
        var key = parse.GetValue(ApiKey);
        if (string.IsNullOrEmpty(key))
        {
            key = Environment.GetEnvironmentVariable(ApiKeyVariable);
        }

        if (string.IsNullOrEmpty(key))
        {
            throw new CliException($"no API key: pass --api-key or set {ApiKeyVariable}", ExitCodes.Auth);
        }

        using var client = new FaceSwapClient(server, key);
        try
        {
            return await body(client, interrupted.Token);
        }
        catch (FaceSwapRequestFailedException e)
        {
            throw new CliException(Describe(e), ExitCodeFor(e));
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the server at {server}: {e.Message}", ExitCodes.Unreachable);
        }
        catch (Exception e) when (e is TimeoutRejectedException || (e is OperationCanceledException && e.InnerException is TimeoutException))
        {
            throw new CliException($"the server at {server} did not answer in time", ExitCodes.Unreachable);
        }
    });

    /// <summary>The exit code for an API error.</summary>
    public static int ExitCodeFor(FaceSwapRequestFailedException e) => e switch
    {
        FaceSwapAuthenticationException or FaceSwapForbiddenException => ExitCodes.Auth,
        FaceSwapNotFoundException => ExitCodes.NotFound,
        FaceSwapValidationException { Status: 422 } => ExitCodes.ForCode(e.ErrorCode),
        FaceSwapValidationException => ExitCodes.Usage,
        _ => ExitCodes.Failure,
    };

    /// <summary>One line for people: the problem's title, detail and each field error, plus a hint for key problems.</summary>
    private static string Describe(FaceSwapRequestFailedException e) => e switch
    {
        FaceSwapAuthenticationException => $"{e.Message}: the server does not accept this API key (check --api-key or {ApiKeyVariable})",
        FaceSwapForbiddenException => $"{e.Message}: this API key's role does not allow it (reading needs read, submitting and cancelling need submit)",
        _ => e.Message,
    };

    private Uri ServerAddress(ParseResult parse)
    {
        var value = parse.GetValue(Server);
        if (string.IsNullOrWhiteSpace(value))
        {
            value = Environment.GetEnvironmentVariable(ServerVariable);
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            value = DefaultServer;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"--server '{value}' is not an http:// or https:// address", ExitCodes.Usage);
        }

        return uri;
    }
}

/// <summary>How remote commands show jobs: progress on stderr while one runs, summaries on stdout.</summary>
public static class RemoteDisplay
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Follows a job over its event stream until it ends, with a progress bar on stderr on a terminal and one plain line
    /// every few seconds otherwise. Ctrl+C stops following; the job goes on on the server.
    /// </summary>
    public static async Task<JobStatus> FollowAsync(FaceSwapClient client, JobStatus status, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var started = DateTime.UtcNow;
        var baseline = status.Counters.Finished;
        try
        {
            if (!console.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
            {
                var lastLine = DateTime.MinValue;
                await foreach (var e in client.WatchAsync(status.JobId, includeImages: false, cancellationToken: cancellationToken))
                {
                    status = e.Status ?? status;
                    if (DateTime.UtcNow - lastLine > PlainInterval || e.Kind == JobEventKind.Done)
                    {
                        Console.Error.WriteLine(Describe(status, started, baseline));
                        lastLine = DateTime.UtcNow;
                    }
                }

                return status;
            }

            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(Markup.Escape(Describe(status, started, baseline)), maxValue: Math.Max(1, status.Counters.Discovered));
                    await foreach (var e in client.WatchAsync(status.JobId, includeImages: false, cancellationToken: cancellationToken))
                    {
                        status = e.Status ?? status;
                        task.MaxValue = Math.Max(1, status.Counters.Discovered);
                        task.Value = status.Counters.Finished;
                        task.Description = Markup.Escape(Describe(status, started, baseline));
                    }
                });
            return status;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"stopped watching; job {status.JobId} goes on on the server (faceswap watch {status.JobId}, faceswap cancel {status.JobId})", ExitCodes.Cancelled);
        }
    }

    /// <summary>Prints the final line of a job on stdout and returns the exit code its state calls for.</summary>
    public static int Finish(JobStatus status)
    {
        Console.WriteLine(Summary(status));
        switch (status.State)
        {
            case JobState.Completed:
                if (status.Counters.Failed > 0)
                {
                    Console.Error.WriteLine($"{status.Counters.Failed} {(status.Counters.Failed == 1 ? "image" : "images")} failed: faceswap results {status.JobId} --status failed; after fixing them: faceswap retry {status.JobId}");
                }

                return ExitCodes.Success;
            case JobState.Cancelled:
                return ExitCodes.Cancelled;
            case JobState.Failed:
                Console.Error.WriteLine($"error: job {status.JobId} could not run: {status.Error}");
                return ExitCodes.ForCode(status.ErrorCode);
            default:
                return ExitCodes.Success;
        }
    }

    /// <summary>"job ID completed: 12 images, 11 swapped (30 faces), 0 without a face, 1 failed, 0 skipped".</summary>
    public static string Summary(JobStatus status)
    {
        var c = status.Counters;
        var of = status.ListingComplete || status.IsTerminal ? $"{c.Discovered}" : $"{c.Discovered}+";
        return $"job {status.JobId} {Wire(status.State)}: {of} images, {c.Ok} swapped ({c.Faces} faces), {c.NoFace} without a face, {c.Failed} failed, {c.Skipped} skipped";
    }

    /// <summary>An enum value as the API writes it ("no_face").</summary>
    public static string Wire<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static string Describe(JobStatus status, DateTime started, long baseline)
    {
        var c = status.Counters;
        var seconds = Math.Max(0.001, (DateTime.UtcNow - started).TotalSeconds);
        var rate = Math.Max(0, c.Finished - baseline) / seconds;
        var remaining = c.Discovered - c.Finished;
        var measured = seconds >= 1;
        var eta = status.ListingComplete && measured && rate > 0 ? TimeSpan.FromSeconds(remaining / rate).ToString(@"hh\:mm\:ss") : "--:--:--";
        var of = status.ListingComplete ? $"{c.Discovered}" : $"{c.Discovered}+";
        return $"{Wire(status.State)}: {c.Finished}/{of} done: {c.Ok} ok, {c.NoFace} no face, {c.Failed} failed, {c.Skipped} skipped | {(measured ? rate.ToString("0.0", CultureInfo.InvariantCulture) : "-")} img/s | ETA {eta}";
    }
}
