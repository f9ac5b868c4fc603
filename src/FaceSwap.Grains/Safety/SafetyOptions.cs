namespace FaceSwap.Grains.Safety;

/// <summary>Trust-and-safety settings (configuration section "FaceSwap:Safety").</summary>
public sealed class SafetyOptions
{
    /// <summary>
    /// Refuse jobs without a consent reference for the source face (on unless configured off): the BatchGrain refuses
    /// such a spec whoever sends it, and the API and blob drops answer 400 / reject the manifest naming the field.
    /// `faceswap run` passes an explicit "local run" reference.
    /// </summary>
    public bool RequireConsent { get; set; } = true;

    /// <summary>
    /// Allow jobs that turn the invisible watermark off (<c>options.watermark: false</c>); off unless configured, so
    /// every output carries it. `faceswap run --no-watermark` sets it for its own embedded silo.
    /// </summary>
    public bool AllowWatermarkOff { get; set; }

    /// <summary>
    /// Blob-store prefix of the append-only audit log, one JSON-lines blob per month (PREFIX/yyyy-MM.jsonl); null or
    /// empty turns the log off. The silo host sets <see cref="AuditLog.DefaultPrefix"/> ("state/audit/": the
    /// "state" container in Azure, STORAGE-ROOT/state/audit/ in local mode) unless configured.
    /// </summary>
    public string? AuditPrefix { get; set; }
}
