using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace FaceSwap.Silo.Api.Security;

/// <summary>One configured API key: a name for people and logs, a role, and the SHA-256 of the key (never the key).</summary>
public sealed class ApiKeyEntry
{
    /// <summary>Who holds the key (shown as the submitter of jobs).</summary>
    public string Name { get; set; } = "";

    /// <summary>read, submit or admin.</summary>
    public string Role { get; set; } = ApiRoles.Read;

    /// <summary>SHA-256 of the key, hex.</summary>
    public string Sha256 { get; set; } = "";
}

/// <summary>Settings of API key authentication (configuration section Api).</summary>
public sealed class ApiKeyOptions : AuthenticationSchemeOptions
{
    /// <summary>The scheme's name.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>The request header carrying the key.</summary>
    public const string Header = "X-Api-Key";

    /// <summary>The configured keys.</summary>
    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>An admin key from the environment (FACESWAP_ADMIN_KEY), for a one-person setup.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Whether any key at all would be accepted.</summary>
    public bool HasKeys => Keys.Count > 0 || !string.IsNullOrEmpty(AdminKey);

    /// <summary>The SHA-256 of a key as lowercase hex, the form the configuration holds.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

/// <summary>Authenticates the X-Api-Key header against the hashes of the configured keys.</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ApiKeyOptions>(options, logger, encoder)
{
    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeyOptions.Header, out var values) || string.IsNullOrEmpty(values.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = Convert.FromHexString(ApiKeyOptions.Hash(values.ToString()));
        var match = Find(presented);
        if (match is null)
        {
            // The key itself is never logged or echoed.
            return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, match.Name), new Claim(ClaimTypes.Role, match.Role.ToLowerInvariant())],
            ApiKeyOptions.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeyOptions.Scheme)));
    }

    /// <inheritdoc />
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = $"{ApiKeyOptions.Scheme} header=\"{ApiKeyOptions.Header}\"";
        return base.HandleChallengeAsync(properties);
    }

    private ApiKeyEntry? Find(byte[] presented)
    {
        ApiKeyEntry? match = null;

        // Compare against every key in fixed time, so timing tells nothing about which hash came close.
        foreach (var key in Options.Keys)
        {
            if (TryHex(key.Sha256) is { } hash && CryptographicOperations.FixedTimeEquals(hash, presented))
            {
                match ??= key;
            }
        }

        if (!string.IsNullOrEmpty(Options.AdminKey)
            && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(ApiKeyOptions.Hash(Options.AdminKey)), presented))
        {
            match ??= new ApiKeyEntry { Name = "admin", Role = ApiRoles.Admin };
        }

        return match;
    }

    private static byte[]? TryHex(string value)
    {
        try
        {
            return value.Length == 64 ? Convert.FromHexString(value) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
