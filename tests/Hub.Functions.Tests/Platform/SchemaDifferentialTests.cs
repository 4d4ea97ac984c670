using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Functions.Hosting;
using Hub.Functions.Platform;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Functions.Tests.Platform;

/// <summary>
/// The app's schema validator (compiled from the published schema over System.Text.Json) against NJsonSchema, the
/// validator it replaced (test-only now): the examples and a generated corpus of valid and invalid reports, every
/// single-field mutation of two full reports plus random combinations and malformed bytes, must get the same
/// verdict, the same error paths and the same messages from the whole parse (bytes to typed report).
/// </summary>
public sealed class SchemaDifferentialTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly PlatformReports _reports = new(null!, null!, null!, Microsoft.Extensions.Options.Options.Create(new HubOptions()), new FakeTimeProvider(Now), null!);

    /// <summary>Values every field is replaced with in turn: wrong types, edges of each keyword, formats NJsonSchema and .NET read differently.</summary>
    private static readonly Func<JsonNode?>[] Replacements =
    [
        () => null, () => true, () => 0, () => -1, () => 25, () => 26, () => 100, () => 101, () => 65535, () => 65536,
        () => JsonNode.Parse("1.5"), () => JsonNode.Parse("2.0"), () => JsonNode.Parse("1e2"), () => JsonNode.Parse("99999999999999999999999"),
        () => JsonNode.Parse("-0"), () => JsonNode.Parse("9223372036854775808"), () => 11, () => 48,
        () => "", () => "x", () => "x\n", () => "tt-1\n", () => " spaced", () => new string('a', 129), () => new string('b', 4001),
        () => "😀" + new string('c', 127), () => "Đà Nẵng", () => "48", () => "VN", () => "vn", () => "login", () => "spam", () => "other",
        () => "2026-11-20", () => "2026", () => "2026-11", () => "20261120", () => "2026-11-20T21:14:00", () => "2026-11-20T21:14:00+07:00",
        () => "2026-11-20 21:14:00Z", () => "2026-11-20T21:14:00.1234567Z", () => "2030-01-01T00:00:00Z", () => "2026-13-01", () => "2026-11-20Z",
        () => "not a date", () => "https://ok.example/a", () => "http://", () => "ftp://x.example", () => "/relative", () => "https://x.example/" + new string('p', 2040),
        () => "a@b.co", () => "a@b", () => "A.B@EXAMPLE.VN", () => "image/png", () => "image", () => "203.0.113.45", () => "::1", () => "zz",
        () => new string('f', 32), () => new string('F', 40), () => new string('0', 64), () => new string('g', 64),
        () => new JsonObject(), () => new JsonArray(), () => new JsonArray("spam", "spam"), () => new JsonArray(1, "1"), () => new JsonArray(new JsonObject()),
        () => new JsonArray("https://a.example", "https://a.example"), () => new JsonObject { ["md5"] = "x" }, () => new JsonObject { ["type"] = "other" },
    ];

    [Fact]
    public void Examples_SameVerdictAsNJsonSchema_AndValid()
    {
        var report = Encoding.UTF8.GetBytes(PlatformSchema.ReadResource(PlatformSchema.ReportExampleResource));
        Compare(report, "$").ShouldBeNull();
        _reports.Parse(report, "$").Report.ShouldNotBeNull();
        foreach (var item in JsonNode.Parse(PlatformSchema.ReadResource(PlatformSchema.BatchExampleResource))!["reports"]!.AsArray())
        {
            var bytes = Encoding.UTF8.GetBytes(item!.ToJsonString());
            Compare(bytes, "$.reports[0]").ShouldBeNull();
            _reports.Parse(bytes, "$").Report.ShouldNotBeNull();
        }
    }

    [Fact]
    public void EverySingleFieldMutation_SameVerdictPathsAndMessages()
    {
        var mismatches = new List<string>();
        var (valid, invalid) = (0, 0);
        foreach (var (name, seed) in Seeds())
        {
            foreach (var path in Paths(seed))
            {
                foreach (var doc in Mutations(seed, path))
                {
                    foreach (var options in new[] { JsonSerializerOptions.Default, Relaxed })
                    {
                        var bytes = Encoding.UTF8.GetBytes(doc.ToJsonString(options));
                        var mismatch = Compare(bytes, "$");
                        if (mismatch is not null)
                        {
                            mismatches.Add($"{name} {path}: {doc.ToJsonString(Relaxed)[..Math.Min(300, doc.ToJsonString(Relaxed).Length)]}\n  {mismatch}");
                        }
                        else if (_reports.Parse(bytes, "$").Report is null)
                        {
                            invalid++;
                        }
                        else
                        {
                            valid++;
                        }
                    }
                }
            }
        }

        mismatches.Take(10).ShouldBeEmpty(string.Join("\n", mismatches.Take(10)));
        valid.ShouldBeGreaterThan(500);   // the corpus must exercise both verdicts
        invalid.ShouldBeGreaterThan(5000);
    }

    [Fact]
    public void RandomCombinations_SameVerdictPathsAndMessages()
    {
        var random = new Random(21);
        var seeds = Seeds().ToArray();
        var mismatches = new List<string>();
        var verdicts = new HashSet<bool>();
        for (var n = 0; n < 3000; n++)
        {
            var doc = seeds[random.Next(seeds.Length)].Node.DeepClone();
            for (var k = random.Next(1, 5); k > 0; k--)
            {
                var paths = Paths(doc).ToArray();
                var choices = Mutations(doc, paths[random.Next(paths.Length)]).ToArray();
                doc = choices[random.Next(choices.Length)];
            }

            var basePath = n % 3 == 0 ? $"$.reports[{n % 100}]" : "$";
            var bytes = Encoding.UTF8.GetBytes(doc.ToJsonString(n % 2 == 0 ? Relaxed : JsonSerializerOptions.Default));
            if (Compare(bytes, basePath) is { } mismatch)
            {
                mismatches.Add(doc.ToJsonString(Relaxed) + "\n  " + mismatch);
            }

            verdicts.Add(_reports.Parse(bytes, basePath).Report is null);
        }

        mismatches.Take(10).ShouldBeEmpty(string.Join("\n", mismatches.Take(10)));
        verdicts.Count.ShouldBe(2);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("\"report\"")]
    [InlineData("{\"platformReportId\":\"a\",\"incident\":{\"type\":\"other\"},}")]
    [InlineData("{\"platformReportId\":\"a\",\"incident\":{\"type\":\"other\"}} x")]
    [InlineData("{\"platformReportId\":\"a\",\"platformReportId\":\"b c\",\"incident\":{\"type\":\"other\"}}")]
    [InlineData("{\"platformReportId\":\"a\",\"incident\":{\"type\":\"other\"},\"files\":[{\"hashes\":{\"md5\":\"x\",\"md5\":\"0cc175b9c0f1b6a831c399e269772661\"}}]}")]
    [InlineData("{\"platformReportId\":\"\\u0061b\",\"incident\":{\"type\":\"\\u006fther\",\"description\":\"\\ud83d\\ude00\"}}")]
    [InlineData("{\"platformReportId\":\"a\",\"incident\":{\"type\":\"other\"},\"extra\":1,\"extra\":2}")]
    [InlineData("{\"platformReportId\":\"a\",\"incident\":{\"type\":\"other\"},\"victim\":{\"estimatedAgeMin\":15,\"estimatedAgeMax\":12}}")]
    [InlineData("{\"platformReportId\":\"a\",\"incident\":{\"type\":\"other\",\"occurredAt\":\"2027-01-01T00:00:00Z\"}}")]
    [InlineData("{\"platformReportId\":\"a\",\"incident\":{\"type\":\"other\"},\"files\":[{\"size\":99999999999999999999,\"hashes\":{\"md5\":\"0cc175b9c0f1b6a831c399e269772661\"}}]}")]
    [InlineData("{\"platformReportId\":\"a\",\"incident\":{\"type\":\"other\"},\"location\":{\"provinceCode\":11}}")]
    public void MalformedAndEdgeDocuments_SameVerdict(string json)
    {
        Compare(Encoding.UTF8.GetBytes(json), "$").ShouldBeNull();
        Compare([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(json)], "$").ShouldBeNull();
    }

    [Fact]
    public void InvalidUtf8_SameVerdict()
    {
        byte[] bytes = [.. "{\"platformReportId\":\"a"u8, 0xC3, 0x28, .. "\",\"incident\":{\"type\":\"other\"}}"u8];
        Compare(bytes, "$").ShouldBeNull();
        _reports.Parse(bytes, "$").Errors!["$"].ShouldBe(["is not valid JSON (not UTF-8)"]);
    }

    [Fact]
    public void Compile_RefusesAKeywordItDoesNotImplement()
    {
        var ex = Should.Throw<NotSupportedException>(() => SchemaSubset.Compile("""{"type":"object","properties":{"a":{"type":"string","oneOf":[]}}}"""));
        ex.Message.ShouldContain("oneOf");
        Should.Throw<NotSupportedException>(() => SchemaSubset.Compile("""{"type":["string","null"]}"""));
        Should.Throw<NotSupportedException>(() => SchemaSubset.Compile("""{"type":"string","format":"ipv4"}"""));
    }

    private int _crashes;

    /// <summary>null when both agree; otherwise what each said.</summary>
    private string? Compare(byte[] bytes, string basePath)
    {
        var expected = NJsonSchemaReference.ParseErrors(bytes, basePath, Now);
        var actual = _reports.Parse(bytes, basePath).Errors;
        if (expected is not null && expected.ContainsKey(NJsonSchemaReference.Crashed))
        {
            // Where NJsonSchema threw (the old path answered 500), the hub must refuse with errors.
            Interlocked.Increment(ref _crashes);
            return actual is { Count: > 0 } ? null : "NJsonSchema threw; hub: valid";
        }

        static string Show(Dictionary<string, string[]>? e) =>
            e is null ? "valid" : string.Join("; ", e.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + ": " + string.Join(" | ", kv.Value.Order(StringComparer.Ordinal))));
        var (a, b) = (Show(expected), Show(actual));
        return a == b ? null : $"NJsonSchema: {a}\n  hub:         {b}";
    }

    private static IEnumerable<(string Name, JsonNode Node)> Seeds()
    {
        yield return ("example", JsonNode.Parse(PlatformSchema.ReadResource(PlatformSchema.ReportExampleResource))!);
        yield return ("full", JsonNode.Parse("""
            {
              "platformReportId": "fb:2026.11-000999",
              "incident": { "type": "child-sexual-abuse-material", "occurredAt": "2026-11-21T03:12:00.5+07:00", "annotations": ["csam-solicitation", "spam"],
                            "escalateToHighPriority": "Trẻ đang bị đe dọa", "description": "Mô tả ngắn" },
              "contentUrls": ["https://a.example/1", "http://b.example/2"],
              "files": [
                { "fileName": "a.jpg", "url": "https://cdn.example/a.jpg", "contentType": "image/jpeg", "size": 0,
                  "hashes": { "md5": "0cc175b9c0f1b6a831c399e269772661", "sha1": "2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12",
                              "sha256": "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592", "pdq": "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22" },
                  "pdqQuality": 49, "viewedByPlatform": false, "publiclyAvailable": true, "tags": ["generative-ai", "infant"] },
                { "hashes": { "pdq": "0000000000000000000000000000000000000000000000000000000000000000" } }
              ],
              "reportedAccounts": [
                { "platformUserId": "u1", "screenName": "s", "displayName": "Tên", "profileUrl": "https://a.example/u1",
                  "ipCaptureEvents": [ { "ipAddress": "2001:db8::1", "eventName": "upload", "at": "2026-11-20T20:58:11-05:00", "port": 1, "possibleProxy": true } ] }
              ],
              "victim": { "estimatedAgeMin": 0, "estimatedAgeMax": 25 },
              "location": { "provinceCode": "01", "countryCode": "VN", "hint": "Hà Nội" },
              "actionsTaken": [ { "action": "none" }, { "action": "reported-to-law-enforcement", "at": "2026-11-21T04:00:00Z" } ],
              "contact": { "name": "T&S", "email": "tns@example.com" }
            }
            """)!);
    }

    /// <summary>Every property and array item of <paramref name="root"/>, as a list of steps (name or index); the root is the empty path.</summary>
    private static List<PathSteps> Paths(JsonNode root)
    {
        var found = new List<PathSteps> { new([]) };
        void Walk(JsonNode? node, List<object> steps)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        var next = new List<object>(steps) { k };
                        found.Add(new PathSteps([.. next]));
                        Walk(v, next);
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        var next = new List<object>(steps) { i };
                        found.Add(new PathSteps([.. next]));
                        Walk(a[i], next);
                    }

                    break;
            }
        }

        Walk(root, []);
        return found;
    }

    /// <summary>The documents one change at <paramref name="path"/> makes: removed, replaced by each value, and for containers grown, emptied, repeated.</summary>
    private static IEnumerable<JsonNode> Mutations(JsonNode seed, PathSteps path)
    {
        if (path.Steps.Length > 0)
        {
            yield return Change(seed, path, (parent, step) =>
            {
                if (parent is JsonObject o)
                {
                    o.Remove((string)step);
                }
                else
                {
                    ((JsonArray)parent).RemoveAt((int)step);
                }
            });

            foreach (var make in Replacements)
            {
                yield return Change(seed, path, (parent, step) =>
                {
                    if (parent is JsonObject o)
                    {
                        o[(string)step] = make();
                    }
                    else
                    {
                        ((JsonArray)parent)[(int)step] = make();
                    }
                });
            }
        }

        var target = path.Resolve(seed);
        if (target is JsonObject)
        {
            yield return Alter(seed, path, n => n.AsObject()["extraField"] = 1);
            yield return Alter(seed, path, n => n.AsObject()["PlatformReportId"] = "a");
            yield return Alter(seed, path, n => n.AsObject().Clear());
        }
        else if (target is JsonArray array && array.Count > 0)
        {
            yield return Alter(seed, path, n => n.AsArray().Add(n.AsArray()[0]?.DeepClone()));
            yield return Alter(seed, path, n =>
            {
                for (var i = 0; i < 60; i++)
                {
                    n.AsArray().Add(n.AsArray()[0]?.DeepClone());
                }
            });
            yield return Alter(seed, path, n => n.AsArray().Clear());
        }
    }

    private static JsonNode Change(JsonNode seed, PathSteps path, Action<JsonNode, object> change)
    {
        var copy = seed.DeepClone();
        change(new PathSteps(path.Steps[..^1]).Resolve(copy)!, path.Steps[^1]);
        return copy;
    }

    private static JsonNode Alter(JsonNode seed, PathSteps path, Action<JsonNode> change)
    {
        var copy = seed.DeepClone();
        change(path.Resolve(copy)!);
        return copy;
    }

    private sealed record PathSteps(object[] Steps)
    {
        public JsonNode? Resolve(JsonNode root) =>
            Steps.Aggregate<object, JsonNode?>(root, (n, s) => s is string k ? n![k] : n![(int)s]);

        public override string ToString() => string.Concat(Steps.Select(s => s is string k ? "." + k : $"[{s}]"));
    }
}
