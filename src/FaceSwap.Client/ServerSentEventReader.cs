using System.Globalization;
using System.Text;

namespace FaceSwap.Client;

/// <summary>One dispatched server-sent event.</summary>
/// <param name="Name">The event type ("message" when the server named none).</param>
/// <param name="Id">The last event id in force when it was dispatched (null when the server never sent one).</param>
/// <param name="Data">The data lines, joined with '\n'.</param>
internal sealed record ServerSentEvent(string Name, string? Id, string Data);

/// <summary>
/// Reads <c>text/event-stream</c> as the HTML standard defines it: lines end in CR, LF or CRLF; <c>field: value</c>
/// lines (one optional space after the colon); a blank line dispatches the event; lines starting with ':' are comments;
/// an event cut off by the end of the stream is dropped, never half-dispatched.
/// </summary>
internal sealed class ServerSentEventReader(Stream stream)
{
    private readonly StreamReader reader = new(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false);
    private readonly StringBuilder data = new();
    private string? eventName;
    private string? lastEventId;
    private bool first = true;

    /// <summary>The reconnection time the server asked for with a <c>retry:</c> field, if it did.</summary>
    public TimeSpan? Retry { get; private set; }

    /// <summary>Called whenever anything arrives (a line, even a comment): proof the connection is alive.</summary>
    public Action? Alive { get; init; }

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<ServerSentEvent?> ReadAsync(CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            Alive?.Invoke();
            if (first)
            {
                // A leading byte order mark is not part of the first field name.
                first = false;
                line = line.TrimStart('\uFEFF');
            }

            if (line.Length == 0)
            {
                if (Dispatch() is { } dispatched)
                {
                    return dispatched;
                }

                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "event":
                    eventName = value;
                    break;
                case "data":
                    data.Append(value).Append('\n');
                    break;
                case "id" when !value.Contains('\0', StringComparison.Ordinal):
                    lastEventId = value;
                    break;
                case "retry" when value.Length > 0 && value.All(char.IsAsciiDigit)
                                  && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds):
                    Retry = TimeSpan.FromMilliseconds(milliseconds);
                    break;
            }
        }

        return null;
    }

    private ServerSentEvent? Dispatch()
    {
        if (data.Length == 0)
        {
            eventName = null;
            return null;
        }

        var text = data.ToString(0, data.Length - 1);
        var dispatched = new ServerSentEvent(string.IsNullOrEmpty(eventName) ? "message" : eventName, lastEventId, text);
        data.Clear();
        eventName = null;
        return dispatched;
    }
}
