using System.Text.Json.Serialization;

namespace Hub.Functions.Channels.SmsGateway;

/// <summary>
/// The hub's own inbound-SMS ("MO") contract for Vietnamese carrier gateways (docs/sms-gateway.md;
/// docs/sms-gateway.md): Twilio cannot receive SMS from Vietnamese subscribers, so gateways forward to us.
/// </summary>
public sealed record SmsGatewayMessage
{
    /// <summary>The gateway's id for the message: the idempotency key.</summary>
    public string? MessageId { get; init; }

    /// <summary>Sender MSISDN, any of <c>0912…</c>, <c>84912…</c>, <c>+84912…</c>.</summary>
    public string? From { get; init; }

    /// <summary>The receiving short code or number (e.g. <c>111</c>, <c>8xxx</c>).</summary>
    public string? To { get; init; }

    public string? Text { get; init; }

    /// <summary>Carrier name as the gateway knows it (<c>viettel</c>, <c>vinaphone</c>, <c>mobifone</c>…).</summary>
    public string? Carrier { get; init; }

    /// <summary>When the carrier received it (ISO 8601 with offset).</summary>
    public DateTimeOffset? ReceivedAt { get; init; }
}

/// <summary>The answer to a gateway: what happened and, when there is one, the text to send back through its API.</summary>
public sealed record SmsGatewayResponse(string Status, string? ReportId, string? Reference, string? Reply);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SmsGatewayMessage))]
[JsonSerializable(typeof(SmsGatewayResponse))]
internal sealed partial class SmsGatewayJsonContext : JsonSerializerContext;
