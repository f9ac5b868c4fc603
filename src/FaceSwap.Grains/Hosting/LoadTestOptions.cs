namespace FaceSwap.Grains.Hosting;

/// <summary>
/// Load-testing settings of a silo: a tool for measuring the coordination layer (`faceswap bench --engine null`),
/// never for jobs whose outputs matter.
/// </summary>
public sealed class LoadTestOptions
{
    /// <summary>The engine value that selects the null engine.</summary>
    public const string NullEngine = "null";

    /// <summary>
    /// Null for the real face engine; <see cref="NullEngine"/> for an engine that does no imaging: per image it does the
    /// output skip check, waits <see cref="EngineDelayMs"/>, writes a placeholder output with its metadata and
    /// returns an ok outcome with fixed figures.
    /// </summary>
    public string? Engine { get; set; }

    /// <summary>Null engine: milliseconds each image holds one of the silo's pipelines (0: none), to stand in for a model.</summary>
    public int EngineDelayMs { get; set; }

    /// <summary>Whether the null engine is selected.</summary>
    public bool UsesNullEngine => string.Equals(Engine, NullEngine, StringComparison.Ordinal);
}
