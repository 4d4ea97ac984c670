using System.Text.Json;
using System.Text.Json.Serialization;
using Hub.Core.Envelope;

namespace Hub.Functions.Channels.TwilioVoice;

/// <summary>
/// What the hub knows about one call, merged from every Twilio callback in whatever order they arrive.
/// Each change bumps <see cref="Revision"/>; the report is rebuilt from the whole state each time, so a
/// late or repeated callback can only add what it knows, never create a second case or undo an earlier one.
/// </summary>
public sealed class CallState
{
    public int Revision { get; set; }

    public string ReportId { get; set; } = string.Empty;

    public DateTimeOffset StartedAt { get; set; }

    public string? To { get; set; }

    public bool AfterHours { get; set; }

    /// <summary><c>counsellor</c>, <c>report</c> or <c>danger</c>.</summary>
    public string? Choice { get; set; }

    public int MenuAttempts { get; set; }

    /// <summary>Twilio's <c>QueueResult</c>: <c>bridged</c>, <c>hangup</c>, <c>leave</c>, …</summary>
    public string? QueueResult { get; set; }

    public int? QueueSeconds { get; set; }

    public bool Bridged { get; set; }

    public string? CallStatus { get; set; }

    public int? DurationSeconds { get; set; }

    public bool VoicemailOffered { get; set; }

    public List<Evidence> Recordings { get; set; } = [];

    /// <summary>Callbacks already applied (kind and key): a repeated callback changes nothing.</summary>
    public List<string> Applied { get; set; } = [];

    public static readonly string[] FinalStatuses = ["completed", "busy", "failed", "no-answer", "canceled"];

    public bool Ended => CallStatus is not null && FinalStatuses.Contains(CallStatus);

    /// <summary>Nobody answered and nothing was recorded: someone must call back.</summary>
    public bool Missed => !Bridged && Recordings.Count == 0 && (QueueResult is "hangup" or "system-error" or "queue-full" || Ended);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CallState))]
internal sealed partial class CallJsonContext : JsonSerializerContext;
