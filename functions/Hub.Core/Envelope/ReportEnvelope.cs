using System.Text.Json.Serialization;

namespace Hub.Core.Envelope;

/// <summary>
/// The queue message every channel produces: one normalised, versioned report (<c>hub.report/v1</c>).
/// Field meanings are documented in docs/envelope.md and pinned by schemas/hub.report.v1.schema.json.
/// Large content never rides here: evidence and the raw request are blob references with SHA-256.
/// </summary>
/// <remarks>
/// Defaults are in the getters (<c>field ?? …</c>), not only in initialisers: System.Text.Json's source generator sets
/// every init-only property it creates an object with, to null when the JSON lacks it, so an envelope written by
/// another version (or by hand) would otherwise carry null lists into code that enumerates them.
/// </remarks>
public sealed record ReportEnvelope
{
    public const string SchemaV1 = "hub.report/v1";

    public string Schema { get; init; } = SchemaV1; // not defaulted on read: an envelope without a schema is refused

    /// <summary>ULID: sortable by receipt time, unique without coordination.</summary>
    public required string Id { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>One of <see cref="ReportChannels"/>.</summary>
    public required string Channel { get; init; }

    /// <summary>The configured instance that received it (e.g. <c>hn-sms</c>).</summary>
    public required string ChannelInstance { get; init; }

    /// <summary>The short code the reporter was given and can quote (e.g. <c>7K2Q-9XHM</c>).</summary>
    public required string ReferenceCode { get; init; }

    public required ReportSource Source { get; init; }

    public required Reporter Reporter { get; init; }

    public required Incident Incident { get; init; }

    public IReadOnlyList<Evidence> Evidence { get => field ?? []; init; }

    public Location? Location { get; init; }

    public required Signals Signals { get; init; }

    public RawReference? Raw { get; init; }

    public TraceContext? Trace { get; init; }

    /// <summary>
    /// For reports that grow while they happen (a voice call's menu choice, queue result, recording): each
    /// update is a whole new snapshot with a higher revision, same provider message id and reference code;
    /// the case keeps the highest revision and ignores older or repeated ones. Absent means 1.
    /// </summary>
    public int? Revision { get; init; }

    /// <summary>The key that makes a report exactly one case: (channel instance, provider message id).</summary>
    [JsonIgnore]
    public string DedupKey => DedupKeyFor(ChannelInstance, Source.ProviderMessageId);

    public static string DedupKeyFor(string channelInstance, string providerMessageId) => $"{channelInstance}|{providerMessageId}";
}

public static class ReportChannels
{
    public const string Voice111 = "voice-111";
    public const string Sms = "sms";
    public const string Zalo = "zalo";
    public const string Messenger = "messenger";
    public const string Platform = "platform";
    public const string Web = "web";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Voice111, Sms, Zalo, Messenger, Platform, Web,
    };
}

public sealed record ReportSource
{
    /// <summary>Who delivered it: <c>twilio</c>, <c>sms-gateway</c>, <c>zalo</c>, <c>meta</c>, a platform id…</summary>
    public required string Provider { get; init; }

    /// <summary>The provider-side account that received it: Twilio number, short code, OA id, page id.</summary>
    public string? ProviderAccount { get; init; }

    /// <summary>The provider's id for the message (MessageSid, gateway id, mid, msg_id): the idempotency key.</summary>
    public required string ProviderMessageId { get; init; }

    public string? ConversationId { get; init; }

    /// <summary>Reference code of an earlier report from the same conversation that this one continues.</summary>
    public string? FollowUpOf { get; init; }

    /// <summary>Carrier or network named by the gateway (Viettel, Vinaphone, MobiFone…), when known.</summary>
    public string? Carrier { get; init; }
}

public sealed record Reporter
{
    /// <summary>Keyed HMAC-SHA256 of the provider user id: links reports by one person without the id.</summary>
    public string? Pseudonym { get; init; }

    /// <summary>AES-GCM ciphertext of the contact (phone number) for call-back: <c>v1.{keyId}.{base64url}</c>.</summary>
    public string? ContactRef { get; init; }

    /// <summary>One of <see cref="ReporterRoles"/>.</summary>
    public string Role { get => field ?? ReporterRoles.Unknown; init; }

    /// <summary>e.g. <c>under-10</c>, <c>10-13</c>, <c>14-15</c>, <c>16-17</c>, <c>adult</c>, <c>unknown</c>.</summary>
    public string AgeBand { get => field ?? "unknown"; init; }

    public bool Anonymous { get; init; }
}

public static class ReporterRoles
{
    public const string Child = "child";
    public const string Parent = "parent";
    public const string Teacher = "teacher";
    public const string OtherAdult = "other-adult";
    public const string Platform = "platform";
    public const string Unknown = "unknown";
}

