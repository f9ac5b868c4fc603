using FaceSwap.Silo.Hosting;

// The silo host. Configuration: section "FaceSwap" (Role, Storage, ModelsPath, Concurrency, IntraOpThreads),
// "FaceSwap:Host" (ports, cluster and service ids, state folder), "Api" (Keys, Jwt) and FACESWAP_ADMIN_KEY.
// Storage "local:/root" runs the embedded mode; a storage connection string or URI joins that account's cluster.
var app = FaceSwapHost.Build(args);
app.Run();
