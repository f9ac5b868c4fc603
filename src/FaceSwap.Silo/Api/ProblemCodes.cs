using FaceSwap.Abstractions.Api;

namespace FaceSwap.Silo.Api;

/// <summary>
/// Every problem answer carries a <c>code</c>: the one its endpoint chose, or for answers the framework makes itself
/// (401 and 403 from authentication, 404 for an unknown path, 405, an unexpected 500) the code of its status.
/// </summary>
public static class ProblemCodes
{
    /// <summary>Adds the status's code to a problem that has none (a <c>CustomizeProblemDetails</c> step).</summary>
    public static void AddMissingCode(ProblemDetailsContext context)
    {
        var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
        if (status >= StatusCodes.Status400BadRequest)
        {
            context.ProblemDetails.Extensions.TryAdd("code", ErrorCodes.ForStatus(status));
        }
    }
}
