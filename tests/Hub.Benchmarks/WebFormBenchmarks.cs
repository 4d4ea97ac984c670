using BenchmarkDotNet.Attributes;
using Hub.Functions.Channels.Web;
using Hub.WebForm;
using SkiaSharp;

namespace Hub.Benchmarks;

/// <summary>
/// The CPU work of one web form submission before storage: the fields' rules, and each screenshot's check and
/// re-encode (the part that costs). Floors in the same run: decoding the same image and nothing more (what any
/// look at the pixels costs), and the SHA-256 every stored file pays anyway.
/// </summary>
[MemoryDiagnoser]
public class WebFormBenchmarks
{
    private byte[] _png = [];
    private byte[] _jpeg = [];
    private readonly (string Name, string Value)[] _fields =
    [
        ("who", "self"), ("what", "OCSEA.SEXTORTION"), ("what", "OCSEA.GROOMING"),
        ("details", "Có người lạ trên TikTok dọa tung ảnh của em nếu em không gửi thêm ảnh. Em sợ lắm, em ở Quảng Nam."),
        ("platform", "tiktok"), ("links", "https://www.tiktok.com/@ke.xau\nhttps://www.facebook.com/groups/12345"), ("accounts", "@ke.xau"),
        ("age", "14-15"), ("province", "Quảng Nam"), ("contact-mode", "contact"), ("contact-kind", "zalo"), ("contact", "0912 345 678"), ("consent", "1"),
    ];

    [GlobalSetup]
    public void Setup()
    {
        // A phone's screenshot of a chat: 1170 × 2532 (an iPhone 13's screen), flat colours and text-like stripes.
        using var bitmap = new SKBitmap(1170, 2532);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0xF0, 0xF2, 0xF5));
            using var bubble = new SKPaint { Color = new SKColor(0x00, 0x84, 0xFF) };
            using var grey = new SKPaint { Color = new SKColor(0xE4, 0xE6, 0xEB) };
            using var ink = new SKPaint { Color = new SKColor(0x1A, 0x1A, 0x1A) };
            for (var y = 120; y < 2400; y += 180)
            {
                var mine = (y / 180) % 2 == 0;
                canvas.DrawRoundRect(mine ? 420 : 40, y, 700, 140, 40, 40, mine ? bubble : grey);
                for (var line = 0; line < 3; line++)
                {
                    canvas.DrawRect((mine ? 460 : 80) + (line * 13 % 40), y + 28 + (line * 34), 560 - (line * 90), 14, ink);
                }
            }
        }

        using (var png = bitmap.Encode(SKEncodedImageFormat.Png, 100))
        {
            _png = png.ToArray();
        }

        using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        _jpeg = jpeg.ToArray();
        Console.WriteLine($"// screenshot 1170×2532: PNG {_png.Length} B → stored {Screenshots.Clean(_png, 1).Image!.Bytes.Length} B; JPEG {_jpeg.Length} B → stored {Screenshots.Clean(_jpeg, 1).Image!.Bytes.Length} B");
    }

    [Benchmark]
    public int Fields() => FormInput.From(name => _fields.Where(f => f.Name == name).Select(f => f.Value).ToList()).Validate().Count;

    [Benchmark]
    public string FloorSha256Png() => Hub.Functions.Media.EvidenceStore.Sha256Hex(_png);

    [Benchmark]
    public int FloorDecodePng()
    {
        using var decoded = SKBitmap.Decode(_png);
        return decoded.Width;
    }

    [Benchmark(Baseline = true)]
    public int CleanPng() => Screenshots.Clean(_png, 1).Image!.Bytes.Length;

    [Benchmark]
    public int FloorDecodeJpeg()
    {
        using var decoded = SKBitmap.Decode(_jpeg);
        return decoded.Width;
    }

    [Benchmark]
    public int CleanJpeg() => Screenshots.Clean(_jpeg, 1).Image!.Bytes.Length;
}
