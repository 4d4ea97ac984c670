using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hub.Core.Envelope;

/// <summary>Source-generated serialisation for everything that crosses a queue or a table.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(ReportEnvelope))]
[JsonSerializable(typeof(PoisonMessage))]
public sealed partial class HubJsonContext : JsonSerializerContext;

/// <summary>What the hub writes to <c>reports-poison</c>: the original message and why it failed.</summary>
public sealed record PoisonMessage
{
    public const string SchemaV1 = "hub.poison/v1";

    public string Schema { get; init; } = SchemaV1;

    public required string SourceQueue { get; init; }

    /// <summary>The original queue message text, unchanged, so a replay is byte-identical.</summary>
    public required string Message { get; init; }

    public required string Error { get; init; }

    public required long DequeueCount { get; init; }

    public required DateTimeOffset FailedAt { get; init; }
}
