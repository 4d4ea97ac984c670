using System.Globalization;
using System.Reflection;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Hub.Functions.Platform;

/// <summary>
/// The published contract, schemas/platform.report.v1.schema.json (embedded in the app), is the validator
/// itself, so the documentation cannot drift from what the API accepts. Every violation is reported, each
/// under its JSON path (<c>$.files[0].hashes.md5</c>), the form RFC 9457 problem details carry.
/// </summary>
public static class PlatformSchema
{
    public const string ReportSchemaResource = "platform.report.v1.schema.json";
    public const string OpenApiResource = "platform-api.v1.openapi.json";
    public const string ReportExampleResource = "platform-report.v1.json";
    public const string BatchExampleResource = "platform-batch.v1.json";

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromJsonAsync(ReadResource(ReportSchemaResource)).GetAwaiter().GetResult());

    public static string ReadResource(string name)
    {
        using var stream = typeof(PlatformSchema).Assembly.GetManifestResourceStream("Hub.Schemas." + name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
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
