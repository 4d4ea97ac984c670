using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// Deterministic (seeded) hostile inputs: broken encodings, invalid UTF-8, huge and deeply nested bodies, NFD
/// and odd Unicode, type confusion, and URLs to loopback, private ranges and the metadata address. Each case
/// is reproducible from its seed and index, which the failure message names.
/// </summary>
public sealed class Hostile(int seed, IReadOnlyList<string> forbiddenUrls)
{
    private readonly Random _rng = new(seed);

    private static readonly string[] OddStrings =
    [
        string.Empty, " ", "\0", "\u0000\u0001\u001f", "\uFEFFbom", "\u202Eevil\u202C", "a\u200Db\u200Cc\u2060", "\uFFFF\uFFFE",
        "Co\u0301 ngu\u031Bo\u031Bi do\u0323a tung a\u0309nh", new string('\u0301', 5000), "e\u0302\u0301" + new string('\u0323', 300),
        "\U0001F600\U0001F4A9", "%00%0d%0a", "\r\nX-Injected: 1", "<script>alert(1)</script>", "'; DROP TABLE cases;--", "../../etc/passwd",
        "${jndi:ldap://127.0.0.1/a}", "{{7*7}}", "\\u0000", "null", "NaN", "-0", "1e400", "9223372036854775808", "ṭḗṧṫ", "Đà Nẵng",
        new string('A', 70_000), "🇻🇳" + new string('ơ', 2000), "\ud800", "\udfff",
    ];

    private static readonly Func<Random, JsonNode?>[] OddValues =
    [
        _ => null,
        _ => JsonValue.Create(true),
        r => JsonValue.Create(r.Next(-5, 5)),
        _ => JsonValue.Create(long.MaxValue),
        _ => JsonValue.Create(double.MaxValue),
        _ => JsonValue.Create(-1.5e-300),
        _ => new JsonArray(),
        _ => new JsonObject(),
        r => new JsonArray(Enumerable.Range(0, r.Next(1, 300)).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
        r => JsonValue.Create(OddStrings[r.Next(OddStrings.Length)]),
        r => Nest(r.Next(2, 60)),
    ];

    public int Next(int max) => _rng.Next(max);

    public bool Chance(double p) => _rng.NextDouble() < p;

    public string OddString() => OddStrings[_rng.Next(OddStrings.Length)];

    public string ForbiddenUrl() => forbiddenUrls[_rng.Next(forbiddenUrls.Count)];

    /// <summary>Mutates a JSON document structurally (values, types, missing and extra fields, hostile URLs).</summary>
    public string MutateJson(string seedJson)
    {
        var node = JsonNode.Parse(seedJson, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 4096 })!;
        var operations = 1 + _rng.Next(4);
        for (var i = 0; i < operations; i++)
        {
            var leaves = Walk(node).ToList();
            if (leaves.Count == 0)
            {
                break;
            }

            var (parent, key, index) = leaves[_rng.Next(leaves.Count)];
            JsonNode? replacement = _rng.Next(10) switch
            {
                < 2 => JsonValue.Create(ForbiddenUrl()),
                < 4 => JsonValue.Create(OddString()),
                _ => OddValues[_rng.Next(OddValues.Length)](_rng),
            };
            switch (parent)
            {
                case JsonObject o when _rng.Next(6) == 0:
                    o.Remove(key!);
                    break;
                case JsonObject o when _rng.Next(8) == 0:
                    o[OddString() + _rng.Next().ToString(CultureInfo.InvariantCulture)] = replacement;
                    break;
                case JsonObject o:
                    o[key!] = replacement;
                    break;
                case JsonArray a:
                    a[index] = replacement;
                    break;
            }
        }

        return node.ToJsonString(Deep);
    }

    private static readonly System.Text.Json.JsonSerializerOptions Deep = new() { MaxDepth = 4096 };

    /// <summary>Byte-level damage: truncation, invalid UTF-8, flipped bytes, BOMs, numbers no parser holds, nesting bombs.</summary>
    public byte[] Corrupt(byte[] body)
    {
        var b = body.ToList();
        switch (_rng.Next(9))
        {
            case 0:
                return b.Take(_rng.Next(Math.Max(1, b.Count))).ToArray();
            case 1:
                b.InsertRange(_rng.Next(b.Count + 1), new byte[][] { [0xC3, 0x28], [0xFF, 0xFE], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80] }[_rng.Next(6)]);
                return [.. b];
            case 2:
                for (var i = 0; i < 1 + _rng.Next(8) && b.Count > 0; i++)
                {
                    b[_rng.Next(b.Count)] = (byte)_rng.Next(256);
                }

                return [.. b];
            case 3:
                return [0xEF, 0xBB, 0xBF, .. b];
            case 4:
                return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString([.. b]).Replace(":1", ":1e400", StringComparison.Ordinal).Replace("\"", "\"\\ud800", StringComparison.Ordinal));
            case 5:
                var depth = _rng.Next(64, 20_000);
                return Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth));
            case 6:
                var d2 = _rng.Next(64, 5_000);
                return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", d2)) + "1" + new string('}', d2));
            case 7:
                return Encoding.Unicode.GetBytes(Encoding.UTF8.GetString([.. b])); // UTF-16 sent as if UTF-8
            default:
                var junk = new byte[_rng.Next(0, 4096)];
                _rng.NextBytes(junk);
                return junk;
        }
    }

    private static JsonNode Nest(int depth)
    {
        JsonNode n = JsonValue.Create("deep");
        for (var i = 0; i < depth; i++)
        {
            n = i % 2 == 0 ? new JsonArray(n) : new JsonObject { ["x"] = n };
        }

        return n;
    }

    private static IEnumerable<(JsonNode Parent, string? Key, int Index)> Walk(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o.ToList())
                {
                    yield return (o, k, -1);
                    if (v is not null)
                    {
                        foreach (var inner in Walk(v))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    yield return (a, null, i);
                    if (a[i] is { } v)
                    {
                        foreach (var inner in Walk(v))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
        }
    }
}
