using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hub.Functions.Platform;

/// <summary>A takedown waiting on the <c>takedowns</c> queue: everything needed to deliver it, so the queue is the source of truth.</summary>
public sealed record TakedownMessage
{
    public required string PlatformId { get; init; }

    public required string HubReportId { get; init; }

    public required string TakedownId { get; init; }

    public IReadOnlyList<string> Urls { get; init; } = [];

    public string? Reason { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }

    /// <summary>The W3C trace context of whatever queued this message (captured when it is made): its consumer's span continues that trace (docs/observability.md).</summary>
    public Hub.Core.Envelope.TraceContext? Trace { get; init; } = Hub.Functions.Telemetry.HubTelemetry.CurrentTrace();
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TakedownMessage))]
internal sealed partial class TakedownJsonContext : JsonSerializerContext;
