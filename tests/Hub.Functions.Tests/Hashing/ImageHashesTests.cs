using System.Security.Cryptography;
using Hub.Core.Envelope;
using Hub.Functions.Hashing;
using SkiaSharp;

namespace Hub.Functions.Tests.Hashing;

/// <summary>
/// Decoding for PDQ and the evidence digests: a lossless PNG of the synthetic <c>rings</c> image decodes to the very
/// pixels the reference hashed, so it must give the reference hash bit for bit; what is not an image is refused by name.
/// </summary>
public sealed class ImageHashesTests
{
    internal const string RingsHash = "b110b000b118b000f118f000b0000fff4fbf4fff0bbb0fee0bb90fee4fbb0fff";

    internal static byte[] RingsPng()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(576, 432, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < 432; y++)
        {
            for (var x = 0; x < 576; x++)
            {
                var r = (int)Math.Sqrt(((x - 250) * (x - 250)) + ((y - 180) * (y - 180)));
                bitmap.SetPixel(x, y, new SKColor((byte)((r / 12) % 2 == 0 ? 230 : 25), (byte)(((x / 45) + (y / 45)) % 2 == 0 ? 210 : 40), (byte)(255 * y / 431)));
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void LosslessPng_OfTheRingsVector_HashesToTheReferenceExactly()
    {
        var (result, error) = ImageHashes.Pdq(RingsPng());
        error.ShouldBeNull();
        result!.Value.Hash.ToString().ShouldBe(RingsHash);
        result.Value.Quality.ShouldBe(100);
        ImageHashes.PdqDihedral(RingsPng()).Result!.FlipY.ToString().ShouldBe("a44ce555e64da555a44ca555a5555aaa1aaa1aaa5aee5aaadaee1aaa1aea5aaa");
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x3C, 0x68, 0x74, 0x6D, 0x6C, 0x3E })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00 })] // a PNG signature and nothing after it
    public void NotAnImage_IsRefusedWithAReason(byte[] bytes)
    {
        var (result, error) = ImageHashes.Pdq(bytes);
        result.ShouldBeNull();
        error.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public void EvidenceDigests_AddMd5Sha1AndForAnImageItsPdq()
    {
        var png = RingsPng();
        var image = EvidenceDigests.With(new Evidence { Kind = "image", Sha256 = "x" }, png);
#pragma warning disable CA5350, CA5351 // the test recomputes the interoperability digests
        image.Md5.ShouldBe(Convert.ToHexStringLower(MD5.HashData(png)));
        image.Sha1.ShouldBe(Convert.ToHexStringLower(SHA1.HashData(png)));
        var md5OfBroken = Convert.ToHexStringLower(MD5.HashData(new byte[] { 1, 2, 3 }));
#pragma warning restore CA5350, CA5351
        (image.Pdq, image.PdqQuality).ShouldBe((RingsHash, 100));

        var audio = EvidenceDigests.With(new Evidence { Kind = "audio" }, png);
        audio.Pdq.ShouldBeNull("only images get a PDQ hash");
        audio.Md5.ShouldNotBeNull();
        var broken = EvidenceDigests.With(new Evidence { Kind = "image" }, [1, 2, 3]);
        (broken.Pdq, broken.PdqQuality, broken.Md5).ShouldBe((null, null, md5OfBroken));
    }
}
