using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;

namespace FaceSwap.Storage.Queues;

/// <summary>Reads the blob paths of BlobCreated events from a queue message (Event Grid or CloudEvents schema, raw or base64).</summary>
public static class BlobCreatedEvents
{
    private const string BlobCreated = "Microsoft.Storage.BlobCreated";

    /// <summary>The <c>container/name</c> paths of the BlobCreated events in a message; other event types give none.</summary>
    /// <exception cref="FormatException">The message is not an event.</exception>
    public static IReadOnlyList<string> ManifestPaths(BinaryData body)
    {
        var json = Decode(body);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FormatException("the message is not JSON", e);
        }

        var first = root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 ? root[0] : root;
        if (first.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the message holds no event object");
        }

        var subjects = new List<(string Type, string? Subject)>();
        try
        {
            if (first.TryGetProperty("specversion", out _))
            {
                subjects.AddRange(CloudEvent.ParseMany(json).Select(e => (e.Type, e.Subject)));
            }
            else
            {
                subjects.AddRange(EventGridEvent.ParseMany(json).Select(e => (e.EventType, (string?)e.Subject)));
            }
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException)
        {
            throw new FormatException(e.Message, e);
        }

        return subjects.Where(s => s.Type == BlobCreated).Select(s => PathOf(s.Subject)).ToList();
    }

    /// <summary>"/blobServices/default/containers/inbox/blobs/a/b/faceswap.json" to "inbox/a/b/faceswap.json".</summary>
    private static string PathOf(string? subject)
    {
        const string containers = "/containers/", blobs = "/blobs/";
        var c = subject?.IndexOf(containers, StringComparison.Ordinal) ?? -1;
        var b = c < 0 ? -1 : subject!.IndexOf(blobs, c + containers.Length, StringComparison.Ordinal);
        if (b < 0)
        {
            throw new FormatException($"the event's subject '{subject}' names no container and blob");
        }

        return subject![(c + containers.Length)..b] + "/" + subject[(b + blobs.Length)..];
    }

    /// <summary>Event Grid writes the event JSON as the message text; tools that base64-encode messages are accepted too.</summary>
    private static BinaryData Decode(BinaryData body)
    {
        var text = body.ToString().Trim();
        if (text.StartsWith('{') || text.StartsWith('['))
        {
            return BinaryData.FromString(text);
        }

        try
        {
            return BinaryData.FromBytes(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            throw new FormatException("the message is neither JSON nor base64-encoded JSON");
        }
    }
}
