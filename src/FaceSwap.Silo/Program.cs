using FaceSwap.Grains.Hosting;
using FaceSwap.Silo.Hosting;

// A standalone silo: configuration section "FaceSwap" (Role, Storage, ModelsPath, Concurrency) and
// FACESWAP_CLUSTER_STORAGE (a storage connection string) to join a cluster over Azure Table clustering.
var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection(FaceSwapSiloOptions.Section).Get<FaceSwapSiloOptions>() ?? new FaceSwapSiloOptions();
var clusterStorage = builder.Configuration["FACESWAP_CLUSTER_STORAGE"];
builder.UseOrleans(silo =>
{
    if (string.IsNullOrWhiteSpace(clusterStorage))
    {
        var state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".faceswap", "state");
        silo.UseFaceSwapEmbedded(state, 11111, 30000);
    }
    else
    {
        silo.UseFaceSwapAzureStorage(clusterStorage);
    }

    silo.AddFaceSwap(options);
});

var app = builder.Build();
app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
app.Run();
