namespace FaceSwap.Abstractions.Jobs;

/// <summary>
/// A job spec that breaks the job policy, refused by the BatchGrain itself: whoever calls it (the REST API, a blob
/// drop, the CLI or a cluster client on the gateway) gets this, and no job is created.
/// </summary>
[GenerateSerializer, Alias("FaceSwap.JobRefusedException")]
public sealed class JobRefusedException : Exception
{
    /// <summary>For serialization.</summary>
    public JobRefusedException()
    {
    }

    /// <summary>A refusal with its code, the spec field at fault and a message for people.</summary>
    public JobRefusedException(string code, string field, string message)
        : base(message)
    {
        Code = code;
        Field = field;
    }

    /// <summary>One of <see cref="JobRefusalCodes"/>.</summary>
    [Id(0)] public string Code { get; private set; } = "";

    /// <summary>The field at fault, as the REST API names it (submittedBy, consentReference, options.watermark, options.maxPixels, output).</summary>
    [Id(1)] public string Field { get; private set; } = "";
}
