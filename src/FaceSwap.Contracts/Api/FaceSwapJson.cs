using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Abstractions.Api;

/// <summary>The JSON form of the REST API's bodies, shared by the server and the client SDK.</summary>
public static class FaceSwapJson
{
    /// <summary>camelCase names, enums as snake_case strings ("no_face"), nulls left out; unknown members ignored.</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the API's conventions to <paramref name="options"/> (e.g. ASP.NET Core's own options).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;

        // Readable quotes and non-ASCII names in status files and responses; these are JSON documents, never HTML.
        options.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        return options;
    }
}
