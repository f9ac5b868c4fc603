namespace FaceSwap.Silo.Hosting;

/// <summary>
/// Browser hardening headers on every response (the web page, the API, the dashboard, errors): a content security
/// policy that allows only this origin's scripts, styles and connections (thumbnails are shown from blob: URLs) and no
/// framing, X-Frame-Options for browsers that predate frame-ancestors, no MIME sniffing, no referrer.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The Content-Security-Policy value.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The policy of the Orleans Dashboard (/dashboard): the same, except that its markup sets inline style attributes,
    /// which style-src-attr allows (styles only: no inline script, no style elements).
    /// </summary>
    public const string DashboardContentSecurityPolicy = ContentSecurityPolicy + "; style-src-attr 'unsafe-inline'";

    /// <summary>Adds the headers as each response starts, so an error page written after a cleared response has them too.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = http.Request.Path.StartsWithSegments("/dashboard") ? DashboardContentSecurityPolicy : ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return Task.CompletedTask;
        });
        return next(http);
    });
}
