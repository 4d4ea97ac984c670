using System.Text;
using Hub.WebForm;
using SkiaSharp;

namespace Hub.Functions.Channels.Web;

/// <summary>A screenshot as it will be stored: re-encoded pixels only, with the original's SHA-256 kept beside it.</summary>
public sealed record CleanScreenshot(string ContentType, byte[] Bytes, string OriginalSha256, long OriginalSize, int Width, int Height);

/// <summary>
/// The form's screenshots: recognised by their bytes (never the name or the declared type), refused when they carry
/// markup (an HTML or SVG polyglot), decoded with SkiaSharp under pixel limits (a decompression bomb is refused before
/// any pixel is allocated), turned upright by their EXIF orientation, then re-encoded, so nothing but pixels is stored:
/// no EXIF (GPS, device), no XMP, no comments, no bytes after the image.
/// </summary>
public static class Screenshots
{
    public const int MaxSide = 16_384;

    /// <summary>A very long scrolling screenshot is about 1,200 × 20,000; more than this is not a phone's screenshot.</summary>
    public const long MaxPixels = 30_000_000;

    private static readonly byte[][] Markup = [.. new[] { "<script", "<html", "<svg", "<?php", "<!doctype", "<iframe", "<body", "<object", "<embed" }.Select(Encoding.ASCII.GetBytes)];

    /// <summary>The type the bytes are, by their signature: JPEG, PNG or WebP; null for anything else.</summary>
    public static string? Sniff(ReadOnlySpan<byte> b) =>
        b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF ? "image/jpeg"
        : b.Length >= 8 && b[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? "image/png"
        : b.Length >= 12 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8) ? "image/webp"
        : null;

    /// <summary>Whether HTML, SVG or script markup hides in the file (a polyglot that a browser could be made to run).</summary>
    public static bool CarriesMarkup(ReadOnlySpan<byte> bytes)
    {
        foreach (var marker in Markup)
        {
            if (IndexOfIgnoreCase(bytes, marker) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The cleaned image, or the reason (in Vietnamese, for the person) it is refused.</summary>
    public static (CleanScreenshot? Image, string? Problem) Clean(byte[] bytes, int position)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var which = $"Ảnh thứ {position}";
        if (bytes.Length == 0)
        {
            return (null, $"{which} bị rỗng. Hãy chọn lại ảnh.");
        }

        var type = Sniff(bytes);
        if (type is null)
        {
            return (null, $"{which} không phải ảnh JPEG, PNG hoặc WebP. Chỉ gửi được ảnh chụp màn hình ở ba dạng này.");
        }

        if (CarriesMarkup(bytes))
        {
            return (null, $"{which} có chứa nội dung không phải ảnh nên không nhận được. Hãy chụp lại màn hình và gửi ảnh mới.");
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null || FormatOf(codec.EncodedFormat) != type)
        {
            return (null, $"{which} bị hỏng hoặc không đọc được. Hãy chụp lại màn hình và gửi ảnh mới.");
        }

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0 || info.Width > MaxSide || info.Height > MaxSide || (long)info.Width * info.Height > MaxPixels)
        {
            return (null, $"{which} quá lớn ({info.Width} × {info.Height} điểm ảnh). Hãy gửi ảnh chụp màn hình thông thường.");
        }

        var decodeInfo = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var decoded = new SKBitmap(decodeInfo);
        if (codec.GetPixels(decodeInfo, decoded.GetPixels()) != SKCodecResult.Success)
        {
            return (null, $"{which} bị hỏng hoặc chưa tải lên hết. Hãy chọn lại ảnh.");
        }

        var upright = codec.EncodedOrigin is SKEncodedOrigin.TopLeft ? decoded : Upright(decoded, codec.EncodedOrigin);
        try
        {
            using var pixmap = upright.PeekPixels();
            using var encoded = type switch
            {
                "image/jpeg" => pixmap.Encode(new SKJpegEncoderOptions(90)),
                "image/webp" => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, 90)),
                // Screenshots are flat colours: zlib level 3 with the Sub and Up filters keeps them small at a fraction of
                // the default's cost (docs/benchmarks.md#web-form).
                _ => pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub | SKPngEncoderFilterFlags.Up, 3)),
            };
            if (encoded is null)
            {
                return (null, $"{which} không xử lý được. Hãy chụp lại màn hình và gửi ảnh mới.");
            }

            var outBytes = encoded.ToArray();
            return (new CleanScreenshot(Sniff(outBytes) ?? type, outBytes, Media.EvidenceStore.Sha256Hex(bytes), bytes.Length, upright.Width, upright.Height), null);
        }
        finally
        {
            if (!ReferenceEquals(upright, decoded))
            {
                upright.Dispose();
            }
        }
    }

    /// <summary>Every file of one submission: count and total size first (the page's stated limits), then each file.</summary>
    public static (List<CleanScreenshot> Images, string? Problem) CleanAll(IReadOnlyList<byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count > Limits.MaxFiles)
        {
            return ([], $"Em chọn {files.Count} ảnh; chỉ gửi được tối đa {Limits.MaxFiles} ảnh mỗi lần.");
        }

        if (files.Sum(f => (long)f.Length) > Limits.MaxTotalBytes)
        {
            return ([], $"Các ảnh cộng lại lớn hơn {Limits.MaxTotalMegabytes} MB. Hãy bớt ảnh hoặc gửi ảnh nhỏ hơn.");
        }

        var images = new List<CleanScreenshot>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            var (image, problem) = Clean(files[i], i + 1);
            if (problem is not null)
            {
                return ([], problem);
            }

            images.Add(image!);
        }

        return (images, null);
    }

    private static string? FormatOf(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => "image/jpeg",
        SKEncodedImageFormat.Png => "image/png",
        SKEncodedImageFormat.Webp => "image/webp",
        _ => null,
    };

    /// <summary>The pixels as the camera meant them to be seen (the EXIF orientation is applied, since it is not kept).</summary>
    private static SKBitmap Upright(SKBitmap source, SKEncodedOrigin origin)
    {
        var (w, h) = (source.Width, source.Height);
        var swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var result = new SKBitmap(new SKImageInfo(swap ? h : w, swap ? w : h, source.ColorType, source.AlphaType));
        using var canvas = new SKCanvas(result);
        var matrix = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        canvas.SetMatrix(matrix);
        canvas.DrawBitmap(source, 0, 0);
        return result;
    }

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        // Markers are ASCII and start with '<': find each '<' and compare the rest case-insensitively.
        var offset = 0;
        while (true)
        {
            var at = haystack[offset..].IndexOf(needle[0]);
            if (at < 0)
            {
                return -1;
            }

            at += offset;
            if (haystack.Length - at >= needle.Length && Ascii.EqualsIgnoreCase(haystack.Slice(at, needle.Length), needle))
            {
                return at;
            }

            offset = at + 1;
        }
    }
}
