namespace FaceSwap.Abstractions.Jobs;

/// <summary>A thumbnail made on an inference silo: the JPEG, or the error class of an image that has none.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.ThumbnailResult")]
public sealed record ThumbnailResult([property: Id(0)] byte[]? Jpeg, [property: Id(1)] string? ErrorClass, [property: Id(2)] string? Message);
