using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OpenCvSharp;

namespace FaceSwap.Engine.Safety;

/// <summary>The result of looking for the invisible watermark.</summary>
/// <param name="Found">Whether the watermark is present (score over the threshold and the payload's check bits agree).</param>
/// <param name="JobTag">The 48-bit job tag carried (12 hex digits, see <see cref="Watermark.JobTag"/>), when found.</param>
/// <param name="Score">Mean absolute z-score of the 64 payload bits: about 0.8 for unmarked images.</param>
/// <param name="Confidence">0..1: 0 at or below the unmarked level, 1 at twice the detection threshold or more.</param>
public sealed record WatermarkReading(bool Found, string? JobTag, double Score, double Confidence);

/// <summary>
/// An invisible, keyed spread-spectrum watermark carrying a 64-bit payload: 48 bits of SHA-256 of the job id plus a
/// 16-bit check. The luminance is resized to a fixed 512x512 working grid, so downscaling the image (or re-encoding it)
/// does not move the carrier; each 8x8 block of that grid carries chips on 15 mid DCT frequencies (u+v = 3..5, periods of roughly
/// 10-25 pixels of a 1920-pixel photo: kept by JPEG and by downscaling). Every chip slot belongs to one payload bit
/// (61,440 slots, 960 per bit: repetition coding) with a pseudo-random sign
/// from a fixed seed (a public constant: the mark is a provenance hint, not a secret). Detection correlates the slots with their chips, normalises each bit's sum by the energy
/// of its (clipped) coefficients (a z-score, standard normal for an unmarked image) and requires both a mean |z| above
/// <see cref="Threshold"/> and a matching check field, so unmarked originals do not match.
/// </summary>
public static class Watermark
{
    /// <summary>Side of the square working grid.</summary>
    public const int Grid = 512;

    /// <summary>Mean |z| of the payload bits needed to report the watermark (unmarked images: about 0.8 ± 0.1).</summary>
    public const double Threshold = 2.0;

    /// <summary>Amplitude of each chip in the orthonormal DCT domain of the working grid (grey levels).</summary>
    public const float Strength = 2.0f;

    private const int Block = 8;
    private const int Bits = 64;
    private const ulong Seed = 0x5EED_FACE_5A4B_2026UL;
    private const float Clip = 6f;
    private static readonly (int U, int V)[] Frequencies =
        [.. Enumerable.Range(0, Block).SelectMany(u => Enumerable.Range(0, Block).Select(v => (u, v))).Where(f => f.u + f.v is >= 3 and <= 5)];
    private static readonly Lazy<(byte[] Bit, sbyte[] Chip)> Layout = new(CreateLayout);

