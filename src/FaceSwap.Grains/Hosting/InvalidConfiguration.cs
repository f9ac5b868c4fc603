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

    /// <summary>
    /// Runs the checks a host makes as it starts (every <c>ValidateOnStart</c> options type), before it starts: a refused
    /// setting is then one line for the operator rather than a start-up crash the host logs with its stack trace.
    /// </summary>
    /// <exception cref="InvalidConfigurationException">A setting is missing, out of range or contradicts another.</exception>
    public static void ThrowIfAny(IServiceProvider services)
    {
        try
        {
            (services.GetService(typeof(IStartupValidator)) as IStartupValidator)?.Validate();
        }
        catch (Exception e) when (OneLine(e) is { } line)
        {
            throw new InvalidConfigurationException(line, e);
        }
    }

    /// <summary>"invalid configuration: PROBLEM; PROBLEM" when <paramref name="error"/> is the options system's refusal; otherwise null.</summary>
    public static string? OneLine(Exception error) =>
        Problems(error) is { } problems ? "invalid configuration: " + string.Join("; ", problems.Select(p => p.ReplaceLineEndings(" "))) : null;
}

/// <summary>A host's settings are missing, out of range or contradict each other; the message is one line naming each.</summary>
public sealed class InvalidConfigurationException(string message, Exception inner) : Exception(message, inner);
