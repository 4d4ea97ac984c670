using System.Net.Http.Headers;
using Hub.Core.Privacy;

namespace Hub.Core.Envelope;

/// <summary>What a channel allows a media fetch to do: which hosts, how big, with which credentials.</summary>
public sealed record MediaPolicy(IReadOnlyList<string> AllowedHosts, long MaxBytes, AuthenticationHeaderValue? Authorization, bool AllowPrivateNetworks = false);

/// <summary>A media item a channel names; the intake fetches it under the channel's policy.</summary>
public sealed record MediaReference(string Url, string? ContentType);

/// <summary>A file the reporter uploaded (the web form's screenshots), already checked and re-encoded: the intake stores it as encrypted evidence.</summary>
public sealed record UploadedFile(string ContentType, byte[] Bytes);

/// <summary>
/// Everything a channel hands to the shared write path after it verified and parsed a request; also what the local
/// spool keeps (so its JSON names are a stored format: add fields, never rename them).
/// </summary>
public sealed record IntakeSubmission
{
    public required string Channel { get; init; }

    public required string ChannelInstance { get; init; }

    public required string Provider { get; init; }

    public string? ProviderAccount { get; init; }

    public required string ProviderMessageId { get; init; }

    public string? ConversationId { get; init; }

    public string? Carrier { get; init; }

    /// <summary>The sender's raw id (E.164 number, PSID…): pseudonymised and encrypted here, never stored as is.</summary>
    public string? SenderId { get; init; }

    public string SenderKind { get; init; } = Pseudonymizer.PhoneKind;

    /// <summary>What the reporter wrote, already NFC.</summary>
    public string? Text { get; init; }

    public required ReadOnlyMemory<byte> RawBody { get; init; }

    public string? RawContentType { get; init; }

    public IReadOnlyList<MediaReference> Media { get; init; } = [];

    /// <summary>Never spooled (it can carry the provider's credentials): the relay rebuilds it from the channel's configuration.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public MediaPolicy? MediaPolicy { get; init; }

    /// <summary>A province the channel instance stands for (a provincial number or OA).</summary>
    public string? ProvinceCode { get; init; }

    public DateTimeOffset? OccurredAt { get; init; }

    // What a conversation already established (chat channels); text triage still adds to it, never lowers it.
    public IReadOnlyList<string> Categories { get; init; } = [];

    public string? Urgency { get; init; }

    public IReadOnlyList<string> Reasons { get; init; } = [];

    public string? Victim { get; init; }

    public string? ReporterRole { get; init; }

    public string? AgeBand { get; init; }

    public bool Handoff { get; init; }

    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>Files that came with the request itself (the web form's screenshots); spooled with it, stored by the intake.</summary>
    public IReadOnlyList<UploadedFile> Uploads { get; init; } = [];

    /// <summary>Evidence the channel already stored (chat attachments fetched while the conversation ran).</summary>
    public IReadOnlyList<Evidence> StoredEvidence { get; init; } = [];

    /// <summary>How <see cref="ProvinceCode"/> was set: <c>channel-instance</c> (default) or <c>reporter</c>.</summary>
    public string ProvinceBasis { get; init; } = "channel-instance";

    public string? FollowUpOf { get; init; }

    /// <summary>The raw body is a conversation transcript: it is also listed as <c>transcript</c> evidence.</summary>
    public bool RawIsTranscript { get; init; }

    /// <summary>
    /// A snapshot of a report that grows while it happens (a call): same provider message id, same report id,
    /// higher revision each time; the case keeps the highest. Null for one-shot reports.
    /// </summary>
    public int? Revision { get; init; }

    public string? ReportId { get; init; }

    public IReadOnlyList<string> ReportedAccounts { get; init; } = [];

    public string? VictimAgeBand { get; init; }

    /// <summary>CyberTipline-level facts of a platform report.</summary>
    public PlatformSummary? Platform { get; init; }

    /// <summary>When the hub acknowledged the report; set for a spooled report so its replay keeps the original time.</summary>
    public DateTimeOffset? ReceivedAt { get; init; }
}
