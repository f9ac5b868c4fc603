using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Safety;

/// <summary>
/// Where a job may write: never onto its input (the same folder, a folder inside it, a folder holding it, or a symbolic
/// link to any of those, links resolved) and never into the host's state area (the container of the audit log and of
/// local job state, and Orleans' grain-state containers). Checked by the REST API and blob drops (a 400 / rejected
/// manifest naming <c>output</c>), by <c>faceswap run</c> before it starts, and by the BatchGrain for every caller.
/// </summary>
public static class OutputPlacement
{
    /// <summary>How the silo host names Orleans grain-state containers in a storage account ("&lt;service id&gt;-grainstate").</summary>
    private const string GrainStateSuffix = "-grainstate";

    /// <summary>Why the spec's output may not be written to, or null when it may.</summary>
    /// <param name="store">The job's store, whose links are resolved.</param>
    /// <param name="input">The input prefix (ending in '/').</param>
    /// <param name="output">The output prefix (ending in '/').</param>
    /// <param name="auditPrefix">The host's audit-log prefix (FaceSwap:Safety:AuditPrefix); its container is the state area. Null or empty: no audit log.</param>
    /// <exception cref="InvalidBlobPathException">A prefix is malformed or leads out of the store's root.</exception>
    public static JobRefusal? Check(IBlobStore store, string input, string output, string? auditPrefix)
    {
        var realOutput = BlobPrefixes.Resolve(store, output);
        var realInput = BlobPrefixes.Resolve(store, input);
        if (BlobPrefixes.Overlap(realOutput, realInput))
        {
            var how = realOutput == realInput ? "is the input folder"
                : BlobPrefixes.IsWithin(realOutput, realInput) ? "lies inside the input folder"
                : "holds the input folder";
            var links = realOutput != output || realInput != input ? " (symbolic links resolved)" : "";
            return new JobRefusal(JobRefusalCodes.OutputOverlapsInput, "output",
                $"'{output}' {how} '{input}'{links}: outputs would land on the originals; choose a folder apart from the input");
        }

        var container = realOutput.Split('/')[0];
        var stateContainer = string.IsNullOrWhiteSpace(auditPrefix) ? null : auditPrefix.TrimStart('/').Split('/')[0];
        if (realOutput.Length == 0 || container == stateContainer || container.EndsWith(GrainStateSuffix, StringComparison.Ordinal))
        {
            return new JobRefusal(JobRefusalCodes.OutputInStateArea, "output",
                $"'{output}' lies in this host's state area (the audit log and job state{(stateContainer is null ? "" : $", container '{stateContainer}'")}): jobs never write there");
        }

        return null;
    }

    /// <summary>Throws when the spec's output may not be written to.</summary>
    /// <exception cref="JobRefusedException">The output overlaps the input or lies in the state area.</exception>
    /// <exception cref="InvalidBlobPathException">A prefix is malformed or leads out of the store's root.</exception>
    public static void Enforce(IBlobStore store, JobSpec spec, string? auditPrefix)
    {
        if (Check(store, spec.Input, spec.Output, auditPrefix) is { } refusal)
        {
            throw refusal.ToException();
        }
    }
}
