namespace FaceSwap.LoadTesting;

/// <summary>The null engine's settings: a tool for measuring the coordination layer, never for jobs whose outputs matter.</summary>
public sealed class NullEngineOptions
{
    /// <summary>Milliseconds each image holds one of the silo's pipelines (0: none), to stand in for a model.</summary>
    public int EngineDelayMs { get; set; }
}
