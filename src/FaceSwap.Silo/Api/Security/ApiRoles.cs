using System.Security.Claims;

namespace FaceSwap.Silo.Api.Security;

/// <summary>The API's roles, each including the ones before it: read &lt; submit &lt; admin.</summary>
public static class ApiRoles
{
    /// <summary>List jobs, read status, events, results and the gallery.</summary>
    public const string Read = "read";

    /// <summary>Also submit, cancel and retry jobs.</summary>
    public const string Submit = "submit";

    /// <summary>Everything.</summary>
    public const string Admin = "admin";

    private static readonly string[] Order = [Read, Submit, Admin];

    /// <summary>Whether <paramref name="role"/> is one of the three.</summary>
    public static bool IsKnown(string? role) => Rank(role) >= 0;

    /// <summary>Whether a caller holding <paramref name="user"/>'s roles may do what <paramref name="needed"/> allows.</summary>
    public static bool Allows(ClaimsPrincipal user, string needed) =>
        user.Identity?.IsAuthenticated == true
        && user.FindAll(c => c.Type == ClaimTypes.Role || c.Type == "roles").Any(c => Rank(c.Value) >= Rank(needed));

    /// <summary>The highest role of a caller, or null.</summary>
    public static string? Highest(ClaimsPrincipal user) =>
        user.FindAll(c => c.Type == ClaimTypes.Role || c.Type == "roles").Select(c => c.Value).Where(IsKnown).MaxBy(Rank);

    private static int Rank(string? role) => Array.IndexOf(Order, role?.ToLowerInvariant());
}
