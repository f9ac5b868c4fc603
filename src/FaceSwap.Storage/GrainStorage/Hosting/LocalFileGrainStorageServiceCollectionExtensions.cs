using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace FaceSwap.Storage;

/// <summary>Registers <see cref="LocalFileGrainStorage"/> as a named Orleans grain storage provider.</summary>
public static class LocalFileGrainStorageServiceCollectionExtensions
{
    /// <summary>Adds a local-folder grain storage provider called <paramref name="name"/>.</summary>
    /// <example><c>services.AddLocalFileGrainStorage("jobs", o => o.RootDirectory = "/data/out/.faceswap/state");</c></example>
    public static IServiceCollection AddLocalFileGrainStorage(this IServiceCollection services, string name, Action<LocalFileGrainStorageOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return services.AddLocalFileGrainStorage(name, builder => builder.Configure(configureOptions));
    }

    /// <summary>Adds a local-folder grain storage provider called <paramref name="name"/>, configured through an options builder.</summary>
    public static IServiceCollection AddLocalFileGrainStorage(this IServiceCollection services, string name, Action<OptionsBuilder<LocalFileGrainStorageOptions>>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        configureOptions?.Invoke(services.AddOptions<LocalFileGrainStorageOptions>(name));
        services.AddTransient<IConfigurationValidator>(sp => new LocalFileGrainStorageOptionsValidator(
            sp.GetRequiredService<IOptionsMonitor<LocalFileGrainStorageOptions>>().Get(name), name));
        services.AddTransient<IPostConfigureOptions<LocalFileGrainStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<LocalFileGrainStorageOptions>>();
        services.ConfigureNamedOptionForLogging<LocalFileGrainStorageOptions>(name);
        return services.AddGrainStorage(name, LocalFileGrainStorage.Create);
    }
}
