using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;

namespace FaceSwap.Engine.Pipeline;

/// <summary>Settings of a face engine instance.</summary>
public sealed record EngineOptions
{
    /// <summary>Images with more pixels are refused before decoding.</summary>
    public long MaxPixels { get; init; } = ImageCodec.DefaultMaxPixels;

    /// <summary>Faces narrower than this (pixels) are ignored: landmarks on them are unreliable.</summary>
    public int MinFaceSize { get; init; } = 24;

    /// <summary>ONNX Runtime session settings.</summary>
    public OnnxSettings Onnx { get; init; } = new();
}
