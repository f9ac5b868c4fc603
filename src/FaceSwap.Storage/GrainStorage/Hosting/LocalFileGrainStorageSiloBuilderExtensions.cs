using Orleans.Hosting;

namespace FaceSwap.Storage;

/// <summary><see cref="ISiloBuilder"/> forwarders of <see cref="LocalFileGrainStorageServiceCollectionExtensions"/>.</summary>
public static class LocalFileGrainStorageSiloBuilderExtensions
{
    /// <summary>Adds a local-folder grain storage provider called <paramref name="name"/>.</summary>
    public static ISiloBuilder AddLocalFileGrainStorage(this ISiloBuilder builder, string name, Action<LocalFileGrainStorageOptions> configureOptions)
        => builder.ConfigureServices(services => services.AddLocalFileGrainStorage(name, configureOptions));
}
