using System.Security.Cryptography;
using Hub.Core.Hashing;

namespace Hub.Core.Tests.Hashing;

/// <summary>
/// PDQ conformance with the synthetic vectors of <c>../shared/reference/pdq-synthetic.md</c>: each image is built here
/// from its integer formula (its pixel bytes checked by SHA-256 first, so a generator bug cannot pass for a hashing
/// bug), and must give the reference C++ library's hash bit for bit and its quality exactly — the strict vectors too.
/// </summary>
public sealed class PdqTests
{
    private sealed record Image(int Width, int Height, byte[] Rgb);

    private static Image Build(int w, int h, Func<int, int, (int R, int G, int B)> pixel)
    {
        var rgb = new byte[w * h * 3];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var (r, g, b) = pixel(x, y);
                var i = ((y * w) + x) * 3;
                (rgb[i], rgb[i + 1], rgb[i + 2]) = ((byte)r, (byte)g, (byte)b);
            }
        }

        return new Image(w, h, rgb);
    }

    private static Image Gradient() => Build(320, 240, (x, y) => (255 * x / 319, 255 * y / 239, 255 * (x + y) / (320 + 240 - 2)));

    private static Image Noise(int add = 0)
    {
        const int W = 500, H = 375;
        var rgb = new byte[W * H * 3];
        var s = 2463534242u;
        for (var i = 0; i < rgb.Length; i++)
        {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            rgb[i] = (byte)Math.Min(255, (int)(s >> 24) + add);
        }

        return new Image(W, H, rgb);
    }

    private static (int, int, int) RingsPixel(int x, int y)
    {
        var r = (int)Math.Sqrt(((x - 250) * (x - 250)) + ((y - 180) * (y - 180)));
        return ((r / 12) % 2 == 0 ? 230 : 25, ((x / 45) + (y / 45)) % 2 == 0 ? 210 : 40, 255 * y / 431);
    }

    private static Image Rings() => Build(576, 432, RingsPixel);

    private static Image RingsMirror() => Build(576, 432, (x, y) => RingsPixel(575 - x, y));

    private static Image Large() => Build(1920, 1080, (x, y) => ((((x * x) + (y * y)) / 2048) % 256, (((x / 96) * 53) + ((y / 72) * 101)) % 256, (x ^ y) % 256));

    private static Image ImageNamed(string name) => name switch
    {
        "gradient" => Gradient(),
        "noise" => Noise(),
        "noise_bright12" => Noise(12),
        "rings" => Rings(),
        "rings_mirror" => RingsMirror(),
        "large" => Large(),
        "tiny4" => Build(4, 4, (x, y) => (60 * x, 60 * y, 100)),
        "tiny5" => Build(5, 5, (x, y) => (((37 * x) + (91 * y)) % 256, ((53 * x * x) + (17 * y)) % 256, ((29 * x * y) + 7) % 256)),
        "exact64" => Build(64, 64, (x, y) => ((4 * x) % 256, ((x / 9) + (y / 7)) % 2 == 0 ? 255 : 0, (x * y) % 256)),
        "flat_grey" => Build(256, 256, (_, _) => (128, 128, 128)),
        "flat_black" => Build(256, 256, (_, _) => (0, 0, 0)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static PdqResult Hash(Image i) => Pdq.FromPixels(i.Rgb, i.Width, i.Height, 3, i.Width * 3);

    [Theory]
    [InlineData("gradient", "aaaa1154aaaabbbe55551d553555611433ff6628756f66c4388566ad7d986452", 24, "d1340362b19609b7d045acd60857e78ecfd829deb90d95f54b1b5e829f3bfd77")]
    [InlineData("noise", "e90451d97b8c1827cd7c92c846ef54923a18bffad2d99732da749922b2c858bb", 100, "ddb81844e87dcd8f82063aea66b2f7c79b8316be84655c30b756772019db4e1b")]
    [InlineData("noise_bright12", "e90451d97b8c1827cd7c92c846ef54923a1abffad2d99732ca749922b2c858bb", 100, "0de5526bf13e84374ce773c770e89cc4025afb5432ee48646390dd8c23153759")]
    [InlineData("rings", "b110b000b118b000f118f000b0000fff4fbf4fff0bbb0fee0bb90fee4fbb0fff", 100, "61ee9fa1ebf0f399ac3653ed3435136da148b7ac25eed9ca71eb8831cb83390d")]
    [InlineData("rings_mirror", "a44ce555e64da555a44ca555a5555aaa1aaa1aaa5aee5aaadaee1aaa1aea5aaa", 100, "e5c85b6a900b7f8c860fbd37a1d485ef89385707f7f388fd1a2953ebfdb36d2f")]
    [InlineData("large", "731ccffe7cc3e0df00bf17a87e333daad700450fb8e0bf80ce0e89a0987899a4", 100, "9f1b00668390692947958fb505be051ec1358e4d70ddb7e62f264d5d1ae81da7")]
    [InlineData("tiny4", "0000000000000000000000000000000000000000000000000000000000000000", 0, "8e9bffaa0713e567e20acbdb894531034a4d21a9f97aad40b1266af0047579f9")]
    [InlineData("tiny5", "6b5ab18c94a56e5b348d318c6b5ace7396a595a46b5ab18c94a56e5b6cd9318c", 99, "b572c8eb18b09a894534d555c59ff94188b612d39dde1a44ec1c56a9945137a6")]
    [InlineData("exact64", "9b91313b2a81c4738e8018632a80d17fd57f056e547ff07ec07f017a557efc68", 100, "9a2dfc50efbba1797ab26ed0f1cb0ad3ad0bcb8896d6138135a813b3c184b70a")]
    [InlineData("flat_grey", "000000002c4b11342c4b2c4b0000554b00002c4b113411342c4b585e2c4b017e", 0, "83ab53863cf746efe2611c6b521cfbdefba4f5325cf123ab451c385035b394ef")]
    [InlineData("flat_black", "0000000000000000000000000000000000000000000000000000000000000000", 0, "3381de4ca9f3a477f25989dfc8b744e7916046b7aa369f61a9a2f7dc0963ec9e")]
    public void Synthetic_ReproducesTheReferenceHashAndQuality_Exactly(string name, string hash, int quality, string rgbSha256)
    {
        var image = ImageNamed(name);
        Convert.ToHexStringLower(SHA256.HashData(image.Rgb)).ShouldBe(rgbSha256, "the generated pixels are the reference's");
        var result = Hash(image);
        result.Hash.ToString().ShouldBe(hash);
        result.Quality.ShouldBe(quality);
        Pdq.DihedralFromPixels(image.Rgb, image.Width, image.Height, 3, image.Width * 3).Original.ShouldBe(result.Hash, "the dihedral routine's original is the plain hash");
    }

    [Fact]
    public void Noise_ThePixelGenerator_StartsAsTheReferenceSays() => Noise().Rgb[..3].ShouldBe(new byte[] { 43, 148, 123 });

    [Fact]
    public void Windows_AreTheReferences()
    {
        (Pdq.WindowSize(320), Pdq.WindowSize(240)).ShouldBe((3, 2));
        (Pdq.WindowSize(1920), Pdq.WindowSize(1080)).ShouldBe((15, 9));
        (Pdq.WindowSize(5), Pdq.WindowSize(576), Pdq.WindowSize(432)).ShouldBe((1, 5, 4));
    }

    [Fact]
    public void NearDuplicate_IsTwoBitsAway_AndUnrelatedImagesAreFar()
    {
        Hash(Noise()).Hash.Distance(Hash(Noise(12)).Hash).ShouldBe(2);
        var hashes = new[] { "noise", "rings", "large", "tiny5", "exact64" }.Select(n => Hash(ImageNamed(n)).Hash).ToList();
        for (var i = 0; i < hashes.Count; i++)
        {
            for (var j = i + 1; j < hashes.Count; j++)
            {
                hashes[i].Distance(hashes[j]).ShouldBeGreaterThanOrEqualTo(106);
            }
        }
    }

    [Fact]
    public void Dihedral_TheEightVariantsOfRings_AreTheReferences_AndFlipYIsTheMirror()
    {
        var rings = Rings();
        var d = Pdq.DihedralFromPixels(rings.Rgb, rings.Width, rings.Height, 3, rings.Width * 3);
        d.All.Select(h => h.ToString()).ShouldBe(
        [
            "b110b000b118b000f118f000b0000fff4fbf4fff0bbb0fee0bb90fee4fbb0fff",
            "fe086139fe0001ff01fffe0021ff560001fffe2a01ff5600a9fffe2801ff7600",
            "a44c1aaae64d5aaaa44c5aaaa555a5551aaae5551aeea555daeee5551aaaa555",
            "ab5dcb93ab55ab5554aa54aa74aafcaa54aa548054aafcaafcaa548254aadcaa",
            "f1194fffb3180ffff1190ffff000f0004fffb0000fbbf0008fbbb0004fbff000",
            "a44ce555e64da555a44ca555a5555aaa1aaa1aaa5aee5aaadaee1aaa1aea5aaa",
            "fe000cc2fe00fe0001ff01d701ffa9ff01ff015501ffa9eb29ff01d501f701eb",
            "ab5d344cab5554aa54aaab5574aa035554aaab7d54aa0355fcaaab7d54aa2355",
        ]);
        d.Quality.ShouldBe(100);
        var mirror = RingsMirror();
        d.FlipY.Distance(Hash(mirror).Hash).ShouldBe(0);
        Pdq.DihedralFromPixels(mirror.Rgb, mirror.Width, mirror.Height, 3, mirror.Width * 3).FlipY.ShouldBe(d.Original);
        d.All.Where(h => h != d.FlipY).ShouldAllBe(h => h.Distance(Hash(mirror).Hash) >= 100);
    }

    [Fact]
    public void RgbaPixels_HashLikeTheirRgb()
    {
        var rings = Rings();
        var rgba = new byte[rings.Width * rings.Height * 4];
        for (var i = 0; i < rings.Width * rings.Height; i++)
        {
            (rgba[i * 4], rgba[(i * 4) + 1], rgba[(i * 4) + 2], rgba[(i * 4) + 3]) = (rings.Rgb[i * 3], rings.Rgb[(i * 3) + 1], rings.Rgb[(i * 3) + 2], 255);
        }

        Pdq.FromPixels(rgba, rings.Width, rings.Height, 4, rings.Width * 4).ShouldBe(Hash(rings));
    }

    [Theory]
    [InlineData("e90451d97b8c1827cd7c92c846ef54923a18bffad2d99732da749922b2c858bb")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    public void Hex_RoundTrips(string hex)
    {
        PdqHash.TryParse(hex, out var h).ShouldBeTrue();
        h.ToString().ShouldBe(hex);
        PdqHash.TryParse(hex.ToUpperInvariant(), out var upper).ShouldBeTrue();
        upper.ShouldBe(h);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("e90451d97b8c1827cd7c92c846ef54923a18bffad2d99732da749922b2c858b")]
    [InlineData("e90451d97b8c1827cd7c92c846ef54923a18bffad2d99732da749922b2c858bbb")]
    [InlineData("g90451d97b8c1827cd7c92c846ef54923a18bffad2d99732da749922b2c858bb")]
    [InlineData("e90451d97b8c1827cd7c92c846ef54923a18bffad2d99732da749922b2c858b ")]
    public void Hex_RefusesWhatIsNotAHash(string? hex) => PdqHash.TryParse(hex, out _).ShouldBeFalse();

    [Fact]
    public void Bits_AreNumberedAsTheReferenceFormatsThem()
    {
        // Bit 0 is the last hex digit's lowest bit; bit 255 the first digit's highest.
        var h = PdqHash.Parse("8000000000000000000000000000000000000000000000000000000000000001");
        h.Bit(0).ShouldBeTrue();
        h.Bit(255).ShouldBeTrue();
        Enumerable.Range(1, 254).ShouldAllBe(k => !h.Bit(k));
        h.Chunk(0).ShouldBe((ushort)1);
        h.Chunk(15).ShouldBe((ushort)0x8000);
    }
}
