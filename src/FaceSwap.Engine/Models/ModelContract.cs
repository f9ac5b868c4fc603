namespace FaceSwap.Engine.Models;

/// <summary>
/// A tensor a model must declare: a name (null: any, matched by position: third-party exports name them differently),
/// a float shape (-1 for a dynamic or varying dimension), and whether the model may lack it.
/// </summary>
public sealed record TensorContract(string? Name, int[] Shape, bool Optional = false);

/// <summary>
/// The inputs and outputs the code that drives a model was written for (embedded models: models.json; public models:
/// their published signature, shared/reference/facefusion.md); checked against the model file at load.
/// </summary>
public sealed record ModelContract(string ModelName, IReadOnlyList<TensorContract> Inputs, IReadOnlyList<TensorContract> Outputs);
