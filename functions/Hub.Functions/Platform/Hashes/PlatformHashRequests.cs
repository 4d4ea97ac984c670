using System.Text.Json;
using Hub.Core.Platform;
using Hub.Functions.Hashing;

namespace Hub.Functions.Platform;

/// <summary>
/// Reads the hash API's bodies (docs/platform-api.md#hashes) and lists <b>every</b> invalid item by JSON path, as the
/// report schema does: a platform fixing a list of 1,000 hashes learns all that is wrong in one answer, not one per try.
/// Pure: bytes in, items or errors out.
/// </summary>
public static class PlatformHashRequests
{
    private static readonly string[] ContributionFields = ["type", "value", "classification", "quality", "ref"];
    private static readonly string[] LookupFields = ["type", "value", "quality"];
    private static readonly string[] VoteFields = ["entry", "verdict", "reason"];

    public sealed record Parsed<T>(IReadOnlyList<T>? Items, Dictionary<string, string[]> Errors);

    public static Parsed<HashContribution> Contributions(byte[] body) =>
        Read(body, "hashes", PlatformHashLimits.MaxHashes, ContributionFields, (item, path, errors) =>
        {
            var (type, value, quality) = Hash(item, path, errors);
            var classification = Text(item, "classification", path, errors, PlatformHashLimits.MaxClassification, required: true);
            var reference = Text(item, "ref", path, errors, PlatformHashLimits.MaxReference, required: false);
            if (type == "pdq" && quality is null && !errors.ContainsKey(path + ".quality"))
            {
                errors[path + ".quality"] = ["is required for a pdq hash (its quality 0–100, as PDQ computed it)"];
            }
            else if (type == "pdq" && quality < PlatformHashLimits.MinPdqQuality)
            {
                errors[path + ".quality"] = [$"is below {PlatformHashLimits.MinPdqQuality}: a hash this weak would match unrelated images, and is not taken into a bank"];
            }

            return value is null || classification is null ? null : new HashContribution(type!, value, classification, quality, reference);
        });

    public static Parsed<HashLookup> Lookups(byte[] body) =>
        Read(body, "hashes", PlatformHashLimits.MaxHashes, LookupFields, (item, path, errors) =>
        {
            var (type, value, quality) = Hash(item, path, errors);
            return value is null ? null : new HashLookup(type!, value, quality);
        });

    public static Parsed<HashVote> Votes(byte[] body) =>
        Read(body, "votes", PlatformHashLimits.MaxVotes, VoteFields, (item, path, errors) =>
        {
            long? entry = null;
            if (!item.TryGetProperty("entry", out var e))
            {
                errors[path + ".entry"] = ["is required"];
            }
            else if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var id) || id <= 0)
            {
                errors[path + ".entry"] = ["must be an entry number a lookup returned"];
            }
            else
            {
                entry = id;
            }

            var verdict = Text(item, "verdict", path, errors, 20, required: true);
            if (verdict is not null and not ("true-positive" or "false-positive"))
            {
                errors[path + ".verdict"] = ["must be true-positive or false-positive"];
                verdict = null;
            }

            var reason = Text(item, "reason", path, errors, PlatformHashLimits.MaxReason, required: true, listSafe: false);
            return entry is null || verdict is null || reason is null ? null : new HashVote(entry.Value, verdict, reason);
        });

    private static Parsed<T> Read<T>(byte[] body, string arrayName, int max, string[] fields, Func<JsonElement, string, Dictionary<string, string[]>, T?> item)
        where T : class
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            errors["$"] = ["is not UTF-8"];
            return new(null, errors);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            errors["$"] = [$"is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine})"];
            return new(null, errors);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(arrayName, out var array) || array.ValueKind != JsonValueKind.Array)
            {
                errors["$." + arrayName] = ["is required and must be an array"];
                return new(null, errors);
            }

            foreach (var p in root.EnumerateObject().Where(p => p.Name != arrayName))
            {
                errors["$." + p.Name] = ["is not a field of this object (misspelt?)"];
            }

            var count = array.GetArrayLength();
            if (count is 0 || count > max)
            {
                errors["$." + arrayName] = [$"must have 1 to {max} items (has {count})"];
                return new(null, errors);
            }

            var items = new List<T>(count);
            var i = 0;
            foreach (var element in array.EnumerateArray())
            {
                var path = $"$.{arrayName}[{i++}]";
                if (element.ValueKind != JsonValueKind.Object)
                {
                    errors[path] = ["must be an object"];
                    continue;
                }

                foreach (var p in element.EnumerateObject().Where(p => !fields.Contains(p.Name, StringComparer.Ordinal)))
                {
                    errors[path + "." + p.Name] = ["is not a field of this object (misspelt?)"];
                }

                if (item(element, path, errors) is { } parsed)
                {
                    items.Add(parsed);
                }
            }

            return errors.Count > 0 ? new(null, errors) : new(items, errors);
        }
    }

    /// <summary>The item's type, canonical value (or null, with the errors written) and quality.</summary>
    private static (string? Type, string? Value, int? Quality) Hash(JsonElement item, string path, Dictionary<string, string[]> errors)
    {
        var type = Text(item, "type", path, errors, 10, required: true);
        var raw = Text(item, "value", path, errors, 128, required: true);
        int? quality = null;
        if (item.TryGetProperty("quality", out var q))
        {
            if (q.ValueKind == JsonValueKind.Number && q.TryGetInt32(out var n) && n is >= 0 and <= 100)
            {
                quality = n;
            }
            else
            {
                errors[path + ".quality"] = ["must be an integer 0–100"];
            }
        }

        if (type is null)
        {
            return (null, null, quality);
        }

        if (!HashBanks.Types.Contains(type, StringComparer.Ordinal))
        {
            errors[path + ".type"] = [$"unknown hash type '{type}' (md5, sha1, sha256 or pdq)"];
            return (null, null, quality);
        }

        if (raw is null)
        {
            return (type, null, quality);
        }

        var (value, why) = HashBanks.Normalize(type, raw);
        if (why is not null)
        {
            errors[path + ".value"] = [why];
        }

        if (quality is not null && type != "pdq")
        {
            errors[path + ".quality"] = ["is only for a pdq hash"];
        }

        return (type, value, quality);
    }

    private static string? Text(JsonElement item, string name, string path, Dictionary<string, string[]> errors, int maxLength, bool required, bool listSafe = true)
    {
        if (!item.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors[path + "." + name] = ["is required"];
            }

            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            errors[path + "." + name] = ["must be a string"];
            return null;
        }

        var s = v.GetString()!.Trim();
        if (s.Length == 0 || s.Length > maxLength)
        {
            errors[path + "." + name] = [$"must be 1–{maxLength} characters"];
            return null;
        }

        // A bank exports as a comma-separated list, one hash a line: a value must survive that unchanged.
        if (s.Any(c => char.IsControl(c) || (listSafe && c == ',')))
        {
            errors[path + "." + name] = [listSafe ? "must not contain commas or control characters" : "must not contain control characters"];
            return null;
        }

        return s;
    }
}
