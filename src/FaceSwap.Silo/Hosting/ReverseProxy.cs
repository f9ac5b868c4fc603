using Microsoft.AspNetCore.HttpOverrides;

namespace FaceSwap.Silo.Hosting;

/// <summary>
/// Api:BehindProxy=true: the host is reached only through one reverse proxy (Azure Container Apps' ingress) that
/// appends the client's address to X-Forwarded-For and sets X-Forwarded-Proto. The client address is then the last
/// X-Forwarded-For entry, the one the proxy wrote (entries a client sent itself stand before it and are ignored), so
/// per-address limits count clients rather than the proxy, and the OpenAPI server URL has the scheme clients used.
/// Off (the default), X-Forwarded-* headers are ignored: a client reaching the host directly cannot pick its address.
/// </summary>
public static class ReverseProxy
{
    /// <summary>The configuration key.</summary>
    public const string Setting = "Api:BehindProxy";

    /// <summary>Takes the client's address and scheme from the proxy's headers when <see cref="Setting"/> is on.</summary>
    public static WebApplication UseReverseProxyHeaders(this WebApplication app)
    {
        if (!app.Configuration.GetValue(Setting, false))
        {
            return app;
        }

        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = 1,
        };

        // The proxy's own address is not known in advance (the platform's ingress): trust the one hop in front.
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        app.UseForwardedHeaders(options);
        return app;
    }
}
