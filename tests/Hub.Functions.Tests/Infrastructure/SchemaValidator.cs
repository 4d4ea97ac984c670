using NJsonSchema;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>The envelope schema from schemas/hub.report.v1.schema.json, as shipped in the repository.</summary>
public static class SchemaValidator
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(AppContext.BaseDirectory, "schemas", "hub.report.v1.schema.json")).GetAwaiter().GetResult());

    public static IReadOnlyList<string> Errors(string envelopeJson) =>
        Schema.Value.Validate(envelopeJson).Select(e => $"{e.Path}: {e.Kind}").ToList();
}
