namespace FaceSwap.Grains.Placement;

/// <summary>What a silo is for, carried in Orleans silo metadata under <see cref="MetadataKey"/>.</summary>
public static class SiloRoles
{
    /// <summary>The silo metadata key holding the role.</summary>
    public const string MetadataKey = "role";

    /// <summary>API, web page and BatchGrains; never runs the engine.</summary>
    public const string Api = "api";

    /// <summary>Runs the engine (models loaded, GPU or configured as inference).</summary>
    public const string Inference = "inference";

    /// <summary>Both: the embedded single-silo mode.</summary>
    public const string Both = "both";

    /// <summary>Whether a role runs the engine.</summary>
    public static bool RunsInference(string? role) => role is Inference or Both;

    /// <summary>Whether a role runs the API side: BatchGrains, the job index and the blob-drop trigger.</summary>
    public static bool RunsApi(string? role) => role is Api or Both;

    /// <summary>Validates a configured role.</summary>
    /// <exception cref="ArgumentException">The role is none of api, inference and both.</exception>
    public static string Parse(string? role) => TryParse(role, out var parsed)
        ? parsed
        : throw new ArgumentException($"unknown silo role '{role?.Trim().ToLowerInvariant()}': use api, inference or both");

    /// <summary>The configured role in its normal form (empty: both); false when it is none of the roles.</summary>
    public static bool TryParse(string? role, out string parsed)
    {
        parsed = role?.Trim().ToLowerInvariant() switch
        {
            null or "" or Both => Both,
            Api => Api,
            Inference => Inference,
            _ => "",
        };
        return parsed.Length > 0;
    }
}
