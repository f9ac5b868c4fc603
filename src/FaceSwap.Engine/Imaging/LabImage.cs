using OpenCvSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>The Lab form the engine measures and matches colour in.</summary>
public static class LabImage
{
    /// <summary>An 8-bit BGR image as float Lab: L 0-100, a* and b* about -128 to 127.</summary>
    public static Mat FromBgr(Mat bgr8)
    {
        using var f = new Mat();
        bgr8.ConvertTo(f, MatType.CV_32FC3, 1.0 / 255);
        var lab = new Mat();
        Cv2.CvtColor(f, lab, ColorConversionCodes.BGR2Lab);
        return lab;
    }
}
