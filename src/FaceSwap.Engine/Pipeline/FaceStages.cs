using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Enhancement;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Swapping;

namespace FaceSwap.Engine.Pipeline;

/// <summary>The stage implementations one image runs through (see <see cref="FaceEngine.StagesFor"/>).</summary>
public sealed record FaceStages(IFaceDetector Detector, IFaceLandmarker Landmarker, IFaceSwapper Swapper, IFaceEnhancer Enhancer);
