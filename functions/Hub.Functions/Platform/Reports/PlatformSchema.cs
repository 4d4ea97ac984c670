using System.Text.Json;

namespace Hub.Functions.Platform;

/// <summary>
/// The published contract, schemas/platform.report.v1.schema.json (embedded in the app), is the validator
/// itself: it is compiled at start-up (<see cref="SchemaSubset"/>), so the documentation cannot drift from what
/// the API accepts. Every violation is reported, each under its JSON path (<c>$.files[0].hashes.md5</c>), the
/// form RFC 9457 problem details carry.
/// </summary>
public static class PlatformSchema
{
    public const string ReportSchemaResource = "platform.report.v1.schema.json";
    public const string OpenApiResource = "platform-api.v1.openapi.json";
    public const string ReportExampleResource = "platform-report.v1.json";
    public const string BatchExampleResource = "platform-batch.v1.json";

    private static readonly Lazy<SchemaSubset> Schema = new(() => SchemaSubset.Compile(ReadResource(ReportSchemaResource)));

    public static string ReadResource(string name)
    {
        using var stream = typeof(PlatformSchema).Assembly.GetManifestResourceStream("Hub.Schemas." + name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Validates one report; errors keyed by path under <paramref name="basePath"/>.</summary>
    public static Dictionary<string, string[]> Validate(JsonElement report, string basePath = "$") => Schema.Value.Validate(report, basePath);

    /// <summary>Validates one report given as JSON text (tests, tools); errors keyed by path under <paramref name="basePath"/>.</summary>
    public static Dictionary<string, string[]> Validate(string json, string basePath = "$")
    {
        using var doc = JsonDocument.Parse(json);
        return Validate(doc.RootElement, basePath);
    }
}
