using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;

namespace FaceSwap.Grains.Safety;

/// <summary>One way a job breaks the <see cref="JobPolicy"/>.</summary>
/// <param name="Code">One of <see cref="JobRefusalCodes"/>.</param>
/// <param name="Field">The field at fault, as the REST API names it.</param>
/// <param name="Message">What is wrong, for people.</param>
public sealed record JobRefusal(string Code, string Field, string Message)
{
    /// <summary>The refusal as the exception the BatchGrain throws.</summary>
    public JobRefusedException ToException() => new(Code, Field, Message);
}

/// <summary>
/// What every job must carry on a host: who submitted it, a consent reference for the source face (unless the host
/// turned that off), the invisible watermark (unless the host allows it off) and a pixel limit within the host's.
/// The BatchGrain enforces it on every spec, so no way into the cluster bypasses it; the REST API and blob drops check
/// it first too, to answer with a 400 naming the field.
/// </summary>
/// <param name="RequireConsent">FaceSwap:Safety:RequireConsent.</param>
/// <param name="AllowWatermarkOff">FaceSwap:Safety:AllowWatermarkOff.</param>
/// <param name="MaxPixels">FaceSwap:MaxPixels, the host's pixel limit.</param>
public sealed record JobPolicy(bool RequireConsent, bool AllowWatermarkOff, long MaxPixels)
{
    /// <summary>The policy of a silo's settings.</summary>
    public static JobPolicy Of(FaceSwapSiloOptions options) =>
        new(options.Safety.RequireConsent, options.Safety.AllowWatermarkOff, options.MaxPixels) { AuditPrefix = options.Safety.AuditPrefix };

    /// <summary>FaceSwap:Safety:AuditPrefix: its container is the host's state area, where no job writes (<see cref="OutputPlacement"/>).</summary>
    public string? AuditPrefix { get; init; }

    /// <summary>
    /// A request's options with the host's limit in place of the default pixel limit when the host's is lower (the
    /// default means "as large as this host allows"; an explicit larger value is refused by <see cref="Check"/>).
    /// </summary>
    public JobOptions Defaults(JobOptions options) =>
        options.MaxPixels == JobOptions.DefaultMaxPixels && MaxPixels < JobOptions.DefaultMaxPixels ? options with { MaxPixels = MaxPixels } : options;

    /// <summary>Every way the job breaks the policy; none for a job that meets it.</summary>
    public IEnumerable<JobRefusal> Check(string? submittedBy, string? consentReference, JobOptions options)
    {
        if (string.IsNullOrWhiteSpace(submittedBy))
        {
            yield return new JobRefusal(JobRefusalCodes.SubmitterRequired, "submittedBy", "is required: every job records who submitted it");
        }

        if (RequireConsent && string.IsNullOrWhiteSpace(consentReference))
        {
            yield return new JobRefusal(JobRefusalCodes.ConsentRequired, "consentReference",
                "is required: a reference to the consent on record for the source face (this host sets FaceSwap:Safety:RequireConsent)");
        }

        if (!options.Watermark && !AllowWatermarkOff)
        {
            yield return new JobRefusal(JobRefusalCodes.WatermarkRequired, "options.watermark",
                "cannot be turned off on this host: every output carries the invisible watermark (FaceSwap:Safety:AllowWatermarkOff is not set)");
        }

        if (options.MaxPixels < 1 || options.MaxPixels > MaxPixels)
        {
            yield return new JobRefusal(JobRefusalCodes.MaxPixelsOutOfRange, "options.maxPixels",
                $"must be between 1 and {MaxPixels} (this host's limit, FaceSwap:MaxPixels)");
        }
    }

    /// <summary>Throws the first way a spec breaks the policy.</summary>
    /// <exception cref="JobRefusedException">The spec breaks the policy.</exception>
    public void Enforce(JobSpec spec)
    {
        if (Check(spec.SubmittedBy, spec.ConsentReference, spec.Options).FirstOrDefault() is { } refusal)
        {
            throw refusal.ToException();
        }
    }
}
