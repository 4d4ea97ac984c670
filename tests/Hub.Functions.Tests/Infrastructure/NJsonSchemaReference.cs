using System.Globalization;
using System.Text;
using System.Text.Json;
using Hub.Core.Platform;
using Hub.Functions.Platform;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The hub's platform-report validation as it was until issue 21: NJsonSchema (through Newtonsoft.Json) over the
/// published schema, then the same typed read and semantic checks. Test-only: the differential test requires the
/// app's own validator to give the same verdicts, paths and messages.
/// </summary>
public static class NJsonSchemaReference
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromJsonAsync(PlatformSchema.ReadResource(PlatformSchema.ReportSchemaResource)).GetAwaiter().GetResult());

    /// <summary>The key <see cref="ParseErrors"/> answers with when NJsonSchema threw instead of validating.</summary>
    public const string Crashed = "(NJsonSchema threw)";

    /// <summary>PlatformReports.Parse before issue 21, step for step.</summary>
    public static Dictionary<string, string[]>? ParseErrors(byte[] body, string basePath, DateTimeOffset now)
    {
        string json;
        try
        {
            json = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
            using var _ = JsonDocument.Parse(json);
        }
        catch (Exception ex) when (ex is JsonException or DecoderFallbackException)
        {
            var where = ex is JsonException j ? $" (line {j.LineNumber + 1}, byte {j.BytePositionInLine})" : " (not UTF-8)";
            return new Dictionary<string, string[]> { [basePath] = ["is not valid JSON" + where] };
        }

        Dictionary<string, string[]> errors;
        try
        {
            errors = Validate(json, basePath);
        }
        catch (Exception ex) when (ex is InvalidCastException or OverflowException or Newtonsoft.Json.JsonException)
        {
            // NJsonSchema itself failed (a 500 before issue 21), e.g. on an integer beyond decimal's range.
            return new Dictionary<string, string[]> { [Crashed] = [ex.GetType().Name] };
        }
        if (errors.Count > 0)
        {
            return errors;
        }

        PlatformReport? report;
        try
        {
            report = JsonSerializer.Deserialize(json, PlatformJsonContext.Default.PlatformReport);
        }
        catch (JsonException ex)
        {
            return new Dictionary<string, string[]> { [basePath + (ex.Path ?? "$").TrimStart('$')] = ["is out of range"] };
        }

        var semantic = PlatformMapping.SemanticErrors(report!, now, basePath);
        return semantic.Count > 0 ? semantic : null;
    }

    /// <summary>Validates one report (JSON text); errors keyed by path under <paramref name="basePath"/>.</summary>
    public static Dictionary<string, string[]> Validate(string json, string basePath = "$")
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        Collect(Schema.Value.Validate(json), basePath, errors);
        return errors.ToDictionary(kv => kv.Key, kv => kv.Value.Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
    }

    private static void Collect(IEnumerable<ValidationError> found, string basePath, Dictionary<string, List<string>> into)
    {
        foreach (var e in found)
        {
            if (e is ChildSchemaValidationError child && e.Kind is ValidationErrorKind.ArrayItemNotValid or ValidationErrorKind.AdditionalPropertiesNotValid or ValidationErrorKind.AdditionalItemNotValid)
            {
                Collect(child.Errors.SelectMany(kv => kv.Value), basePath, into);
                continue;
            }

            var path = ToJsonPath(e.Path, basePath);
            if (!into.TryGetValue(path, out var list))
            {
                into[path] = list = [];
            }

            list.Add(Message(e));
        }
    }

    /// <summary><c>#/files[0].hashes.md5</c> → <c>$.files[0].hashes.md5</c> (under a batch item: <c>$.reports[3].files…</c>).</summary>
    internal static string ToJsonPath(string? schemaPath, string basePath)
    {
        var rest = (schemaPath ?? "#/").TrimStart('#').TrimStart('/');
        return rest.Length == 0 ? basePath : rest.StartsWith('[') ? basePath + rest : basePath + "." + rest;
    }

    private static string Message(ValidationError e)
    {
        var s = e.Schema;
        return e.Kind switch
        {
            ValidationErrorKind.PropertyRequired => "is required",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => "is not a field of this object (misspelt?)",
            ValidationErrorKind.NotInEnumeration when s?.Enumeration is { Count: > 0 } values => "must be one of: " + string.Join(", ", values),
            ValidationErrorKind.PatternMismatch => $"does not match {s?.Pattern}",
            ValidationErrorKind.StringTooLong => $"must be at most {s?.MaxLength} characters",
            ValidationErrorKind.StringTooShort => $"must be at least {s?.MinLength} characters",
            ValidationErrorKind.TooManyItems => $"must have at most {s?.MaxItems} items",
            ValidationErrorKind.TooFewItems => $"must have at least {s?.MinItems} items",
            ValidationErrorKind.TooFewProperties => $"must have at least {s?.MinProperties} field(s)",
            ValidationErrorKind.ItemsNotUnique => "must not repeat an item",
            ValidationErrorKind.NumberTooBig => $"must be at most {Format(s?.Maximum)}",
            ValidationErrorKind.NumberTooSmall => $"must be at least {Format(s?.Minimum)}",
            ValidationErrorKind.StringExpected => "must be a string",
            ValidationErrorKind.IntegerExpected => "must be an integer",
            ValidationErrorKind.NumberExpected => "must be a number",
            ValidationErrorKind.BooleanExpected => "must be true or false",
            ValidationErrorKind.ArrayExpected => "must be an array",
            ValidationErrorKind.ObjectExpected => "must be an object",
            ValidationErrorKind.DateTimeExpected => "must be an RFC 3339 date-time with an offset, e.g. 2026-11-20T21:14:00+07:00",
            ValidationErrorKind.UriExpected => "must be an absolute URL",
            ValidationErrorKind.EmailExpected => "must be an email address",
            _ => e.Kind.ToString(),
        };
    }

    private static string Format(decimal? d) => d?.ToString(CultureInfo.InvariantCulture) ?? "?";
}