public sealed record Incident
{
    /// <summary>Hub taxonomy codes (see <see cref="Taxonomy.Categories"/>).</summary>
    public IReadOnlyList<string> Categories { get => field ?? []; init; }

    /// <summary>What the reporter said, NFC-normalised.</summary>
    public string? Description { get; init; }

    public IReadOnlyList<string> Urls { get => field ?? []; init; }

    public IReadOnlyList<string> ReportedAccounts { get => field ?? []; init; }

    public DateTimeOffset? OccurredAt { get; init; }

    /// <summary>Who it happened to, as the reporter said: <c>self</c>, <c>friend</c>, <c>other</c> (chat channels ask).</summary>
    public string? Victim { get; init; }

    /// <summary>The victim's age band when someone estimated it (a platform's estimate); same bands as the reporter's.</summary>
    public string? VictimAgeBand { get; init; }

    /// <summary>What a platform's report said in CyberTipline terms (channel <c>platform</c> only).</summary>
    public PlatformSummary? Platform { get; init; }
}

/// <summary>The CyberTipline-level facts of a platform report that routing needs; everything else is in the raw request.</summary>
public sealed record PlatformSummary
{
    public required string IncidentType { get; init; }

    public IReadOnlyList<string> Annotations { get => field ?? []; init; }

    /// <summary>The platform's reason when it says a child may be in imminent danger.</summary>
    public string? EscalationReason { get; init; }

    /// <summary>What the platform already did (<c>content-removed</c>, <c>account-suspended</c>…).</summary>
    public IReadOnlyList<string> ActionsTaken { get => field ?? []; init; }
}

public sealed record Evidence
{
    /// <summary><c>image</c>, <c>audio</c>, <c>video</c>, <c>file</c>, <c>transcript</c>, <c>link</c>.</summary>
    public required string Kind { get; init; }

    /// <summary><c>{container}/{name}</c>; absent when the fetch failed (see <see cref="Error"/>).</summary>
    public string? Blob { get; init; }

    /// <summary>Lowercase hex SHA-256 of the plaintext content.</summary>
    public string? Sha256 { get; init; }

    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    /// <summary>The PDQ perceptual hash of an image (64 hex digits; docs/hash-bank.md#pdq).</summary>
    public string? Pdq { get; init; }

    /// <summary>The PDQ hash's quality, 0–100: below 50 the hash is kept but never matched on.</summary>
    public int? PdqQuality { get; init; }

    public string? ContentType { get; init; }

    public long? Size { get; init; }

    public string? SourceUrl { get; init; }

    /// <summary>Why the content is missing (refused host, too large, fetch failed). Never silently dropped.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// Who holds the content when the hub does not (a platform preserves its own files; the hub keeps their
    /// hashes and never downloads the material).
    /// </summary>
    public string? HeldBy { get; init; }

    /// <summary>Annotations on the file (<c>possible-self-production</c>, <c>generative-ai</c>…).</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Whether a person at the provider viewed the file.</summary>
    public bool? ViewedByProvider { get; init; }
}

public sealed record Location
{
    /// <summary>Province code of the 34 units since 1 July 2025 (Decision 19/2025/QĐ-TTg).</summary>
    public string? ProvinceCode { get; init; }

    /// <summary>Where the province came from: <c>channel-instance</c>, <c>text</c>, <c>reporter</c>, <c>platform</c>.</summary>
    public string? Basis { get; init; }
}

public sealed record Signals
{
    /// <summary>One of <see cref="Urgencies"/>.</summary>
    public string Urgency { get => field ?? Urgencies.Normal; init; }

    public IReadOnlyList<string> Reasons { get => field ?? []; init; }

    /// <summary>The reporter asked for a person: an operator takes over the conversation (the bot stays silent).</summary>
    public bool Handoff { get; init; }
}

public static class Urgencies
{
    public const string Immediate = "immediate";
    public const string High = "high";
    public const string Normal = "normal";
    public const string Low = "low";
}

public sealed record RawReference
{
    public required string Blob { get; init; }

    /// <summary>
    /// Lowercase hex SHA-256 of the request body exactly as received (before encryption); for an item of a batch
    /// (<see cref="Item"/>), of that item's own bytes, so each report's integrity can be checked on its own.
    /// </summary>
    public required string Sha256 { get; init; }

    /// <summary>
    /// Set when the blob holds a whole batch request (<c>{"reports": [...]}</c>) stored once for all its items: this
    /// report's position in <c>reports</c>. Its bytes are that element's exact text (<c>PlatformBatch.ItemBytes</c>).
    /// </summary>
    public int? Item { get; init; }

    public string? ContentType { get; init; }

    /// <summary>Content key id: the raw blob is AES-GCM encrypted because it holds the reporter's number.</summary>
    public string? KeyId { get; init; }
}

public sealed record TraceContext
{
    /// <summary>W3C <c>traceparent</c> of the request that produced the report.</summary>
    public string? Traceparent { get; init; }
}
