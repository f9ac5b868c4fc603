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
    public static string Parse(string? role) => role?.Trim().ToLowerInvariant() switch
    {
        null or "" or Both => Both,
        Api => Api,
        Inference => Inference,
        var other => throw new ArgumentException($"unknown silo role '{other}': use api, inference or both"),
    };
}
