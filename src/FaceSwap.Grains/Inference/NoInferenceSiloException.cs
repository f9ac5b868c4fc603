namespace FaceSwap.Grains.Inference;

/// <summary>
/// No silo in the cluster runs inference grains at all: Orleans cannot even resolve <c>IInferenceGrain</c> to a grain
/// class (it throws an <see cref="ArgumentException"/> when the reference is made). Thrown by
/// <see cref="InferenceDispatcher.Next"/> instead, so that callers tell it from a refused argument by its type.
/// </summary>
[GenerateSerializer, Alias("FaceSwap.NoInferenceSiloException")]
public sealed class NoInferenceSiloException : OrleansException
{
    /// <summary>For serialization.</summary>
    public NoInferenceSiloException()
    {
    }

    /// <summary>The failure to resolve the grain class, as Orleans reported it.</summary>
    public NoInferenceSiloException(Exception inner)
        : base($"no inference silo is in the cluster: {inner.Message}", inner)
    {
    }
}
