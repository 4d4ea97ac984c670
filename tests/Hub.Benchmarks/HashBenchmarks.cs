using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Hub.Core.Hashing;
using Hub.Functions.Hashing;
using SkiaSharp;

namespace Hub.Benchmarks;

/// <summary>
/// <c>hashes [--sizes 1000000,10000000] [--queries N] [--images N]</c>: PDQ and the hash index (docs/benchmarks.md#hashes).
/// <list type="bullet">
/// <item>PDQ of a decoded 1024×768 image, one core: images per second, beside the floor of one SHA-256 pass over the same
///   pixels; decode + hash of its JPEG, beside decoding alone.</item>
/// <item>The index at each size, random and clustered: build time, memory per hash, query latency p50/p99 at radius 31
///   for near-duplicate and for random queries, and brute force over the same hashes in the same run.</item>
/// </list>
/// </summary>
internal static class HashBenchmarks
{
    public static Task<int> RunAsync(string[] args)
    {
        var sizes = Arg(args, "--sizes", "1000000,10000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var queries = int.Parse(Arg(args, "--queries", "2000"), CultureInfo.InvariantCulture);
        var images = int.Parse(Arg(args, "--images", "60"), CultureInfo.InvariantCulture);
        Console.WriteLine($"# hashes: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {TimeProvider.System.GetUtcNow():yyyy-MM-dd}");
        Pdq(images);
        foreach (var n in sizes)
        {
            Index(n, queries, clustered: false);
            Index(n, queries, clustered: true);
        }

        return Task.FromResult(0);
    }

    private static void Pdq(int images)
    {
        const int W = 1024, H = 768;
        var rgba = new byte[W * H * 4];
        var s = 2463534242u;
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                var i = ((y * W) + x) * 4;
                // A photo-like picture: smooth shapes and a little noise (not pure noise, which no camera takes).
                rgba[i] = (byte)((((x - 400) * (x - 400)) + ((y - 300) * (y - 300))) / 900 % 256);
                rgba[i + 1] = (byte)(((x / 64) + (y / 48)) % 2 == 0 ? 200 + (int)(s >> 29) : 40 + (int)(s >> 29));
                rgba[i + 2] = (byte)((x ^ y) & 0xFF);
                rgba[i + 3] = 255;
            }
        }

        using var bitmap = new SKBitmap(new SKImageInfo(W, H, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var jpegData = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        var jpeg = jpegData.ToArray();

        Hub.Core.Hashing.Pdq.FromPixels(rgba, W, H, 4, W * 4); // warm up
        var hash = Time(images, () => Hub.Core.Hashing.Pdq.FromPixels(rgba, W, H, 4, W * 4).Quality);
        var floor = Time(images, () => SHA256.HashData(rgba)[0]);
        var decodeHash = Time(images, () => ImageHashes.Pdq(jpeg).Result!.Value.Quality);
        var decode = Time(images, () =>
        {
            using var b = SKBitmap.Decode(jpeg);
            return b.Width;
        });
        Console.WriteLine();
        Console.WriteLine($"## PDQ, one core, 1024×768 ({images} images each; JPEG {jpeg.Length / 1024} KB)");
        Console.WriteLine("| what | per image | images/s |");
        Console.WriteLine("|---|---|---|");
        Row("PDQ of the decoded pixels (hashing alone)", hash);
        Row("floor: one SHA-256 pass over the same 3 MB of pixels", floor);
        Row("decode the JPEG + PDQ (ImageHashes.Pdq)", decodeHash);
        Row("floor: decode the JPEG alone (SkiaSharp)", decode);
    }

    private static void Index(int n, int queries, bool clustered)
    {
        var r = new Random(n + (clustered ? 1 : 0));
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var hashes = new PdqHash[n];
        var originals = Enumerable.Range(0, Math.Max(1, n / 1000)).Select(_ => RandomHash(r)).ToArray();
        for (var i = 0; i < n; i++)
        {
            hashes[i] = clustered ? Flip(originals[i % originals.Length], r.Next(0, 48), r) : RandomHash(r);
        }

        var sw = Stopwatch.StartNew();
        var index = PdqIndex.Build(hashes);
        var build = sw.Elapsed;
        hashes = null;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(index);
        var perHash = (after - before) / (double)n;

        var near = Enumerable.Range(0, queries).Select(_ => Flip(index[r.Next(n)], r.Next(0, 32), r)).ToArray();
        var random = Enumerable.Range(0, queries).Select(_ => RandomHash(r)).ToArray();
        foreach (var q in near.Take(50))
        {
            index.Search(q, 31); // warm up
        }

        var (nearP50, nearP99, nearHits) = Latencies(near, q => index.Search(q, 31).Count);
        var (randP50, randP99, _) = Latencies(random, q => index.Search(q, 31).Count);
        var bruteQueries = near.Take(Math.Max(5, 50_000_000 / n)).ToArray();
        var (bruteP50, bruteP99, bruteHits) = Latencies(bruteQueries, q => index.BruteForce(q, 31).Count);
        Console.WriteLine();
        Console.WriteLine($"## PDQ index, {n:N0} {(clustered ? "clustered" : "random")} hashes (radius 31)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"build {build.TotalSeconds:F1} s; {perHash:F0} bytes per hash (hash 32 + entry numbers 64 + offsets)"));
        Console.WriteLine("| queries | p50 | p99 | matches per query |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| index: near-duplicates (0–31 bits from a stored hash), {near.Length} | {Ms(nearP50)} | {Ms(nearP99)} | {nearHits:F1} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| index: random, {random.Length} | {Ms(randP50)} | {Ms(randP99)} | — |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| floor: brute force over the same hashes, {bruteQueries.Length} near-duplicates | {Ms(bruteP50)} | {Ms(bruteP99)} | {bruteHits:F1} |"));
    }

    private static (TimeSpan P50, TimeSpan P99, double MeanHits) Latencies(PdqHash[] queries, Func<PdqHash, int> search)
    {
        var times = new TimeSpan[queries.Length];
        long hits = 0;
        for (var i = 0; i < queries.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            hits += search(queries[i]);
            times[i] = Stopwatch.GetElapsedTime(start);
        }

        Array.Sort(times);
        return (times[times.Length / 2], times[Math.Min(times.Length - 1, (int)(times.Length * 0.99))], hits / (double)queries.Length);
    }

    private static TimeSpan Time(int n, Func<int> work)
    {
        var sink = 0;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            sink += work();
        }

        GC.KeepAlive(sink);
        return sw.Elapsed / n;
    }

    private static void Row(string what, TimeSpan each) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {each.TotalMilliseconds:F1} ms | {1 / each.TotalSeconds:F0} |"));

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:F3} ms");

    private static PdqHash RandomHash(Random r) => new((ulong)r.NextInt64() ^ ((ulong)r.Next() << 63), (ulong)r.NextInt64() ^ ((ulong)r.Next() << 63), (ulong)r.NextInt64() ^ ((ulong)r.Next() << 63), (ulong)r.NextInt64() ^ ((ulong)r.Next() << 63));

    private static PdqHash Flip(PdqHash h, int bits, Random r)
    {
        Span<ulong> w = [h.W0, h.W1, h.W2, h.W3];
        for (var i = 0; i < bits; i++)
        {
            var k = r.Next(256);
            w[k >> 6] ^= 1UL << (k & 63); // may flip a bit twice: the distance is at most bits
        }

        return new PdqHash(w[0], w[1], w[2], w[3]);
    }

    private static string Arg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
