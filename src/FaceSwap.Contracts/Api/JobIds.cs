using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace FaceSwap.Abstractions.Api;

/// <summary>Job ids: short, sortable by creation time, safe in paths and URLs.</summary>
public static partial class JobIds
{
    /// <summary>A new id such as <c>20261125-143005-9f2c1a</c>.</summary>
    public static string New() => $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>Whether <paramref name="id"/> may be used as a job id: 1 to 64 of a-z, 0-9, '-', '_', starting with a letter or digit.</summary>
    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex Pattern();
}
