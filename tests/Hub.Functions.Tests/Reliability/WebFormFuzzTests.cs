using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Reliability;

/// <summary>
/// 10,000 hostile bodies at the public form (docs/reliability.md): broken boundaries and truncated parts, huge and
/// odd fields, wrong encodings, duplicated and unknown fields, spoofed and broken files, garbled tokens. Most carry a
/// valid antiforgery pair and a past-the-fill-time form token, so they reach the parser, the checks and the intake.
/// Every answer is below 500 and a page; and nothing is half-written: the raw blobs and screenshots stored are exactly
/// those of the reports that got a receipt.
/// </summary>
[Collection(FuzzRunsAlone.Name)]
public sealed partial class WebFormFuzzTests(FuzzFixture hub) : IClassFixture<FuzzFixture>
{
    private const int Cases = 10_000;

    [Fact]
    public async Task WebForm_HostileBodies_NeverFailNeverHalfWrite()
    {
        var served = await WebForms.OpenAsync(hub.Client);
        var date = TimeProvider.System.GetUtcNow().ToString("yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture);
        var rawBefore = await ListAsync(HubStorage.RawContainer, $"web/{date}/");
        var evidenceBefore = await ListAsync(HubStorage.EvidenceContainer, $"web/{date}/");
        var logsBefore = hub.Logs.Lines.Count;
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var receipts = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Cases), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var h = new Hostile(11 * 1_000_003 + i, [.. hub.ForbiddenUrls]);
            using var request = Build(h, served.Antiforgery);
            try
            {
                using var response = await hub.Client.SendAsync(request, ct);
                var html = await response.Content.ReadAsStringAsync(ct);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                if ((int)response.StatusCode >= 500 || !html.Contains("<html lang=\"vi\">", StringComparison.Ordinal))
                {
                    failures.Enqueue($"web form case {i}: {(int)response.StatusCode} {html[..Math.Min(200, html.Length)]}");
                }

                if (response.StatusCode == HttpStatusCode.OK && WebForms.Receipt(html) is { } receipt)
                {
                    var shots = ShotsPattern().Match(html) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                    receipts[receipt.Code] = shots;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Enqueue($"web form case {i}: {ex.GetType().Name}: {ex.Message}");
            }
        });

        failures.ShouldBeEmpty(string.Join('\n', failures.Take(10)));
        statuses.Values.Sum().ShouldBe(Cases);
        var logs = string.Join('\n', hub.Logs.Lines.Skip(logsBefore));
        logs.ShouldNotContain("Unhandled", Case.Sensitive);
        Console.WriteLine($"fuzz web form: {Cases} cases, statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}, {receipts.Count} receipts");
        receipts.Count.ShouldBeGreaterThan(100, "enough cases got through every check to exercise the intake");
        statuses.Keys.Count(k => k >= 400).ShouldBeGreaterThan(2, "and enough were refused in different ways");

