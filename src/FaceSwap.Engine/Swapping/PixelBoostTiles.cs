using OpenCvSharp;

namespace FaceSwap.Engine.Swapping;

/// <summary>
/// Pixel boost (FaceFusion's <c>processors/pixel_boost.py</c>): a model that works at <c>size</c> swaps a face aligned at
/// k x size. The large crop is split into k² interleaved tiles (tile a·k + b holds the pixels at rows y·k + a, columns
/// x·k + b), each tile is swapped on its own, and the tiles are interleaved back. So a 128-px model keeps the detail of
/// a face that covers 512 px of the photo instead of swapping a 128-px thumbnail and enlarging it.
/// </summary>
public static class PixelBoostTiles
{
    /// <summary>The sizes users may choose (<c>--pixel-boost</c>); 0 chooses by face size.</summary>
    public static readonly IReadOnlyList<int> Sizes = [128, 256, 384, 512];

    /// <summary>Choose the boost by the size of each face.</summary>
    public const int Auto = 0;

    /// <summary>The boost sizes a model of <paramref name="modelSize"/> can work at: the listed multiples of it.</summary>
    public static IReadOnlyList<int> SizesFor(int modelSize) => Sizes.Where(s => s % modelSize == 0).ToList();

    /// <summary>
    /// The boost for a face whose aligned crop covers <paramref name="faceSide"/> pixels of the photo: the smallest size
    /// the model can work at that is not smaller than the face, at most the largest.
    /// </summary>
    public static int ForFace(int modelSize, double faceSide)
    {
        var sizes = SizesFor(modelSize);
        return sizes.FirstOrDefault(s => s >= faceSide, sizes[^1]);
    }

    /// <summary>Splits a (k·size)² BGR crop into k² interleaved size² tiles, in FaceFusion's order.</summary>
    public static unsafe Mat[] Implode(Mat crop, int size)
    {
        var k = Factor(crop, size);
        var tiles = new Mat[k * k];
        var source = (byte*)crop.Data;
        var sourceStep = (long)crop.Step();
        for (var a = 0; a < k; a++)
        {
            for (var b = 0; b < k; b++)
            {
                var tile = new Mat(size, size, MatType.CV_8UC3);
                var target = (byte*)tile.Data;
                var targetStep = (long)tile.Step();
                for (var y = 0; y < size; y++)
                {
                    var from = source + (y * k + a) * sourceStep;
                    var to = target + y * targetStep;
                    for (var x = 0; x < size; x++)
                    {
                        var o = 3 * (x * k + b);
                        to[3 * x] = from[o];
                        to[3 * x + 1] = from[o + 1];
                        to[3 * x + 2] = from[o + 2];
                    }
                }

                tiles[a * k + b] = tile;
            }
        }

        return tiles;
    }

    /// <summary>The inverse of <see cref="Implode"/>: interleaves k² size² tiles into one (k·size)² crop.</summary>
    public static unsafe Mat Explode(IReadOnlyList<Mat> tiles, int size)
    {
        var k = (int)Math.Round(Math.Sqrt(tiles.Count));
        if (k * k != tiles.Count || tiles.Any(t => t.Width != size || t.Height != size || t.Type() != MatType.CV_8UC3))
        {
            throw new ArgumentException($"expected k² BGR tiles of {size}x{size}", nameof(tiles));
        }

        var crop = new Mat(size * k, size * k, MatType.CV_8UC3);
        var target = (byte*)crop.Data;
        var targetStep = (long)crop.Step();
        for (var a = 0; a < k; a++)
        {
            for (var b = 0; b < k; b++)
            {
                var tile = tiles[a * k + b];
                var source = (byte*)tile.Data;
                var sourceStep = (long)tile.Step();
                for (var y = 0; y < size; y++)
                {
                    var from = source + y * sourceStep;
                    var to = target + (y * k + a) * targetStep;
                    for (var x = 0; x < size; x++)
                    {
                        var o = 3 * (x * k + b);
                        to[o] = from[3 * x];
                        to[o + 1] = from[3 * x + 1];
                        to[o + 2] = from[3 * x + 2];
                    }
                }
            }
        }

        return crop;
    }

    private static int Factor(Mat crop, int size)
    {
        if (crop.Width != crop.Height || crop.Width % size != 0 || crop.Type() != MatType.CV_8UC3)
        {
            throw new ArgumentException($"a pixel-boost crop is a square BGR multiple of {size}, not {crop.Width}x{crop.Height}", nameof(crop));
        }

        return crop.Width / size;
    }
}
