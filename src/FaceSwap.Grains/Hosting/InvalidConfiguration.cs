using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.Hosting;

/// <summary>
/// What a host that refused to start because of its settings tells its operator: one line, every problem named
/// (the options system reports one <see cref="OptionsValidationException"/> per options type, several in an aggregate).
/// </summary>
public static class InvalidConfiguration
{
    /// <summary>The settings' problems when <paramref name="error"/> is the options system's refusal; otherwise null.</summary>
    public static IReadOnlyList<string>? Problems(Exception error) => error switch
    {
        OptionsValidationException invalid => [.. invalid.Failures],
        AggregateException { InnerExceptions.Count: > 0 } all when all.InnerExceptions.All(e => e is OptionsValidationException)
            => [.. all.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures)],
        _ => null,
    };

    /// <summary>"invalid configuration: PROBLEM; PROBLEM" when <paramref name="error"/> is the options system's refusal; otherwise null.</summary>
    public static string? OneLine(Exception error) =>
        Problems(error) is { } problems ? "invalid configuration: " + string.Join("; ", problems.Select(p => p.ReplaceLineEndings(" "))) : null;
}