    /// <summary>The 48-bit tag of a job id the watermark carries: the first 6 bytes of SHA-256(job id), as hex.</summary>
    public static string JobTag(string jobId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)).AsSpan(0, 6));

    /// <summary>Embeds the watermark for a job into a BGR image, in place.</summary>
    public static void Embed(Mat bgr, string jobId)
    {
        // The luminance change depends only on the job, so every image of a job shares it; the same change goes to
        // B, G and R (chroma stays as it was). It is rounded to whole levels before it is spread over the three channels
        // (the pixels are whole levels, so the sum rounds the same), which halves the memory the add walks through.
        var delta = Deltas.GetOrAdd(jobId, CreateDelta);
        using var full = new Mat();
        Cv2.Resize(delta, full, new Size(bgr.Width, bgr.Height), 0, 0, InterpolationFlags.Linear);
        using var levels = new Mat();
        full.ConvertTo(levels, MatType.CV_16S);
        using var levels3 = new Mat();
        Cv2.Merge([levels, levels, levels], levels3);
        Cv2.Add(bgr, levels3, bgr, dtype: MatType.CV_8UC3.Value);
    }

    /// <summary>Deltas of recent jobs (a few hundred KB each); cleared when many jobs have passed through.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Mat> Deltas = new(StringComparer.Ordinal);

    /// <summary>The watermark of one job on the grid: the inverse block DCT of its chips (it is additive, so the image's own DCT is not needed).</summary>
    private static Mat CreateDelta(string jobId)
    {
        if (Deltas.Count > 64)
        {
            Deltas.Clear();
        }

        // The inverse 8x8 DCT of each block, summed over its 15 chips only (the other coefficients are zero): a few
        // million multiply-adds, where a dense transform of the whole grid would take hundreds of millions.
        var payload = Payload(JobTag(jobId));
        var (bit, chip) = Layout.Value;
        var basis = DctBasis.Value;
        var delta = new float[Grid * Grid];
        var slot = 0;
        for (var by = 0; by < Grid; by += Block)
        {
            for (var bx = 0; bx < Grid; bx += Block)
            {
                foreach (var (u, v) in Frequencies)
                {
                    var sign = ((payload >> bit[slot]) & 1) == 1 ? 1 : -1;
                    var coefficient = Strength * chip[slot] * sign;
                    slot++;
                    for (var y = 0; y < Block; y++)
                    {
                        var row = coefficient * basis[v, y];
                        var offset = (by + y) * Grid + bx;
                        for (var x = 0; x < Block; x++)
                        {
                            delta[offset + x] += row * basis[u, x];
                        }
                    }
                }
            }
        }

        return ToMat(delta);
    }

    /// <summary>The orthonormal 8-point DCT-II basis: [k, n] = scale(k) * cos(pi * (2n + 1) * k / 16).</summary>
    private static readonly Lazy<float[,]> DctBasis = new(() =>
    {
        var basis = new float[Block, Block];
        for (var k = 0; k < Block; k++)
        {
            var scale = k == 0 ? Math.Sqrt(1.0 / Block) : Math.Sqrt(2.0 / Block);
            for (var n = 0; n < Block; n++)
            {
                basis[k, n] = (float)(scale * Math.Cos(Math.PI * (2 * n + 1) * k / (2 * Block)));
            }
        }

        return basis;
    });

    /// <summary>Looks for the watermark in a BGR image.</summary>
    public static WatermarkReading Detect(Mat bgr)
    {
        var (bit, chip) = Layout.Value;
        using var ycrcb = new Mat();
        Cv2.CvtColor(bgr, ycrcb, ColorConversionCodes.BGR2YCrCb);
        using var luma = ycrcb.ExtractChannel(0);
        using var small = new Mat();
        Cv2.Resize(luma, small, new Size(Grid, Grid), 0, 0, InterpolationFlags.Area);
        using var grid = new Mat();
        small.ConvertTo(grid, MatType.CV_32FC1);
        using var dct = Transform(grid);
        var coefficients = new float[Grid * Grid];
        System.Runtime.InteropServices.Marshal.Copy(dct.Data, coefficients, 0, coefficients.Length);
        var correlation = new double[Bits];
        var energy = new double[Bits];
        var slot = 0;
        for (var by = 0; by < Grid; by += Block)
        {
            for (var bx = 0; bx < Grid; bx += Block)
            {
                foreach (var (u, v) in Frequencies)
                {
                    // A clipped correlator: large image coefficients (edges) would otherwise drown the chips.
                    double c = Math.Clamp(coefficients[(by + v) * Grid + bx + u], -Clip, Clip);
                    correlation[bit[slot]] += chip[slot] * c;
                    energy[bit[slot]] += c * c;
                    slot++;
                }
            }
        }

        ulong payload = 0;
        var score = 0.0;
        for (var i = 0; i < Bits; i++)
        {
            var z = energy[i] > 0 ? correlation[i] / Math.Sqrt(energy[i]) : 0;
            score += Math.Abs(z) / Bits;
            if (z > 0)
            {
                payload |= 1UL << i;
            }
        }

        var tag = payload >> 16;
        var checkOk = (ushort)payload == Check(tag);
        var found = score >= Threshold && checkOk;
        var confidence = Math.Clamp((score - 0.8) / (2 * Threshold - 0.8), 0, 1);
        return new WatermarkReading(found, found ? tag.ToString("x12", System.Globalization.CultureInfo.InvariantCulture) : null, Math.Round(score, 3), Math.Round(confidence, 3));
    }

    /// <summary>
    /// The orthonormal 8x8 block DCT of the whole grid as B·G·Bᵀ with B block-diagonal, two OpenCV matrix products
    /// instead of 4,096 small <c>Cv2.Dct</c> calls; the result is the same.
    /// </summary>
    private static Mat Transform(Mat grid)
    {
        var basis = BlockBasis.Value;
        using var left = new Mat();
        var result = new Mat();
        Cv2.Gemm(basis, grid, 1, new Mat(), 0, left);
        Cv2.Gemm(left, basis, 1, new Mat(), 0, result, GemmFlags.B_T);
        return result;
    }

    private static readonly Lazy<Mat> BlockBasis = new(() =>
    {
        var values = new float[Grid * Grid];
        for (var b = 0; b < Grid; b += Block)
        {
            for (var k = 0; k < Block; k++)
            {
                var scale = k == 0 ? Math.Sqrt(1.0 / Block) : Math.Sqrt(2.0 / Block);
                for (var n = 0; n < Block; n++)
                {
                    values[(b + k) * Grid + b + n] = (float)(scale * Math.Cos(Math.PI * (2 * n + 1) * k / (2 * Block)));
                }
            }
        }

        return ToMat(values);
    });

    private static Mat ToMat(float[] values)
    {
        var mat = new Mat(Grid, Grid, MatType.CV_32FC1);
        System.Runtime.InteropServices.Marshal.Copy(values, 0, mat.Data, values.Length);
        return mat;
    }

    private static ulong Payload(string jobTag)
    {
        var tag = ulong.Parse(jobTag, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        return (tag << 16) | Check(tag);
    }

    /// <summary>A keyed 16-bit check of the tag, so that a random bit pattern passes only 1 time in 65,536.</summary>
    private static ushort Check(ulong tag)
    {
        Span<byte> data = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(data, tag);
        BinaryPrimitives.WriteUInt64LittleEndian(data[8..], Seed);
        return BinaryPrimitives.ReadUInt16LittleEndian(SHA256.HashData(data));
    }

    /// <summary>The keyed layout: which payload bit each slot carries (a shuffled round-robin) and its chip sign.</summary>
    private static (byte[] Bit, sbyte[] Chip) CreateLayout()
    {
        var slots = Grid / Block * (Grid / Block) * Frequencies.Length;
        var bit = new byte[slots];
        var chip = new sbyte[slots];
        var state = Seed;
        for (var i = 0; i < slots; i++)
        {
            bit[i] = (byte)(i % Bits);
        }

        for (var i = slots - 1; i > 0; i--)
        {
            var j = (int)(Next(ref state) % (ulong)(i + 1));
            (bit[i], bit[j]) = (bit[j], bit[i]);
        }

        for (var i = 0; i < slots; i++)
        {
            chip[i] = (Next(ref state) & 1) == 1 ? (sbyte)1 : (sbyte)-1;
        }

        return (bit, chip);
    }

    /// <summary>SplitMix64: a fixed, portable generator (System.Random's sequence is not a contract).</summary>
    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
