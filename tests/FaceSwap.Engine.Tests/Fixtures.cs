using System.Diagnostics;
using ImageMagick;

namespace FaceSwap.Engine.Tests;

/// <summary>Photos in the HEIF family, for the codec and round-trip tests.</summary>
public static class Fixtures
{
    private static readonly Lazy<string> Heic = new(MakeHeic);

    /// <summary>
    /// A real HEIC (HEVC, 960x684, the camera's EXIF with GPS and an sRGB ICC profile) made from demo photo 2 on first
    /// use, under the repository's .cache: the codec library here cannot encode HEVC, so it is libheif's heif-enc
    /// (Debian's libheif-examples, installed by scripts/setup.sh) that encodes it, from Magick.NET's 960-px JPEG.
    /// </summary>
    public static string HeicPhoto => Heic.Value;

    /// <summary>An AVIF of an encoded image, made with the codec library (Magick.NET encodes AV1 through libaom).</summary>
    public static byte[] Avif(byte[] image, int quality = 80)
    {
        using var magick = new MagickImage(image) { Quality = (uint)quality };
        return magick.ToByteArray(MagickFormat.Avif);
    }

    private static string MakeHeic()
    {
        var folder = Path.Combine(TestAssets.Root, ".cache", "fixtures");
        var path = Path.Combine(folder, "sample2-960.heic");
        if (File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(folder);

        // Test projects run side by side: each makes its own copy and the first rename wins.
        var unique = Path.Combine(folder, Guid.NewGuid().ToString("N"));
        using (var photo = new MagickImage(TestAssets.Sample(2)) { Quality = 92 })
        {
            photo.Resize(960, 0);
            photo.Write(unique + ".jpg", MagickFormat.Jpeg);
        }

        var encode = Process.Start(new ProcessStartInfo("heif-enc", ["-q", "70", "-o", unique + ".heic", unique + ".jpg"]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("heif-enc did not start: scripts/setup.sh installs it (libheif-examples)");
        var errors = encode.StandardError.ReadToEnd();
        encode.StandardOutput.ReadToEnd();
        encode.WaitForExit();
        File.Delete(unique + ".jpg");
        if (encode.ExitCode != 0)
        {
            throw new InvalidOperationException($"heif-enc failed ({encode.ExitCode}): {errors}");
        }

        try
        {
            File.Move(unique + ".heic", path);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(unique + ".heic");
        }

        return path;
    }
}
