using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Xunit;

namespace FaceSwap.Testing;

/// <summary>
/// Starts a private Azurite (blob, queue and table emulator) on free loopback ports for a test collection, and stops it
/// (process tree and data folder) on dispose. Azurite is installed once per repository into <c>.tools/azurite</c>
/// (see <see cref="AzuriteInstaller"/> and <c>scripts/azurite.sh</c>).
/// </summary>
/// <remarks>
/// Use it as a collection fixture, defined in the test assembly (xunit requires that):
/// <code>
/// [CollectionDefinition(AzuriteFixture.CollectionName)]
/// public sealed class AzuriteCollection : ICollectionFixture&lt;AzuriteFixture&gt;;
///
/// [Collection(AzuriteFixture.CollectionName), Trait("Category", "Azurite")]
/// public sealed class MyTests(AzuriteFixture azurite) { ... azurite.ConnectionString ... }
/// </code>
/// Needs Node.js (node and npm on PATH). On Linux and macOS a small watchdog stops Azurite if the test process dies
/// without disposing the fixture.
/// </remarks>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>A conventional collection name for tests that share one Azurite.</summary>
    public const string CollectionName = "Azurite";

    /// <summary>The emulator's well-known account name.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The emulator's well-known account key (public, documented by Microsoft; not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const string WatchdogScript =
        """
        parent=$1; shift
        "$@" &
        child=$!
        trap 'kill $child 2>/dev/null; exit 0' TERM INT HUP
        while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
        kill $child 2>/dev/null
        wait $child
        """;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> output = new();
    private readonly ConcurrentQueue<string> requests = new();

    /// <summary>Whether Azurite keeps its access log (set before <see cref="InitializeAsync"/>): see <see cref="Requests"/>.</summary>
    public bool LogRequests { get; init; }

    /// <summary>
    /// With request logging: every request so far as Azurite's access log writes it, e.g.
    /// <c>127.0.0.1 - - [date] "PUT /devstoreaccount1/container/name HTTP/1.1" 201 -</c>: the storage's own count of uploads.
    /// </summary>
    public IReadOnlyCollection<string> Requests => requests;
    private Process? process;
    private string? dataDirectory;

    /// <summary>The blob service port.</summary>
    public int BlobPort { get; private set; }

    /// <summary>The queue service port.</summary>
    public int QueuePort { get; private set; }

    /// <summary>The table service port.</summary>
    public int TablePort { get; private set; }

    /// <summary>The blob service endpoint, account included.</summary>
    public Uri BlobEndpoint => new($"http://127.0.0.1:{BlobPort}/{AccountName}");

    /// <summary>The queue service endpoint, account included.</summary>
    public Uri QueueEndpoint => new($"http://127.0.0.1:{QueuePort}/{AccountName}");

    /// <summary>The table service endpoint, account included.</summary>
    public Uri TableEndpoint => new($"http://127.0.0.1:{TablePort}/{AccountName}");

    /// <summary>A connection string with the well-known key and explicit endpoints, for the Azure SDK clients.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};";

    /// <summary>How long the last start took, installation excluded.</summary>
    public TimeSpan StartDuration { get; private set; }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var entry = await AzuriteInstaller.EnsureInstalledAsync().ConfigureAwait(false);
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync(entry).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException) when (attempt < attempts)
            {
                // Most likely a port was taken between choosing and binding it: try again with fresh ports.
                await StopAsync().ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public Task DisposeAsync() => StopAsync();

    private async Task StartAsync(string entry)
    {
        var stopwatch = Stopwatch.StartNew();
        var ports = FreePorts.Get(3);
        (BlobPort, QueuePort, TablePort) = (ports[0], ports[1], ports[2]);
        this.dataDirectory = Path.Join(Path.GetTempPath(), $"faceswap-azurite-{Guid.NewGuid():N}");
        Directory.CreateDirectory(this.dataDirectory);
        output.Clear();

        string[] azuriteArguments =
        [
            entry,
            "--skipApiVersionCheck", "--disableTelemetry",
            "--location", this.dataDirectory,
            "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];

        if (!LogRequests)
        {
            azuriteArguments = [.. azuriteArguments, "--silent"];
        }

        var startInfo = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = this.dataDirectory,
        };
        if (OperatingSystem.IsWindows())
        {
            startInfo.FileName = "node";
        }
        else
        {
            startInfo.FileName = "/bin/sh";
            startInfo.ArgumentList.Add("-c");
            startInfo.ArgumentList.Add(WatchdogScript);
            startInfo.ArgumentList.Add("azurite-watchdog");
            startInfo.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            startInfo.ArgumentList.Add("node");
        }

        foreach (var argument in azuriteArguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Cannot start Azurite with '{startInfo.FileName}': {ex.Message}. Is Node.js installed and on PATH?", ex);
        }

        this.process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(StartTimeout);
        foreach (var port in ports)
        {
            while (!await AnswersAsync(port, timeout.Token).ConfigureAwait(false))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} while starting. Output:{Environment.NewLine}{string.Join(Environment.NewLine, output)}");
                }

                if (timeout.IsCancellationRequested)
                {
                    throw new TimeoutException($"Azurite did not answer on port {port} within {StartTimeout.TotalSeconds} s. Output:{Environment.NewLine}{string.Join(Environment.NewLine, output)}");
                }

                await Task.Delay(25, CancellationToken.None).ConfigureAwait(false);
            }
        }

        StartDuration = stopwatch.Elapsed;
    }

    private async Task StopAsync()
    {
        var process = Interlocked.Exchange(ref this.process, null);
        if (process is not null)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
                // Already gone, or refusing to die within the wait: nothing more a test can do.
            }
            finally
            {
                process.Dispose();
            }
        }

        var dataDirectory = Interlocked.Exchange(ref this.dataDirectory, null);
        if (dataDirectory is not null)
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort.
            }
        }
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (LogRequests && line.Contains(" HTTP/1.1\" ", StringComparison.Ordinal))
        {
            requests.Enqueue(line);
            return;
        }

        output.Enqueue(line);
        while (output.Count > 50 && output.TryDequeue(out _))
        {
        }
    }

    private static async Task<bool> AnswersAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
