using FaceSwap.Silo.Hosting;

// The silo host. Configuration (environment FaceSwap__..., or --FaceSwap:...=...): section "FaceSwap" (Role, Storage,
// ModelsPath, Concurrency, Drop), "FaceSwap:Host" (Clustering, ports, AdvertisedAddress, ClusterId, ServiceId),
// "Api" (Keys, Jwt) and FACESWAP_ADMIN_KEY. docs/deploy.md has the whole schema.
WebApplication app;
try
{
    app = FaceSwapHost.Build(args);
}
catch (FaceSwapConfigurationException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

await app.RunAsync();
return 0;
