using System.Globalization;
using System.Numerics;

namespace Hub.Core.Hashing;

/// <summary>
/// A 256-bit PDQ hash: bit k (k = 16·i + j) is set when DCT output [i][j] is strictly above the median. Stored as four
/// 64-bit words (bit k in word k / 64 at position k % 64) so a Hamming distance is four popcounts.
/// </summary>
public readonly record struct PdqHash(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public const int Bits = 256;

    public static PdqHash Zero => default;

    public bool IsZero => (W0 | W1 | W2 | W3) == 0;

    public ulong Word(int i) => i switch
    {
        0 => W0,
        1 => W1,
        2 => W2,
        _ => W3,
    };

    public bool Bit(int k) => ((Word(k >> 6) >> (k & 63)) & 1) != 0;

    /// <summary>The 16-bit chunk <paramref name="i"/> (bits 16·i … 16·i + 15), as the multi-index uses it.</summary>
    public ushort Chunk(int i) => (ushort)(Word(i >> 2) >> ((i & 3) * 16));

    public int Distance(PdqHash other) =>
        BitOperations.PopCount(W0 ^ other.W0) + BitOperations.PopCount(W1 ^ other.W1) + BitOperations.PopCount(W2 ^ other.W2) + BitOperations.PopCount(W3 ^ other.W3);

    /// <summary>64 lowercase hex digits: sixteen groups of four, the group of bits 240–255 first (the reference's text form).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{W3:x16}{W2:x16}{W1:x16}{W0:x16}");

    public static bool TryParse(string? hex, out PdqHash hash)
    {
        hash = default;
        if (hex is not { Length: 64 } || !hex.All(Uri.IsHexDigit))
        {
            return false;
        }

        var w = new ulong[4];
        for (var i = 0; i < 4; i++)
        {
            w[3 - i] = ulong.Parse(hex.AsSpan(i * 16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }

        hash = new PdqHash(w[0], w[1], w[2], w[3]);
        return true;
    }

    public static PdqHash Parse(string hex) => TryParse(hex, out var h) ? h : throw new FormatException("a PDQ hash is 64 hexadecimal digits");

    internal static PdqHash FromBits(ReadOnlySpan<bool> bits)
    {
        Span<ulong> w = stackalloc ulong[4];
        for (var k = 0; k < Bits; k++)
        {
            if (bits[k])
            {
                w[k >> 6] |= 1UL << (k & 63);
            }
        }

        return new PdqHash(w[0], w[1], w[2], w[3]);
    }
}

/// <summary>A PDQ hash and its quality (0–100): below 50 the image is too featureless to match on.</summary>
public readonly record struct PdqResult(PdqHash Hash, int Quality);

/// <summary>The eight dihedral variants of an image's PDQ hash, in the reference's order, and the image's quality.</summary>
public sealed record PdqDihedral(PdqHash Original, PdqHash Rotate90, PdqHash Rotate180, PdqHash Rotate270, PdqHash FlipX, PdqHash FlipY, PdqHash FlipPlus1, PdqHash FlipMinus1, int Quality)
{
    public IReadOnlyList<PdqHash> All => [Original, Rotate90, Rotate180, Rotate270, FlipX, FlipY, FlipPlus1, FlipMinus1];
}

/// <summary>
/// Meta's PDQ perceptual hash (facebook/ThreatExchange, <c>pdq/</c>; docs/hash-bank.md#pdq), implemented here from its
/// published algorithm, on the full-resolution pixels (no pre-resize):
/// <list type="number">
/// <item>luma = 0.299·R + 0.587·G + 0.114·B in single precision, left to right;</item>
/// <item>a tent filter: two rounds of a 1-D box filter along rows then along columns, each a running sum divided by
///   the current count, with windows ⌈W / 128⌉ and ⌈H / 128⌉ (a 64×64 image is taken as it is);</item>
/// <item>64×64 samples at the centres, (int)((i + 0.5)·H / 64) and (int)((j + 0.5)·W / 64);</item>
/// <item>the quality: the sum of the quantised neighbour differences, / 90, at most 100;</item>
/// <item>the 16×16 low frequencies (1–16 × 1–16) of the 2-D DCT-II as D·A·Dᵀ, with D rounded to float and each sum taken
///   one term at a time, index ascending;</item>
/// <item>one bit per coefficient: strictly above the median (the 128th smallest of the 256).</item>
/// </list>
/// Every float operation is one operation in the reference's order (no fused multiply-add, no vectorised sums), so
/// the synthetic vectors come out bit for bit (tests/Hub.Core.Tests/Hashing/PdqTests.cs).
/// </summary>
public static class Pdq
{
    /// <summary>Below this many pixels on either side an image is not hashed (all zeros, quality 0).</summary>
    public const int MinDimension = 5;

    private const float LumaR = 0.299f;
    private const float LumaG = 0.587f;
    private const float LumaB = 0.114f;

    /// <summary>D[i][j] = float(sqrt(2/64) as a float · cos(π/128 · (i + 1) · (2j + 1))), rows 1–16 of the 64-point DCT-II.</summary>
    private static readonly float[] Dct = BuildDct();

    /// <summary>The hash of interleaved 8-bit pixels (R, G, B first in each pixel; <paramref name="pixelStride"/> 3 for RGB, 4 for RGBA).</summary>
    public static PdqResult FromPixels(ReadOnlySpan<byte> pixels, int width, int height, int pixelStride, int rowStride)
    {
        if (width < MinDimension || height < MinDimension)
        {
            return new PdqResult(PdqHash.Zero, 0);
        }

        var (dct, quality) = Transform(pixels, width, height, pixelStride, rowStride, skipBlurAt64: true);
        return new PdqResult(ToBits(dct), quality);
    }

    /// <summary>The eight dihedral hashes from one DCT (the reference's dihedral routine: it always blurs, even at 64×64).</summary>
    public static PdqDihedral DihedralFromPixels(ReadOnlySpan<byte> pixels, int width, int height, int pixelStride, int rowStride)
    {
        if (width < MinDimension || height < MinDimension)
        {
            var z = PdqHash.Zero;
            return new PdqDihedral(z, z, z, z, z, z, z, z, 0);
        }

        var (a, quality) = Transform(pixels, width, height, pixelStride, rowStride, skipBlurAt64: false);
        PdqHash Variant(bool transpose, Func<int, int, bool> negate)
        {
            var b = new float[256];
            for (var i = 0; i < 16; i++)
            {
                for (var j = 0; j < 16; j++)
                {
                    var v = a[(i * 16) + j];
                    b[transpose ? (j * 16) + i : (i * 16) + j] = negate(i, j) ? -v : v;
                }
            }

            return ToBits(b);
        }

        return new PdqDihedral(
            ToBits(a),
            Variant(true, (_, j) => (j & 1) == 0),
            Variant(false, (i, j) => ((i + j) & 1) != 0),
            Variant(true, (i, _) => (i & 1) == 0),
            Variant(false, (i, _) => (i & 1) == 0),
            Variant(false, (_, j) => (j & 1) == 0),
            Variant(true, (_, _) => false),
            Variant(true, (i, j) => ((i + j) & 1) != 0),
            quality);
    }

    /// <summary>The box-filter window along a dimension of <paramref name="size"/> pixels: ⌈size / 128⌉.</summary>
    public static int WindowSize(int size) => (size + (2 * 64) - 1) / (2 * 64);

    private static (float[] Dct16, int Quality) Transform(ReadOnlySpan<byte> pixels, int width, int height, int pixelStride, int rowStride, bool skipBlurAt64)
    {
        if (pixelStride < 3 || rowStride < width * pixelStride || pixels.Length < ((height - 1) * rowStride) + (width * pixelStride))
        {
            throw new ArgumentException("the pixel buffer is smaller than its dimensions say", nameof(pixels));
        }

        var luma = new float[width * height];
        for (var y = 0; y < height; y++)
        {
            var row = pixels.Slice(y * rowStride, width * pixelStride);
            for (var x = 0; x < width; x++)
            {
                var p = x * pixelStride;
                var r = LumaR * row[p];
                var g = LumaG * row[p + 1];
                var b = LumaB * row[p + 2];
                luma[(y * width) + x] = (r + g) + b;
            }
        }

        var block = new float[64 * 64];
        if (skipBlurAt64 && width == 64 && height == 64)
        {
            luma.CopyTo(block, 0);
        }
        else
        {
            var scratch = new float[luma.Length];
            var alongRows = WindowSize(width);
            var alongCols = WindowSize(height);
            for (var pass = 0; pass < 2; pass++)
            {
                for (var y = 0; y < height; y++)
                {
                    Box(luma, scratch, y * width, width, 1, alongRows);
                }

                for (var x = 0; x < width; x++)
                {
                    Box(scratch, luma, x, height, width, alongCols);
                }
            }

            for (var i = 0; i < 64; i++)
            {
                var y = (int)((i + 0.5) * height / 64);
                for (var j = 0; j < 64; j++)
                {
                    block[(i * 64) + j] = luma[(y * width) + (int)((j + 0.5) * width / 64)];
                }
            }
        }

        return (Dct64To16(block), Quality(block));
    }

    /// <summary>One 1-D box pass along a line of <paramref name="length"/> samples: a running sum over the window, divided by how many it holds.</summary>
    private static void Box(float[] input, float[] output, int start, int length, int stride, int window)
    {
        var half = (window + 2) / 2;
        var lead = half - 1;
        var grow = window - half + 1;
        var full = length - window;
        var tail = half - 1;
        int left = start, right = start, outIndex = start, count = 0;
        var sum = 0f;
        for (var i = 0; i < lead; i++, right += stride)
        {
            sum += input[right];
            count++;
        }

        for (var i = 0; i < grow; i++, right += stride, outIndex += stride)
        {
            sum += input[right];
            count++;
            output[outIndex] = sum / count;
        }

        for (var i = 0; i < full; i++, left += stride, right += stride, outIndex += stride)
        {
            sum += input[right];
            sum -= input[left];
            output[outIndex] = sum / count;
        }

        for (var i = 0; i < tail; i++, left += stride, outIndex += stride)
        {
            sum -= input[left];
            count--;
            output[outIndex] = sum / count;
        }
    }

    private static int Quality(float[] a)
    {
        var sum = 0;
        for (var i = 0; i < 63; i++)
        {
            for (var j = 0; j < 64; j++)
            {
                var d = (int)((a[(i * 64) + j] - a[((i + 1) * 64) + j]) * 100f / 255f);
                sum += Math.Abs(d);
            }
        }

        for (var i = 0; i < 64; i++)
        {
            for (var j = 0; j < 63; j++)
            {
                var d = (int)((a[(i * 64) + j] - a[(i * 64) + j + 1]) * 100f / 255f);
                sum += Math.Abs(d);
            }
        }

        return Math.Min(100, sum / 90);
    }

    private static float[] Dct64To16(float[] a)
    {
        var t = new float[16 * 64];
        for (var i = 0; i < 16; i++)
        {
            for (var j = 0; j < 64; j++)
            {
                var sum = 0f;
                for (var k = 0; k < 64; k++)
                {
                    var term = Dct[(i * 64) + k] * a[(k * 64) + j];
                    sum += term;
                }

                t[(i * 64) + j] = sum;
            }
        }

        var b = new float[16 * 16];
        for (var i = 0; i < 16; i++)
        {
            for (var j = 0; j < 16; j++)
            {
                var sum = 0f;
                for (var k = 0; k < 64; k++)
                {
                    var term = t[(i * 64) + k] * Dct[(j * 64) + k];
                    sum += term;
                }

                b[(i * 16) + j] = sum;
            }
        }

        return b;
    }

    private static PdqHash ToBits(float[] dct)
    {
        var sorted = (float[])dct.Clone();
        Array.Sort(sorted);
        var median = sorted[127];
        Span<bool> bits = stackalloc bool[256];
        for (var k = 0; k < 256; k++)
        {
            bits[k] = dct[k] > median;
        }

        return PdqHash.FromBits(bits);
    }

    private static float[] BuildDct()
    {
        var scale = (float)Math.Sqrt(2.0 / 64.0);
        var d = new float[16 * 64];
        for (var i = 0; i < 16; i++)
        {
            for (var j = 0; j < 64; j++)
            {
                d[(i * 64) + j] = (float)(scale * Math.Cos(Math.PI / 2.0 / 64.0 * (i + 1) * ((2 * j) + 1)));
            }
        }

        return d;
    }
}
