using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Hub.Functions.Platform;

/// <summary>
/// The OpenAPI document served at <c>/api/platform/v1/openapi.json</c>, composed from the hand-written
/// document, the report JSON Schema (the same one that validates requests) and the example files, and a
/// readable HTML page of it at <c>/docs</c> that needs nothing from the internet (no CDN, no script).
/// </summary>
public static partial class PlatformDocs
{
    private static readonly Lazy<string> Composed = new(Compose);
    private static readonly Lazy<string> Page = new(() => Render(JsonNode.Parse(Composed.Value)!.AsObject()));

    public static string OpenApiJson => Composed.Value;

    public static string Html => Page.Value;

    private static string Compose()
    {
        var root = JsonNode.Parse(PlatformSchema.ReadResource(PlatformSchema.OpenApiResource))!;
        Resolve(root);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Replaces <c>"@schema:file"</c> and <c>"@example:file"</c> strings with those files' JSON.</summary>
    private static void Resolve(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    if (Placeholder(o[key]) is { } replacement)
                    {
                        o[key] = replacement;
                    }
                    else if (o[key] is { } child)
                    {
                        Resolve(child);
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    if (child is not null)
                    {
                        Resolve(child);
                    }
                }

                break;
        }
    }

    private static JsonNode? Placeholder(JsonNode? value)
    {
        if (value is not JsonValue v || !v.TryGetValue<string>(out var s) || !s.StartsWith('@'))
        {
            return null;
        }

        if (s.StartsWith("@schema:", StringComparison.Ordinal))
        {
            var schema = JsonNode.Parse(PlatformSchema.ReadResource(s["@schema:".Length..]))!.AsObject();
            schema.Remove("$schema"); // OpenAPI 3.1 schemas are JSON Schema 2020-12; the keywords used mean the same there
            schema.Remove("$id");
            return schema;
        }

        return s.StartsWith("@example:", StringComparison.Ordinal) ? JsonNode.Parse(PlatformSchema.ReadResource(s["@example:".Length..])) : null;
    }

