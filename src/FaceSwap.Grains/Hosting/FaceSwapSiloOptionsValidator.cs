using FaceSwap.Grains.Placement;
using FaceSwap.Storage;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.Hosting;

/// <summary>
/// Checks <see cref="FaceSwapSiloOptions"/> when a silo starts, whoever starts it (a served host, `faceswap run`, bench,
/// tests): every failure is one line naming the setting. Values the silo would take as given and run out of memory or
/// threads with (FaceSwap:Concurrency 100000) are out of range here.
/// </summary>
public sealed class FaceSwapSiloOptionsValidator : IValidateOptions<FaceSwapSiloOptions>
{
    private const string StorageForms = "set local:/folder, a storage connection string, or https://<account>.blob.core.windows.net";

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FaceSwapSiloOptions options)
    {
        var problems = new List<string>();
        var storage = StorageProblem(options.Storage, out var setting);
        if (storage is not null)
        {
            problems.Add(storage);
        }

        if (!SiloRoles.TryParse(options.Role, out _))
        {
            problems.Add($"{FaceSwapSiloOptions.Section}:Role: unknown silo role '{options.Role}': use api, inference or both");
        }

        problems.AddRange(RangeProblems(options));
        if (options.MaxPixels < 1)
        {
            problems.Add($"{FaceSwapSiloOptions.Section}:MaxPixels {options.MaxPixels} is not a pixel limit: it must be 1 or more (default 64000000)");
        }

        if (!string.IsNullOrWhiteSpace(options.Drop.Queue) && setting is { IsLocal: true })
        {
            problems.Add($"{FaceSwapSiloOptions.Section}:Drop:Queue is set but {FaceSwapSiloOptions.Section}:Storage is a local folder: a queue needs a storage account (local folders use the watcher)");
        }

        return problems.Count > 0 ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    private static string? StorageProblem(string? value, out StorageSetting? setting)
    {
        setting = null;
        var storage = value?.Trim() ?? "";
        if (storage.Length == 0)
        {
            return $"{FaceSwapSiloOptions.Section}:Storage is missing: {StorageForms}";
        }

        if (storage.Equals("local:", StringComparison.OrdinalIgnoreCase))
        {
            return $"{FaceSwapSiloOptions.Section}:Storage 'local:' names no folder: {StorageForms}";
        }

        if (!StorageSetting.TryParse(storage, out var parsed, out _))
        {
            return $"{FaceSwapSiloOptions.Section}:Storage is not understood: {StorageForms}";
        }

        setting = parsed;
        return null;
    }

    private static List<string> RangeProblems(FaceSwapSiloOptions options)
    {
        var problems = new List<string>();
        void Check(string name, double value, double min, double max)
        {
            if (!(value >= min && value <= max))
            {
                problems.Add(FormattableString.Invariant($"{FaceSwapSiloOptions.Section}:{name} {value} is out of range: it must be {min} to {max}"));
            }
        }

        Check(nameof(options.Concurrency), options.Concurrency, 0, FaceSwapSiloOptions.MaxConcurrency);
        Check(nameof(options.Prefetch), options.Prefetch, 1, FaceSwapSiloOptions.MaxPrefetch);
        Check(nameof(options.ModelBatch), options.ModelBatch, 1, 256);
        Check(nameof(options.ModelBatchWaitMs), options.ModelBatchWaitMs, 0, 1000);
        Check(nameof(options.IntraOpThreads), options.IntraOpThreads, 0, FaceSwapSiloOptions.MaxConcurrency);
        Check(nameof(options.RepeatImageCacheEntries), options.RepeatImageCacheEntries, 0, 4096);
        return problems;
    }
}
