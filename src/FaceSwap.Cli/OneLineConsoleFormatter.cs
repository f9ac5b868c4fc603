using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace FaceSwap.Cli;

/// <summary>
/// The log format of the CLI's in-process silo: one line per entry, the exception's type and message but no stack
/// trace (set FACESWAP_DEBUG=1 for traces), so a failure the command reports on its own line is not buried under one.
/// </summary>
public sealed class OneLineConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    /// <summary>The formatter's name in ConsoleLoggerOptions.FormatterName.</summary>
    public const string FormatterName = "faceswap-one-line";

    private static readonly bool Debug = Environment.GetEnvironmentVariable("FACESWAP_DEBUG") is "1" or "true";

    /// <inheritdoc />
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        var exception = logEntry.Exception;
        var level = logEntry.LogLevel switch
        {
            LogLevel.Critical => "crit",
            LogLevel.Error => "fail",
            LogLevel.Warning => "warn",
            LogLevel.Information => "info",
            _ => "dbug",
        };
        var line = $"{level}: {logEntry.Category}: {message}";
        if (exception is not null)
        {
            line += Debug ? Environment.NewLine + exception : $" ({exception.GetType().Name}: {exception.Message})";
        }

        textWriter.WriteLine(Debug ? line : line.ReplaceLineEndings(" "));
    }
}