    /// <summary>The page (<c>platform-docs.html</c>, embedded) with its slots filled from the OpenAPI document.</summary>
    private static string Render(JsonObject api)
    {
        var info = api["info"]!;
        var servers = (string?)api["servers"]?[0]?["url"] ?? string.Empty;
        var operations = new StringBuilder();
        foreach (var (path, item) in api["paths"]!.AsObject())
        {
            foreach (var (method, op) in item!.AsObject())
            {
                operations.Append("<h3><span class=\"m ").Append(E(method)).Append("\">").Append(E(method.ToUpperInvariant())).Append("</span> <code>").Append(E(servers + path)).Append("</code> ").Append(E(op!["summary"])).Append("</h3>");
                operations.Append(Markdown((string?)op["description"]));
                if (op["parameters"] is JsonArray ps)
                {
                    foreach (var p in ps)
                    {
                        operations.Append("<p><code>").Append(E(p!["name"])).Append("</code> (").Append(E(p["in"])).Append("): ").Append(E(p["description"])).Append("</p>");
                    }
                }

                if (op["requestBody"]?["content"]?["application/json"]?["examples"] is JsonObject examples)
                {
                    foreach (var (name, ex) in examples)
                    {
                        operations.Append("<p>Example <em>").Append(E((string?)ex!["summary"] ?? name)).Append("</em>:</p><pre>").Append(E(ex["value"]!.ToJsonString(Indented))).Append("</pre>");
                    }
                }

                if (op["responses"] is JsonObject responses)
                {
                    operations.Append("<table><tr><th>Status</th><th>Meaning</th></tr>");
                    foreach (var (code, r) in responses)
                    {
                        var described = r!["$ref"] is { } reference ? api["components"]!["responses"]![((string)reference!).Split('/')[^1]]! : r;
                        operations.Append("<tr><td>").Append(E(code)).Append("</td><td>").Append(Inline((string?)described["description"])).Append("</td></tr>");
                    }

                    operations.Append("</table>");
                }
            }
        }

        var webhooks = new StringBuilder();
        foreach (var (_, hook) in api["webhooks"]!.AsObject())
        {
            var op = hook!["post"]!;
            webhooks.Append("<p><strong>").Append(E(op["summary"])).Append("</strong></p>").Append(Markdown((string?)op["description"]));
        }

        var schemas = new StringBuilder("<table><tr><th>Path</th><th>Type</th><th>Required</th><th>Meaning</th></tr>");
        Fields(schemas, api["components"]!["schemas"]!["PlatformReport"]!.AsObject(), "$");
        schemas.Append("</table>");
        foreach (var name in new[] { "PlatformReceipt", "PlatformReportStatus", "TakedownRecord", "TakedownConfirmation", "TakedownRequest" })
        {
            schemas.Append("<h3>").Append(E(name)).Append("</h3><table><tr><th>Path</th><th>Type</th><th>Required</th><th>Meaning</th></tr>");
            Fields(schemas, api["components"]!["schemas"]![name]!.AsObject(), "$");
            schemas.Append("</table>");
        }

        return PlatformSchema.ReadResource(PageResource)
            .Replace("{{title}}", E(info["title"]), StringComparison.Ordinal)
            .Replace("{{version}}", E(info["version"]), StringComparison.Ordinal)
            .Replace("{{description}}", Markdown((string?)info["description"]), StringComparison.Ordinal)
            .Replace("{{operations}}", operations.ToString(), StringComparison.Ordinal)
            .Replace("{{webhooks}}", webhooks.ToString(), StringComparison.Ordinal)
            .Replace("{{schemas}}", schemas.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The page's embedded file (its markup and styles), read like the schemas.</summary>
    internal const string PageResource = "platform-docs.html";

    private static void Fields(StringBuilder h, JsonObject schema, string path)
    {
        if (schema["properties"] is not JsonObject props)
        {
            return;
        }

        var required = schema["required"] is JsonArray r ? r.Select(x => (string?)x).ToHashSet(StringComparer.Ordinal) : [];
        foreach (var (name, node) in props)
        {
            var prop = node!.AsObject();
            var here = $"{path}.{name}";
            var items = prop["items"] as JsonObject;
            h.Append("<tr><td><code>").Append(E(here)).Append("</code></td><td>").Append(E(TypeOf(prop))).Append("</td><td>")
                .Append(required.Contains(name) ? "yes" : string.Empty).Append("</td><td>").Append(Inline((string?)prop["description"] ?? (string?)items?["description"])).Append("</td></tr>");
            if (prop["type"]?.ToString() == "object")
            {
                Fields(h, prop, here);
            }
            else if (items is { } i && i["type"]?.ToString() == "object")
            {
                Fields(h, i, here + "[]");
            }
        }
    }

    private static string TypeOf(JsonObject prop)
    {
        if (prop["enum"] is JsonArray values)
        {
            return "one of: " + string.Join(", ", values.Select(v => v!.ToString()));
        }

        if (prop["$ref"] is { } reference)
        {
            return ((string)reference!).Split('/')[^1];
        }

        var type = prop["type"]?.ToString() ?? (prop["const"] is { } c ? "\"" + c + "\"" : "any");
        if (type == "array" && prop["items"] is JsonObject items)
        {
            type = "array of " + TypeOf(items);
        }

        var limits = new List<string>();
        foreach (var k in new[] { "format", "pattern", "maxLength", "maxItems", "minimum", "maximum" })
        {
            if (prop[k] is { } v)
            {
                limits.Add($"{k} {v}");
            }
        }

        return limits.Count > 0 ? $"{type} ({string.Join(", ", limits)})" : type;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string E(object? value) => WebUtility.HtmlEncode(value?.ToString() ?? string.Empty);

    /// <summary>Just enough Markdown for the descriptions: paragraphs, <c>**bold**</c> and <c>`code`</c>.</summary>
    private static string Markdown(string? text) =>
        string.IsNullOrEmpty(text) ? string.Empty : string.Concat(text.Split("\n\n").Select(p => "<p>" + Inline(p) + "</p>"));

    private static string Inline(string? text) =>
        text is null ? string.Empty : Bold().Replace(Code().Replace(WebUtility.HtmlEncode(text), "<code>$1</code>"), "<strong>$1</strong>");

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    [GeneratedRegex(@"\*\*([^*]+)\*\*")]
    private static partial Regex Bold();
}
