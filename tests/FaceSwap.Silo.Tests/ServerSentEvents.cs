using System.Text;

namespace FaceSwap.Silo.Tests;

/// <summary>One server-sent event as it came over the wire.</summary>
public sealed record SseEvent(string Name, string? Id, string Data);

/// <summary>A minimal text/event-stream reader, so API tests check the wire format itself rather than a client's view of it.</summary>
public static class ServerSentEvents
{
    /// <summary>Reads events from an open response until the stream ends or <paramref name="stop"/> says so.</summary>
    public static async Task<List<SseEvent>> ReadAsync(HttpResponseMessage response, Func<SseEvent, bool> stop, CancellationToken cancellationToken)
    {
        var events = new List<SseEvent>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        string? name = null, id = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null || data.Length > 0)
                {
                    var e = new SseEvent(name ?? "message", id, data.ToString());
                    events.Add(e);
                    if (stop(e))
                    {
                        return events;
                    }
                }

                name = null;
                data.Clear();
                continue;
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event": name = value; break;
                case "id": id = value; break;
                case "data": data.Append(data.Length > 0 ? "\n" : "").Append(value); break;
            }
        }

        return events;
    }
}
