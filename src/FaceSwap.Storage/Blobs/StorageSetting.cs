namespace FaceSwap.Storage;

/// <summary>The kinds of storage a setting can name.</summary>
public enum StorageKind
{
    /// <summary>Local folders: <c>local</c> (root '/') or <c>local:/root</c>.</summary>
    Local,

    /// <summary>An Azure Storage connection string (Azurite's included), signed in with its key.</summary>
    ConnectionString,

    /// <summary>An https blob service URI, signed in with a credential (managed identity).</summary>
    ServiceUri,
}

/// <summary>
/// One storage setting (<c>FaceSwap:Storage</c>, <c>--storage</c>), parsed once: local folders, a connection string or
/// a blob service URI. Everything that needs the store, its queues or its tables takes this value, not the string.
/// </summary>
public sealed record StorageSetting
{
    /// <summary>What the setting's forms are, for error messages.</summary>
    public const string AcceptedForms =
        "Accepted forms: 'local' (local folders, root '/'), 'local:/some/root' (local folders under that root), " +
        "an Azure Storage connection string ('UseDevelopmentStorage=true' or one with 'AccountName=' or 'BlobEndpoint='), " +
        "or an https blob service URI such as 'https://account.blob.core.windows.net' (signed in with DefaultAzureCredential).";

    private const string LocalPrefix = "local:";

    private StorageSetting(StorageKind kind, string value, string? localRoot, Uri? serviceUri)
    {
        Kind = kind;
        Value = value;
        LocalRoot = localRoot;
        ServiceUri = serviceUri;
    }

    /// <summary>Which kind of storage this is.</summary>
    public StorageKind Kind { get; }

    /// <summary>The setting as written, trimmed (a connection string may hold a key: never log it).</summary>
    public string Value { get; }

    /// <summary>Local storage: the root folder (<c>/</c> for plain <c>local</c>); otherwise null.</summary>
    public string? LocalRoot { get; }

    /// <summary>Whether the setting means local folders.</summary>
    public bool IsLocal => Kind == StorageKind.Local;

    /// <summary>Whether a local setting names its own root folder (<c>local:/root</c>, not plain <c>local</c>).</summary>
    public bool NamesFolder => IsLocal && Value.StartsWith(LocalPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>A service URI setting: the account's blob endpoint; otherwise null.</summary>
    public Uri? ServiceUri { get; }

    /// <summary>
    /// A service URI setting: the account's endpoint for another service beside its blob endpoint,
    /// https://acct.blob.core.windows.net to https://acct.queue.core.windows.net for "queue".
    /// </summary>
    /// <exception cref="InvalidOperationException">The setting is not a service URI.</exception>
    public Uri SiblingEndpoint(string service) => ServiceUri is { } blob
        ? new UriBuilder(blob) { Host = blob.Host.Replace(".blob.", $".{service}.", StringComparison.OrdinalIgnoreCase) }.Uri
        : throw new InvalidOperationException("only a blob service URI setting has sibling endpoints");

    /// <summary>Parses a setting.</summary>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is none of the accepted forms; the message says which are.</exception>
    public static StorageSetting Parse(string? storage) =>
        TryParse(storage, out var setting, out var problem) ? setting : throw new ArgumentException(problem, nameof(storage));

    /// <summary>Parses a setting; <paramref name="problem"/> says what is wrong (without echoing a secret) when it is not understood.</summary>
    public static bool TryParse(string? storage, out StorageSetting setting, out string problem)
    {
        var value = storage?.Trim() ?? "";
        setting = null!;
        problem = "";
        if (value.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            setting = new StorageSetting(StorageKind.Local, value, "/", null);
            return true;
        }

        if (value.StartsWith(LocalPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var root = value[LocalPrefix.Length..].Trim();
            if (root.Length == 0)
            {
                problem = $"The storage setting 'local:' names no root folder. {AcceptedForms}";
                return false;
            }

            setting = new StorageSetting(StorageKind.Local, value, root, null);
            return true;
        }

        if (IsConnectionString(value))
        {
            setting = new StorageSetting(StorageKind.ConnectionString, value, null, null);
            return true;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
        {
            setting = new StorageSetting(StorageKind.ServiceUri, value, null, uri);
            return true;
        }

        problem = value.Length == 0
            ? $"The storage setting is empty. {AcceptedForms}"
            : $"The storage setting '{Redact(value)}' is not understood. {AcceptedForms}";
        return false;
    }

    /// <summary>The setting with any secret left out: the local root, the service URI, or only "a connection string".</summary>
    public override string ToString() => Kind switch
    {
        StorageKind.Local => Value,
        StorageKind.ServiceUri => Value,
        _ => "a storage connection string",
    };

    private static bool IsConnectionString(string value)
        => value.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase)
           || value.Contains("AccountName=", StringComparison.OrdinalIgnoreCase)
           || value.Contains("BlobEndpoint=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Never echo what may be a secret: keep only a short head of an unrecognised setting.</summary>
    private static string Redact(string value) => value.Length <= 12 ? value : value[..12] + "...";
}
