using FaceSwap.Grains.Hosting;
using FaceSwap.Silo.Hosting;

// The silo host. Configuration (environment FaceSwap__..., or --FaceSwap:...=...): section "FaceSwap" (Role, Storage,
// ModelsPath, Concurrency, Drop), "FaceSwap:Host" (Clustering, ports, AdvertisedAddress, ClusterId, ServiceId),
// "Api" (Keys, Jwt) and FACESWAP_ADMIN_KEY. docs/deploy.md has the whole schema.
await using var app = FaceSwapHost.Build(args);
try
{
    await FaceSwapHost.StartAsync(app);
}
catch (InvalidConfigurationException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

await app.WaitForShutdownAsync();
return 0;
