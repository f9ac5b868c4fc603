using Orleans.Runtime;
using Orleans.Storage;

namespace FaceSwap.Storage;

/// <summary>Options of <see cref="LocalFileGrainStorage"/>.</summary>
public sealed class LocalFileGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The folder that holds the state files (one sub-folder per state name). Required.</summary>
    public string RootDirectory { get; set; } = string.Empty;

    /// <summary>
    /// The serializer of the state; when left unset, the serializer registered for this provider's name or the silo's
    /// default <see cref="IGrainStorageSerializer"/> (Orleans' JSON serializer).
    /// </summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}

/// <summary>Refuses to start a silo whose <see cref="LocalFileGrainStorageOptions"/> are incomplete.</summary>
internal sealed class LocalFileGrainStorageOptionsValidator(LocalFileGrainStorageOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        if (string.IsNullOrWhiteSpace(options.RootDirectory))
        {
            throw new OrleansConfigurationException(
                $"Invalid configuration for {nameof(LocalFileGrainStorage)} '{name}': {nameof(LocalFileGrainStorageOptions)}.{nameof(LocalFileGrainStorageOptions.RootDirectory)} is required.");
        }
    }
}
