using Hub.Core.Hashing;
using SkiaSharp;

namespace Hub.Functions.Hashing;

/// <summary>
/// Decodes an image with SkiaSharp (JPEG, PNG, WebP, GIF's first frame, BMP) exactly as the PDQ reference vectors were
/// decoded — <see cref="SKCodec.GetPixels(SKImageInfo, IntPtr)"/> into RGBA 8888 unpremultiplied, no colour-space
/// conversion, no EXIF rotation, alpha ignored — and hashes the full-size pixels (no pre-resize: docs/hash-bank.md#pdq).
/// </summary>
public static class ImageHashes
{
    /// <summary>Images larger than this are not hashed (the decode alone would take gigabytes).</summary>
    public const long MaxPixels = 100_000_000;

    public static (PdqResult? Result, string? Error) Pdq(ReadOnlySpan<byte> encoded)
    {
        var (pixels, width, height, rowBytes, error) = Decode(encoded);
        return pixels is null ? (null, error) : (Core.Hashing.Pdq.FromPixels(pixels, width, height, 4, rowBytes), null);
    }

    public static (PdqDihedral? Result, string? Error) PdqDihedral(ReadOnlySpan<byte> encoded)
    {
        var (pixels, width, height, rowBytes, error) = Decode(encoded);
        return pixels is null ? (null, error) : (Core.Hashing.Pdq.DihedralFromPixels(pixels, width, height, 4, rowBytes), null);
    }

    private static (byte[]? Pixels, int Width, int Height, int RowBytes, string? Error) Decode(ReadOnlySpan<byte> encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var status);
        if (codec is null)
        {
            return (null, 0, 0, 0, status == SKCodecResult.Unimplemented ? "unsupported-format" : "not-an-image");
        }

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0 || (long)width * height > MaxPixels)
        {
            return (null, 0, 0, 0, "too-large");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[info.BytesSize64];
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(pixels, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, handle.AddrOfPinnedObject());
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            {
                return (null, 0, 0, 0, "undecodable");
            }
        }
        finally
        {
            handle.Free();
        }

        return (pixels, width, height, info.RowBytes, null);
    }
}
