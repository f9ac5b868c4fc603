using System.Diagnostics;
using System.Text.Json;

namespace FaceSwap.Testing;

/// <summary>
/// Installs Azurite from npm into the repository's ignored <c>.tools/azurite</c> folder, once: the same install as
/// <c>scripts/azurite.sh</c>, guarded by the same lock file, so parallel test projects and a CI pre-install never
/// install at the same time.
/// </summary>
public static class AzuriteInstaller
{
    /// <summary>The Azurite version the tests use.</summary>
    public const string Version = "3.37.0";

    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(10);
    private static readonly SemaphoreSlim InProcess = new(1, 1);

    /// <summary>The repository root: the nearest folder above the test binaries that holds FaceSwap.Orleans.sln.</summary>
    public static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Join(directory.FullName, "FaceSwap.Orleans.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"FaceSwap.Orleans.sln was not found in any folder above '{AppContext.BaseDirectory}'.");
    }

    /// <summary>Installs Azurite if it is missing (or another version) and returns the path of its entry script.</summary>
    public static async Task<string> EnsureInstalledAsync(CancellationToken cancellationToken = default)
    {
        var tools = Path.Join(FindRepositoryRoot(), ".tools");
        var prefix = Path.Join(tools, "azurite");
        var entry = Path.Join(prefix, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (IsInstalled(prefix, entry))
        {
            return entry;
        }

        await InProcess.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(prefix);
            using var fileLock = await AcquireFileLockAsync(Path.Join(tools, "azurite.install.lock"), cancellationToken).ConfigureAwait(false);
            if (!IsInstalled(prefix, entry))
            {
                await RunNpmInstallAsync(prefix, cancellationToken).ConfigureAwait(false);
                if (!IsInstalled(prefix, entry))
                {
                    throw new InvalidOperationException($"npm reported success but '{entry}' (azurite {Version}) is not there.");
                }
            }

            return entry;
        }
        finally
        {
            InProcess.Release();
        }
    }

    private static bool IsInstalled(string prefix, string entry)
    {
        var packageJson = Path.Join(prefix, "node_modules", "azurite", "package.json");
        if (!File.Exists(entry) || !File.Exists(packageJson))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(packageJson));
            return document.RootElement.TryGetProperty("version", out var version) && version.GetString() == Version;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return false;
        }
    }

    /// <summary>An exclusive lock on a file (flock on Unix, the same lock <c>flock(1)</c> in scripts/azurite.sh takes).</summary>
    private static async Task<FileStream> AcquireFileLockAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < LockTimeout)
            {
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task RunNpmInstallAsync(string prefix, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo
        {
            FileName = OperatingSystem.IsWindows() ? "npm.cmd" : "npm",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", $"azurite@{Version}" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException("npm did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Cannot run npm to install Azurite: {ex.Message}. Install Node.js (with npm), or run scripts/azurite.sh.", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"'npm install --prefix {prefix} azurite@{Version}' failed with exit code {process.ExitCode}:{Environment.NewLine}{await stderr.ConfigureAwait(false)}{await stdout.ConfigureAwait(false)}");
            }
        }
    }
}
