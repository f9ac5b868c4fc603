using System.Text.Json;
using System.Text.Json.Serialization;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;

namespace FaceSwap.Grains.BlobDrop;

/// <summary>
/// The <c>faceswap.json</c> a user drops beside the photos. <see cref="Source"/> is a storage path
/// (<c>faces/anna.jpg</c>) or, starting with <c>./</c>, a path relative to the manifest's folder; so are the paths of
/// <c>options.references</c>.
/// </summary>
public sealed record DropManifest
{
    /// <summary>The image holding the source face.</summary>
    public string? Source { get; init; }

    /// <summary>Several sources (images or folder prefixes ending in '/'), paths as for <see cref="Source"/>; see <see cref="SubmitJobRequest.Sources"/>.</summary>
    public IReadOnlyList<string>? Sources { get; init; }

    /// <summary>The output prefix; default: the drop's folder in the outbox container.</summary>
    public string? Output { get; init; }

    /// <summary>Job options; members left out keep their defaults.</summary>
    public JobOptions? Options { get; init; }

    /// <summary>A reference to the consent on record for the source face.</summary>
    public string? ConsentReference { get; init; }

    /// <summary>The largest manifest read.</summary>
    public const int MaxBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Strict = new(FaceSwapJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>Parses a manifest strictly (unknown members are errors); the error names the member at fault.</summary>
    public static DropManifest Parse(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize<DropManifest>(json, Strict) ?? throw new FormatException("the manifest is JSON null, not an object");
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at '{e.Path.TrimStart('$', '.')}'";
            var what = UnknownMembers.At(Strict, typeof(DropManifest), e.Path)
                ? "an unknown member"
                : e.Path is null or "$" ? $"invalid JSON (line {e.LineNumber + 1})" : "a value of the wrong type";
            throw new FormatException($"the manifest has {what}{where}", e);
        }
    }
}
