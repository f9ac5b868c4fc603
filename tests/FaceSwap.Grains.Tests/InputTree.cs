using System.Collections.Concurrent;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Grains.Tests;

/// <summary>What an input file is meant to produce.</summary>
public enum InputKind
{
    /// <summary>A photo with faces: must be swapped and written.</summary>
    Photo,
    /// <summary>Random bytes under an image name.</summary>
    NotAnImage,
    /// <summary>A JPEG cut short.</summary>
    Truncated,
    /// <summary>A valid image without a face.</summary>
    NoFace,
    /// <summary>Not an image at all (notes.txt, data.json): must be ignored.</summary>
    Ignored,
}

/// <summary>One input file: its path relative to the input root ('/' separators) and its content.</summary>
public sealed record InputFile(string RelativePath, InputKind Kind, byte[] Content)
{
    /// <summary>Width and height of a photo (what its output must keep).</summary>
    public (int Width, int Height) Size => ImageCodec.ReadSize(Content);
}

/// <summary>
/// A nested input tree built from the four demo photos (downscaled to 960 px wide to keep the engine quick), with
/// mixed-case extensions, two corrupt files, two images without a face and two files that are not images.
/// </summary>
public sealed class InputTree
{
    private static readonly string[] Folders = ["", "2024/", "2024/Trip Rome/", "2024/Trip Rome/day 1/", "archive/old/", "people/", "people/Team/"];
    private static readonly string[] Extensions = [".jpg", ".JPG", ".jpeg", ".png", ".webp", ".bmp", ".PNG", ".Jpeg"];
    private static readonly ConcurrentDictionary<(int Sample, ImageFormat Format), byte[]> Encoded = new();
    private static readonly Lazy<Mat[]> Bases = new(() => Enumerable.Range(1, 4).Select(Downscale).ToArray());

    private InputTree(IReadOnlyList<InputFile> files) => Files = files;

    /// <summary>Every file of the tree.</summary>
    public IReadOnlyList<InputFile> Files { get; }

    /// <summary>The photos, which must all be swapped.</summary>
    public IReadOnlyList<InputFile> Photos => Files.Where(f => f.Kind == InputKind.Photo).ToList();

    /// <summary>Files that are images by name (everything a job must give an outcome).</summary>
    public IReadOnlyList<InputFile> Images => Files.Where(f => f.Kind != InputKind.Ignored).ToList();

    /// <summary>Builds a tree with <paramref name="photos"/> photos plus the six odd files.</summary>
    public static InputTree Build(int photos)
    {
        var files = new List<InputFile>();
        for (var i = 0; i < photos; i++)
        {
            var extension = Extensions[i % Extensions.Length];
            var folder = Folders[i % Folders.Length];
            var sample = i % 4 + 1;
            files.Add(new InputFile($"{folder}photo{i:D2}-s{sample}{extension}", InputKind.Photo, Encode(sample, ImageCodec.FormatFromPath(extension))));
        }

        var valid = Encode(2, ImageFormat.Jpeg);
        var random = new byte[6000];
        new Random(7).NextBytes(random);
        files.Add(new InputFile("broken/random-bytes.jpg", InputKind.NotAnImage, random));
        files.Add(new InputFile("broken/deep/cut-short.JPG", InputKind.Truncated, valid[..(valid.Length * 2 / 5)]));
        files.Add(new InputFile("misc/gradient.png", InputKind.NoFace, Engine.Tests.TestImages.Gradient(640, 480, ImageFormat.Png)));
        files.Add(new InputFile("2024/Trip Rome/sky.jpg", InputKind.NoFace, Engine.Tests.TestImages.Gradient(800, 600)));
        files.Add(new InputFile("notes.txt", InputKind.Ignored, "not an image\n"u8.ToArray()));
        files.Add(new InputFile("people/data.json", InputKind.Ignored, "{\"a\":1}"u8.ToArray()));
        return new InputTree(files);
    }

    /// <summary>Writes the tree under <paramref name="root"/>.</summary>
    public void WriteTo(string root)
    {
        foreach (var file in Files)
        {
            var path = Path.Combine(root, file.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, file.Content);
        }
    }

    private static byte[] Encode(int sample, ImageFormat format) =>
        Encoded.GetOrAdd((sample, format), key => ImageCodec.Encode(Bases.Value[key.Sample - 1], key.Format, 90));

    private static Mat Downscale(int sample)
    {
        using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(sample)));
        var small = new Mat();
        Cv2.Resize(image, small, new Size(960, (int)Math.Round(image.Height * 960.0 / image.Width)), interpolation: InterpolationFlags.Area);
        return small;
    }
}

/// <summary>The source face of every job: the first face (left to right) of demo photo 3.</summary>
public static class SourceFace
{
    private static readonly Lazy<byte[]> Bytes = new(() =>
    {
        using var engine = new EngineFixture();
        return engine.CropFace(3, 0);
    });

    /// <summary>JPEG bytes of the source face.</summary>
    public static byte[] Jpeg => Bytes.Value;
}
