namespace FaceSwap.Abstractions.Jobs;

/// <summary>What a job does with several sources (<see cref="JobSpec.Sources"/>).</summary>
public enum SourcesMode
{
    /// <summary>The sources are photos of one person: per target face, the one whose head pose is closest is used.</summary>
    Set,

    /// <summary>
    /// Matrix job: every source (an image, or a folder of images of one person) against every target; outputs go to
    /// OUT/&lt;source-name&gt;/&lt;mirrored path&gt;.
    /// </summary>
    Each,
}
