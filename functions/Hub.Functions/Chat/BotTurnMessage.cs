using System.Text.Json.Serialization;

namespace Hub.Functions.Chat;

/// <summary>
/// A message on the <c>bot-turns</c> queue. <c>activity</c>: an inbound message to run through the dialog;
/// <c>idle</c>: a delayed check that closes a quiet session; <c>release</c>: an operator hands the
/// conversation back; <c>operator-reply</c>: a counsellor's reply to send. The activity is sealed (AES-GCM): it carries the child's words and provider user id.
/// </summary>
public sealed record BotTurnMessage
{
    public const string ActivityKind = "activity";
    public const string IdleKind = "idle";
    public const string ReleaseKind = "release";

    /// <summary>A counsellor's reply to send in a conversation in handoff (<see cref="SealedText"/>, <see cref="ReplyId"/>).</summary>
    public const string OperatorReplyKind = "operator-reply";

    public required string Kind { get; init; }

    /// <summary><c>messenger</c> or <c>zalo</c> (the channel type).</summary>
    public required string ChannelType { get; init; }

    public required string Instance { get; init; }

    /// <summary>The conversation's storage key: a pseudonym, never the provider ids.</summary>
    public required string ConversationKey { get; init; }

    public string? SealedActivity { get; init; }

    /// <summary>For <c>operator-reply</c>: the reply's text, sealed like an activity (it is what a counsellor tells a child).</summary>
    public string? SealedText { get; init; }

    public string? ReplyId { get; init; }

    /// <summary>For <c>idle</c>: the session the check was scheduled for.</summary>
    public int? Session { get; init; }

    public DateTimeOffset EnqueuedAt { get; init; }

    /// <summary>The W3C trace context of whatever queued this message (captured when it is made): its consumer's span continues that trace (docs/observability.md).</summary>
    public Hub.Core.Envelope.TraceContext? Trace { get; init; } = Telemetry.HubTelemetry.CurrentTrace();
}

/// <summary>A chat webhook's delivery as the local spool keeps it: the raw body and the already sealed turns.</summary>
internal sealed record SpooledChat
{
    public required string ChannelType { get; init; }

    public required string Instance { get; init; }

    public required string RawName { get; init; }

    public required ReadOnlyMemory<byte> RawBody { get; init; }

    public required List<BotTurnMessage> Turns { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BotTurnMessage))]
[JsonSerializable(typeof(SpooledChat))]
internal sealed partial class BotHostJsonContext : JsonSerializerContext;
