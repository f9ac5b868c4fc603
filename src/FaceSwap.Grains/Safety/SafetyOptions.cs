namespace FaceSwap.Grains.Safety;

/// <summary>Trust-and-safety settings (configuration section "FaceSwap:Safety").</summary>
public sealed class SafetyOptions
{
    /// <summary>
    /// Refuse API requests and blob-drop manifests without a consent reference for the source face. The silo host
    /// (FaceSwap.Silo, `faceswap serve`) turns this on unless configured; embedded uses (the CLI's `run`) leave it off.
    /// </summary>
    public bool RequireConsent { get; set; }

    /// <summary>
    /// Blob-store prefix of the append-only audit log, one JSON-lines blob per month (PREFIX/yyyy-MM.jsonl); null or
    /// empty turns the log off. The silo host sets <see cref="AuditLog.DefaultPrefix"/> ("state/audit/": the
    /// "state" container in Azure, STORAGE-ROOT/state/audit/ in local mode) unless configured.
    /// </summary>
    public string? AuditPrefix { get; set; }
}
