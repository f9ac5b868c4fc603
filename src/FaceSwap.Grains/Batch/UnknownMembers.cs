using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Whether strict reading (unmapped members disallowed) refused a member the type does not have, told from the
/// <see cref="JsonException.Path"/> by following it through the type's JSON contract, never from the message text.
/// </summary>
public static class UnknownMembers
{
    /// <summary>Whether <paramref name="path"/> (e.g. <c>$.options.bachSize</c>) names a member that <paramref name="root"/>'s contract lacks.</summary>
    public static bool At(JsonSerializerOptions options, Type root, string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return false;
        }

        var type = options.GetTypeInfo(root);
        foreach (var segment in path.TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Split('[')[0];
            var property = type.Properties.FirstOrDefault(p => p.Name == name);
            if (property is null)
            {
                return type.Kind == JsonTypeInfoKind.Object;
            }

            type = options.GetTypeInfo(property.PropertyType);
        }

        return false;
    }
}
