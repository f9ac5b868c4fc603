using FaceSwap.Grains.Inference;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FaceSwap.LoadTesting;

/// <summary>How a load-test silo gets the null engine: in place of the face engine that every inference silo registers.</summary>
public static class NullEngineRegistration
{
    /// <summary>
    /// Makes <see cref="NullEngine"/> the silo's <see cref="IInferenceEngine"/>; call it after the silo's FaceSwap
    /// services are added. The face engine's own service stays registered but is never created, so no models load.
    /// </summary>
    public static IServiceCollection UseNullEngine(this IServiceCollection services, int engineDelayMs)
    {
        services.AddSingleton(new NullEngineOptions { EngineDelayMs = engineDelayMs });
        services.Replace(ServiceDescriptor.Singleton<IInferenceEngine, NullEngine>());
        return services;
    }
}
