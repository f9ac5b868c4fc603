using System.Diagnostics;
using System.Text;

namespace FaceSwap.Silo.Tests;

/// <summary>The silo host (FaceSwap.Silo.dll) as a separate process, configured only through environment variables.</summary>
public sealed class SiloProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private SiloProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Everything the process printed so far.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Whether it has exited, and with which code.</summary>
    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    /// <summary>Starts FaceSwap.Silo.dll with exactly <paramref name="environment"/> as its FaceSwap settings.</summary>
    public static SiloProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FaceSwap.Silo.dll"));
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("FaceSwap__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("FACESWAP", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__FaceSwap"] = "Information";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new SiloProcess(Process.Start(start)!);
    }

    /// <summary>Waits for the process to exit (for startup-error tests).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Kills the process tree at once, as a lost machine would.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    /// <summary>
    /// The settings of one silo of a cluster on Azurite (Azure Table clustering, blob grain storage) on loopback, in the
    /// documented schema, with one admin key (<see cref="ApiHost.AdminKey"/>).
    /// </summary>
    public static Dictionary<string, string> ClusterSettings(string connectionString, string cluster, string role, string name, int httpPort) => new()
    {
        ["FaceSwap__Role"] = role,
        ["FaceSwap__Storage"] = connectionString,
        ["FaceSwap__ModelsPath"] = FaceSwap.Engine.Tests.TestAssets.Models.Path,
        ["FaceSwap__Concurrency"] = "1",
        ["FaceSwap__Drop__WatchSeconds"] = "0",
        ["FaceSwap__Host__Clustering"] = "azure-table",
        ["FaceSwap__Host__ClusterId"] = cluster,
        ["FaceSwap__Host__ServiceId"] = cluster,
        ["FaceSwap__Host__SiloName"] = name,
        ["FaceSwap__Host__AdvertisedAddress"] = "127.0.0.1",
        ["FaceSwap__Host__SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FaceSwap__Host__GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Api__Keys__0__Name"] = "ops",
        ["Api__Keys__0__Role"] = "admin",
        ["Api__Keys__0__Sha256"] = FaceSwap.Silo.Api.Security.ApiKeyOptions.Hash(ApiHost.AdminKey),
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
    };

    /// <summary>Tries <paramref name="attempt"/> every half second until it gives a value; a host not listening yet is tried again.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> attempt, TimeSpan timeout, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await attempt() is { } value)
                {
                    return value;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                // Not listening yet, or busy.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("gave up waiting; process output:\n" + diagnostics());
            }

            await Task.Delay(500);
        }
    }

    /// <summary>A free loopback port.</summary>
    public static int FreePort() => FaceSwap.Testing.FreePorts.Get(1)[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