        // Nothing half-written: one raw blob per accepted report, and exactly its screenshots.
        var raws = (await ListAsync(HubStorage.RawContainer, $"web/{date}/")).Except(rawBefore).ToList();
        raws.Count.ShouldBe(receipts.Count);
        var evidence = (await ListAsync(HubStorage.EvidenceContainer, $"web/{date}/")).Except(evidenceBefore).ToList();
        evidence.Count.ShouldBe(receipts.Values.Sum());
    }

    private static readonly byte[][] Files =
    [
        WebForms.Png(), WebForms.Jpeg(), WebForms.Webp(), WebForms.JpegWithExifGps(),
        "<!doctype html><script>alert(1)</script>"u8.ToArray(),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"u8.ToArray(),
        [.. WebForms.Png(), .. "<html><script>x()</script>"u8.ToArray()],
        WebForms.Png(120, 120)[..90],
        "GIF89a\u0001\0\u0001\0\0\0\0;"u8.ToArray(),
        [],
    ];

    private HttpRequestMessage Build(Hostile h, string antiforgery)
    {
        var token = h.Chance(0.05) ? h.OddString() : WebForms.Backdated(hub.Services);
        var fields = WebForms.Fields(h.Chance(0.05) ? h.OddString() : antiforgery, token);
        var mutations = h.Next(4);
        for (var m = 0; m < mutations; m++)
        {
            var at = h.Next(fields.Count);
            switch (h.Next(6))
            {
                case 0: fields[at] = new(fields[at].Key, h.OddString()); break;
                case 1: fields.RemoveAt(at); break;
                case 2: fields.Add(new(fields[at].Key, h.OddString())); break;
                case 3: fields.Add(new(h.OddString(), h.OddString())); break;
                case 4: fields[at] = new(fields[at].Key, new string('ơ', h.Next(20_000))); break;
                default: fields.Add(new("what", h.Chance(0.5) ? "VIOL.SEXUAL" : h.OddString())); break;
            }
        }

        var files = Enumerable.Range(0, h.Chance(0.6) ? h.Next(3) : h.Next(8))
            .Select(_ => h.Chance(0.05) ? Enumerable.Range(0, h.Next(3_000_000)).Select(x => (byte)x).ToArray() : Files[h.Next(Files.Length)])
            .Select((b, n) => (b, h.Chance(0.1) ? h.OddString() : $"shot{n}.png", h.Chance(0.1) ? "text/html" : "image/png"))
            .ToArray();

        HttpContent content;
        var shape = h.Next(10);
        if (shape < 6)
        {
            content = SafeMultipart(fields, files);
        }
        else if (shape < 7)
        {
            content = new FormUrlEncodedContent(fields.Where(f => f.Key.Length > 0));
        }
        else
        {
            // A multipart body, then broken: truncated, bytes flipped, its boundary not the one declared, re-encoded.
            using var multipart = SafeMultipart(fields, files);
            using var stream = multipart.ReadAsStream();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var boundary = multipart.Headers.ContentType!.Parameters.First(p => p.Name == "boundary").Value!.Trim('"');
            bytes = h.Next(5) switch
            {
                0 => bytes[..h.Next(bytes.Length + 1)],
                1 => h.Corrupt(bytes),
                2 => Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(bytes)),
                3 => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal)),
                _ => bytes,
            };
            var raw = new ByteArrayContent(bytes);
            var type = h.Next(6) switch
            {
                0 => "multipart/form-data",
                1 => "multipart/form-data; boundary=" + new string('b', 300),
                2 => $"multipart/form-data; boundary=\"{boundary}\"; charset=utf-16",
                3 => "multipart/form-data; boundary=wrong",
                4 => "text/plain",
                _ => $"multipart/form-data; boundary={boundary}",
            };
            raw.Headers.TryAddWithoutValidation("Content-Type", type);
            content = raw;
        }

        var path = h.Chance(0.1) ? "/report" : "/bao-cao";
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    /// <summary>A multipart body even for names HttpClient would refuse to write (they go in as escaped text, so the server still sees them).</summary>
    private static MultipartFormDataContent SafeMultipart(List<KeyValuePair<string, string>> fields, (byte[] Bytes, string Name, string Type)[] files)
    {
        var content = new MultipartFormDataContent("----fuzz" + Guid.NewGuid().ToString("N"));
        foreach (var (k, v) in fields)
        {
            var part = new StringContent(v, Encoding.UTF8);
            part.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"{Escape(k)}\"");
            content.Add(part);
        }

        foreach (var (bytes, name, type) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.TryAddWithoutValidation("Content-Type", type);
            part.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"screenshots\"; filename=\"{Escape(name)}\"");
            content.Add(part);
        }

        return content;
    }

    private static string Escape(string s) => new([.. s.Where(c => c is >= ' ' and < '\u007f' and not '"' and not '\\').Take(200)]);

    private async Task<HashSet<string>> ListAsync(string container, string prefix)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var client = hub.Storage.Container(container);
        await foreach (var blob in client.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
        {
            names.Add(blob.Name);
        }

        return names;
    }

    [GeneratedRegex("Đã nhận (\\d+) ảnh")]
    private static partial Regex ShotsPattern();
}
