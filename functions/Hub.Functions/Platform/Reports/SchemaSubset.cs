using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hub.Functions.Platform;

/// <summary>
/// A JSON Schema (draft-07) validator for the subset of keywords the published platform schema uses, compiled
/// from the schema text itself at start-up and run over <see cref="JsonElement"/>s without building a second
/// tree. A keyword it does not know makes compilation fail, so the schema can never gain a rule this validator
/// silently ignores. Its verdicts, error paths and messages are those NJsonSchema gave (the hub's validator until
/// issue 21): the differential test (tests <c>Platform/SchemaDifferentialTests</c>) runs both over the examples
/// and a generated corpus. Like NJsonSchema it counts string lengths in UTF-16 code units, matches patterns with
/// .NET regular expressions, and accepts date-times in NJsonSchema's formats (the typed parse that follows refuses
/// those a <see cref="DateTimeOffset"/> cannot hold).
/// </summary>
internal sealed partial class SchemaSubset
{
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal) { "$schema", "$id", "title", "description", "$comment", "examples", "default" };

    private readonly Node _root;

    private SchemaSubset(Node root) => _root = root;

    public static SchemaSubset Compile(string schemaJson)
    {
        using var doc = JsonDocument.Parse(schemaJson);
        return new SchemaSubset(Node.Compile(doc.RootElement, "#"));
    }

    /// <summary>Every violation of <paramref name="value"/>, keyed by JSON path under <paramref name="basePath"/>, messages in NJsonSchema's order.</summary>
    public Dictionary<string, string[]> Validate(JsonElement value, string basePath)
    {
        var run = new Run(basePath);
        _root.Validate(value, run);
        return run.Result();
    }

    [Flags]
    private enum Types
    {
        None = 0,
        Object = 1,
        Array = 2,
        String = 4,
        Integer = 8,
        Number = 16,
        Boolean = 32,
    }

    private enum Format
    {
        None,
        DateTime,
        Uri,
        Email,
    }

    /// <summary>One validation: the path being walked (segments, built into text only for an error) and the errors.</summary>
    private sealed class Run(string basePath)
    {
        private readonly (string? Name, int Index)[] _path = new (string?, int)[16];
        private int _depth;
        private Dictionary<string, List<string>>? _errors;

        public void Push(string name) => _path[_depth++] = (name, -1);

        public void Push(int index) => _path[_depth++] = (null, index);

        public void Pop() => _depth--;

        public void Error(string message, string? lastName = null)
        {
            var sb = new StringBuilder(basePath);
            for (var i = 0; i < _depth; i++)
            {
                if (_path[i].Name is { } n)
                {
                    sb.Append('.').Append(n);
                }
                else
                {
                    sb.Append('[').Append(_path[i].Index.ToString(CultureInfo.InvariantCulture)).Append(']');
                }
            }

            if (lastName is not null)
            {
                sb.Append('.').Append(lastName);
            }

            var path = sb.ToString();
            _errors ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
            if (!_errors.TryGetValue(path, out var list))
            {
                _errors[path] = list = [];
            }

            if (!list.Contains(message, StringComparer.Ordinal))
            {
                list.Add(message);
            }
        }

        public Dictionary<string, string[]> Result() =>
            _errors is null ? new Dictionary<string, string[]>(0, StringComparer.Ordinal) : _errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }

    private sealed class Node
    {
        private Types _types;
        private (string Name, byte[] Utf8, Node Schema, bool Required)[] _properties = [];
        private bool _additionalProperties = true;
        private int _minProperties;
        private Node? _items;
        private int _minItems;
        private int _maxItems;
        private bool _uniqueItems;
        private string[]? _enum;
        private string? _enumMessage;
        private Regex? _pattern;
        private string? _patternMessage;
        private int? _minLength;
        private int? _maxLength;
        private Format _format;
        private decimal? _minimum;
        private decimal? _maximum;

        public static Node Compile(JsonElement s, string where)
        {
            if (s.ValueKind != JsonValueKind.Object)
            {
                throw new NotSupportedException($"{where}: a schema must be an object");
            }

            var node = new Node();
            var required = new List<string>();
            var properties = new List<(string, Node)>();
            foreach (var p in s.EnumerateObject())
            {
                var v = p.Value;
                switch (p.Name)
                {
                    case var a when Annotations.Contains(a):
                        break;
                    case "type":
                        node._types = (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) switch
                        {
                            "object" => Types.Object,
                            "array" => Types.Array,
                            "string" => Types.String,
                            "integer" => Types.Integer,
                            "number" => Types.Number,
                            "boolean" => Types.Boolean,
                            var t => throw new NotSupportedException($"{where}: type '{t}' (only one non-null type per schema)"),
                        };
                        break;
                    case "properties":
                        properties.AddRange(v.EnumerateObject().Select(x => (x.Name, Compile(x.Value, where + "/properties/" + x.Name))));
                        break;
                    case "required":
                        required.AddRange(v.EnumerateArray().Select(x => x.GetString()!));
                        break;
                    case "additionalProperties" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        node._additionalProperties = v.GetBoolean();
                        break;
                    case "minProperties":
                        node._minProperties = v.GetInt32();
                        break;
                    case "items" when v.ValueKind == JsonValueKind.Object:
                        node._items = Compile(v, where + "/items");
                        break;
                    case "minItems":
                        node._minItems = v.GetInt32();
                        break;
                    case "maxItems":
                        node._maxItems = v.GetInt32();
                        break;
                    case "uniqueItems":
                        node._uniqueItems = v.GetBoolean();
                        break;
                    case "enum" when v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String):
                        node._enum = [.. v.EnumerateArray().Select(x => x.GetString()!)];
                        node._enumMessage = "must be one of: " + string.Join(", ", node._enum);
                        break;
                    case "pattern":
                        node._patternMessage = "does not match " + v.GetString();
                        node._pattern = new Regex(v.GetString()!, RegexOptions.Compiled | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                        break;
                    case "minLength":
                        node._minLength = v.GetInt32();
                        break;
                    case "maxLength":
                        node._maxLength = v.GetInt32();
                        break;
                    case "format":
                        node._format = v.GetString() switch
                        {
                            "date-time" => Format.DateTime,
                            "uri" => Format.Uri,
                            "email" => Format.Email,
                            var f => throw new NotSupportedException($"{where}: format '{f}'"),
                        };
                        break;
                    case "minimum":
                        node._minimum = v.GetDecimal();
                        break;
                    case "maximum":
                        node._maximum = v.GetDecimal();
                        break;
                    default:
                        throw new NotSupportedException($"{where}: keyword '{p.Name}' is not supported by the hub's validator (Platform/Reports/SchemaSubset.cs): add it there first");
                }
            }

            if (required.Except(properties.Select(p => p.Item1), StringComparer.Ordinal).FirstOrDefault() is { } orphan)
            {
                throw new NotSupportedException($"{where}: required '{orphan}' is not among the properties");
            }

            node._properties = [.. properties.Select(p => (p.Item1, Encoding.UTF8.GetBytes(p.Item1), p.Item2, required.Contains(p.Item1, StringComparer.Ordinal)))];
            return node;
        }

        // NJsonSchema's order (the differential test holds it): array, string, number, integer, boolean, object; enum; properties.
        public void Validate(JsonElement v, Run run)
        {
            var kind = v.ValueKind;
            if (kind == JsonValueKind.Array)
            {
                ValidateArray(v, run);
            }
            else if ((_types & Types.Array) != 0)
            {
                run.Error("must be an array");
            }

            if (kind == JsonValueKind.String)
            {
                ValidateString(v, run);
            }
            else if ((_types & Types.String) != 0)
            {
                run.Error("must be a string");
            }

            var isNumber = kind == JsonValueKind.Number;
            if ((_types & Types.Number) != 0 && !isNumber)
            {
                run.Error("must be a number");
            }

            var raw = isNumber ? JsonMarshal.GetRawUtf8Value(v) : default;
            var isInteger = isNumber && IsIntegerText(raw);
            if (isNumber && (_minimum is not null || _maximum is not null))
            {
                ValidateRange(raw, isInteger, run);
            }

            if ((_types & Types.Integer) != 0 && !isInteger)
            {
                run.Error("must be an integer");
            }

            if ((_types & Types.Boolean) != 0 && kind is not (JsonValueKind.True or JsonValueKind.False))
            {
                run.Error("must be true or false");
            }

            if ((_types & Types.Object) != 0 && kind != JsonValueKind.Object)
            {
                run.Error("must be an object");
            }

            if (_enum is not null && !InEnum(v, raw))
            {
                run.Error(_enumMessage!);
            }

            if (_properties.Length > 0 || kind == JsonValueKind.Object)
            {
                ValidateProperties(v, kind == JsonValueKind.Object, run);
            }
        }

        private void ValidateArray(JsonElement v, Run run)
        {
            var count = v.GetArrayLength();
            if (_minItems > 0 && count < _minItems)
            {
                run.Error($"must have at least {_minItems} items");
            }

            if (_maxItems > 0 && count > _maxItems)
            {
                run.Error($"must have at most {_maxItems} items");
            }

            if (_uniqueItems && count > 1 && HasRepeat(v, count))
            {
                run.Error("must not repeat an item");
            }

            if (_items is null)
            {
                return;
            }

            var i = 0;
            foreach (var item in v.EnumerateArray())
            {
                run.Push(i++);
                _items.Validate(item, run);
                run.Pop();
            }
        }

        /// <summary>NJsonSchema compares items by their text: a string by its value, anything else by its JSON.</summary>
        private static bool HasRepeat(JsonElement v, int count)
        {
            for (var i = 0; i < count; i++)
            {
                for (var j = i + 1; j < count; j++)
                {
                    if (SameText(v[i], v[j]))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool SameText(JsonElement a, JsonElement b)
        {
            if (a.ValueKind == JsonValueKind.String && b.ValueKind == JsonValueKind.String)
            {
                return a.ValueEquals(b.GetString());
            }

            if (a.ValueKind is JsonValueKind.Object or JsonValueKind.Array || b.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                return a.ValueKind == b.ValueKind && JsonElement.DeepEquals(a, b);
            }

            return string.Equals(TextOf(a), TextOf(b), StringComparison.Ordinal);
        }

        private static string TextOf(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString()!,
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            JsonValueKind.Null => string.Empty,
            _ => e.GetRawText(),
        };

        private void ValidateString(JsonElement v, Run run)
        {
            var raw = JsonMarshal.GetRawUtf8Value(v)[1..^1]; // without its quotes
            if (_pattern is null && _minLength is null && _maxLength is null && _format == Format.None)
            {
                return;
            }

            // The value as UTF-16 without a string: decoded into a stack or pooled buffer (unescaped by the reader when it has escapes).
            char[]? rented = null;
            string? unescaped = raw.IndexOf((byte)'\\') >= 0 ? v.GetString() : null;
            var length = unescaped?.Length ?? Encoding.UTF8.GetCharCount(raw);
            var buffer = unescaped is null ? (length <= 256 ? stackalloc char[length] : (rented = ArrayPool<char>.Shared.Rent(length)).AsSpan(0, length)) : default;
            try
            {
                ReadOnlySpan<char> text = unescaped ?? (ReadOnlySpan<char>)buffer[..Encoding.UTF8.GetChars(raw, buffer)];
                if (_pattern is not null && !_pattern.IsMatch(text))
                {
                    run.Error(_patternMessage!);
                }

                if (_minLength is { } min && text.Length < min)
                {
                    run.Error($"must be at least {min} characters");
                }

                if (_maxLength is { } max && text.Length > max)
                {
                    run.Error($"must be at most {max} characters");
                }

                switch (_format)
                {
                    case Format.DateTime when !DateTimeOffset.TryParseExact(text, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _):
                        run.Error("must be an RFC 3339 date-time with an offset, e.g. 2026-11-20T21:14:00+07:00");
                        break;
                    case Format.Uri when !Uri.TryCreate(unescaped ?? text.ToString(), UriKind.Absolute, out _):
                        run.Error("must be an absolute URL");
                        break;
                    case Format.Email when !EmailPattern().IsMatch(text):
                        run.Error("must be an email address");
                        break;
                }
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<char>.Shared.Return(rented);
                }
            }
        }

        /// <summary>Like NJsonSchema (via Newtonsoft): an integer compared exactly, a fraction or exponent as the double it reads, beyond decimal's range as a double.</summary>
        private void ValidateRange(ReadOnlySpan<byte> raw, bool isInteger, Run run)
        {
            bool tooSmall, tooBig;
            var exact = default(decimal);
            var asDecimal = isInteger
                ? System.Buffers.Text.Utf8Parser.TryParse(raw, out exact, out var used) && used == raw.Length
                : TryDoubleToDecimal(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture), out exact);
            if (asDecimal)
            {
                tooSmall = exact < _minimum;
                tooBig = exact > _maximum;
            }
            else
            {
                var d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
                tooSmall = _minimum is { } lo && d < (double)lo;
                tooBig = _maximum is { } hi && d > (double)hi;
            }

            if (tooSmall)
            {
                run.Error("must be at least " + _minimum!.Value.ToString(CultureInfo.InvariantCulture));
            }

            if (tooBig)
            {
                run.Error("must be at most " + _maximum!.Value.ToString(CultureInfo.InvariantCulture));
            }
        }

        private static bool TryDoubleToDecimal(double d, out decimal value)
        {
            if (double.IsFinite(d) && Math.Abs(d) < 7.9e28)
            {
                value = (decimal)d;
                return true;
            }

            value = 0;
            return false;
        }

        /// <summary>NJsonSchema compares enum values with the item's text: a number whose text is a listed value passes (the typed parse then refuses it).</summary>
        private bool InEnum(JsonElement v, ReadOnlySpan<byte> numberText)
        {
            foreach (var e in _enum!)
            {
                if (v.ValueKind == JsonValueKind.String ? v.ValueEquals(e) : v.ValueKind == JsonValueKind.Number && IsIntegerText(numberText) && numberText.Length == e.Length && Encoding.UTF8.GetString(numberText) == e)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsIntegerText(ReadOnlySpan<byte> raw) => raw.Length > 0 && raw.IndexOfAny(".eE"u8) < 0;

        private void ValidateProperties(JsonElement v, bool isObject, Run run)
        {
            foreach (var (name, utf8, schema, required) in _properties)
            {
                if (isObject && v.TryGetProperty(utf8, out var child))
                {
                    run.Push(name);
                    schema.Validate(child, run);
                    run.Pop();
                }
                else if (required)
                {
                    run.Error("is required", name);
                }
            }

            if (!isObject)
            {
                return;
            }

            if (_minProperties > 0 && DistinctCount(v) < _minProperties)
            {
                run.Error($"must have at least {_minProperties} field(s)");
            }

            if (_additionalProperties)
            {
                return;
            }

            foreach (var p in v.EnumerateObject())
            {
                if (!Known(p))
                {
                    run.Error("is not a field of this object (misspelt?)", p.Name);
                }
            }
        }

        private bool Known(JsonProperty p)
        {
            foreach (var (_, utf8, _, _) in _properties)
            {
                if (p.NameEquals(utf8))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Newtonsoft keeps the last of repeated names: count names, not members.</summary>
        private static int DistinctCount(JsonElement v)
        {
            var names = new List<string>();
            foreach (var p in v.EnumerateObject())
            {
                if (!names.Contains(p.Name, StringComparer.Ordinal))
                {
                    names.Add(p.Name);
                }
            }

            return names.Count;
        }
    }

    /// <summary>The date-time layouts NJsonSchema accepts (its DateTimeFormatValidator).</summary>
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd' 'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd' 'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd' 'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd' 'HH:mm", "yyyy-MM-dd'T'HH", "yyyy-MM-dd' 'HH",
        "yyyy-MM-dd", "yyyy-MM-dd'Z'", "yyyyMMdd", "yyyy-MM", "yyyy",
    ];

    /// <summary>NJsonSchema's email expression, case-insensitive.</summary>
    [GeneratedRegex(@"^\A(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\Z$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex EmailPattern();
}
