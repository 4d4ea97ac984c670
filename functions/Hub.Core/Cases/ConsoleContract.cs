using Hub.Core.Envelope;

namespace Hub.Core.Cases;

// The console API's answers (docs/console-api.md): what /api/console/v1 serializes as JSON and what the console's
// pages (console/Hub.Console) render, so the two cannot drift: one contract, one source of truth.

public sealed record CaseEvent(long Id, DateTimeOffset At, long? ActorId, string Action, string? FromStatus, string? ToStatus, long? FromOwner, long? ToOwner, string? FromTeam, string? ToTeam, string? Reason);

public sealed record CaseNote(long Id, long AuthorId, DateTimeOffset At, string Body, long? Corrects);

public sealed record CaseLink(string OtherCaseId, string Kind, string Reason, long? CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A call-back task: the number is never here (revealing it is an audited request of its own).</summary>
public sealed record CallbackTask(long Id, string CaseId, string Status, DateTimeOffset CreatedAt, DateTimeOffset DueAt, long? DoneBy, DateTimeOffset? DoneAt, string? Outcome);

public sealed record OverdueCount(string TeamId, string Urgency, int FirstResponse, int Intervention);

public sealed record Workload(string Team, string Login, string DisplayName, int OpenCases, int Overdue);

public sealed record MeResponse(string Login, string? DisplayName, IReadOnlyList<string> Roles, IReadOnlyList<string> Teams, bool SeesAllCases);

/// <summary>One case in a list: no report content (the detail is an audited read).</summary>
public sealed record CaseRow(
    string Id, string ReferenceCode, string Channel, string Urgency, string Status, string Team, long? Owner, IReadOnlyList<string> Categories,
    string? Province, DateTimeOffset ReceivedAt, DateTimeOffset FirstResponseDue, DateTimeOffset? FirstResponseAt, DateTimeOffset? InterventionDue,
    bool FirstResponseOverdue, bool InterventionOverdue, string? LowPriorityReason, string? TransferTo, int Version);

public sealed record CaseListPage(IReadOnlyList<CaseRow> Cases, string? Next);

public sealed record EvidenceRow(int Index, string Report, string Kind, string? ContentType, long? Size, string? Sha256, string? Error, string? HeldBy, string? SourceUrl, IReadOnlyList<string>? Tags);

public sealed record ReportRow(
    string Id, string ReferenceCode, DateTimeOffset ReceivedAt, string Channel, string ChannelInstance, string ReporterRole, string AgeBand, bool Anonymous,
    bool HasContact, Incident Incident, string? Province, string Urgency, IReadOnlyList<string> UrgencyReasons, bool Handoff);

public sealed record CaseView(
    CaseRow Case, string? CloseReason, IReadOnlyList<ReportRow> Reports, IReadOnlyList<EvidenceRow> Evidence, IReadOnlyList<CaseEvent> History,
    IReadOnlyList<CaseNote> Notes, IReadOnlyList<CaseLink> Links, IReadOnlyList<CallbackTask> Callbacks, int EarlierReportsBySameReporter,
    int EarlierCasesBySameReporter, IReadOnlyDictionary<string, string> Users, IReadOnlyList<string> Allowed, IReadOnlyList<string> UnreadableReports,
    SmsThread? Sms, RoutingView Routing, IReadOnlyList<ReferralView> Referrals, IReadOnlyList<KnownMaterialView> KnownMaterial);

/// <summary>
/// Evidence of the case that matched a hash bank when its report was processed (docs/hash-bank.md#matching): which
/// report and item (its SHA-256; empty for a hash a platform holds), the bank, the classification, the hash type and
/// the distance. Such media is never served to anyone; the case shows these facts instead.
/// </summary>
/// <summary>A case's evidence item that matched a bank entry (or a curator confirmed: <see cref="ConfirmedBy"/>).</summary>
public sealed record KnownMaterialView(string Report, string Sha256, string Bank, string Classification, string Type, int Distance, long Entry = 0, string? ConfirmedBy = null);

/// <summary>
/// How the case was routed (docs/routing.md): the rule that chose its team when it was created (null: none matched,
/// the central team; <c>before-routing</c> for older cases) and the referrals proposed now (after a reclassification,
/// what the rules say for the case as it stands). Proposals only: a referral is sent by a person.
/// </summary>
public sealed record RoutingView(string? Rule, IReadOnlyList<string> ProposedReferrals);

/// <summary>
/// One SMS reply to a case's reporter and how far it got: <c>queued</c> (or <c>sending</c>) in the hub, <c>accepted</c>
/// by the provider, <c>sent</c> to the carrier, <c>delivered</c> to the phone; or <c>failed</c> / <c>undelivered</c>.
/// </summary>
public sealed record SmsReplyView(string Id, DateTimeOffset At, long Author, string Text, int Segments, string Status, int Attempts, string? Error, DateTimeOffset UpdatedAt);

/// <summary>A case's SMS replies, and whether the signed-in user can send one now (and, if not, why: a code such as <c>opted-out</c>).</summary>
public sealed record SmsThread(bool CanReply, string? WhyNot, int MaxSegments, IReadOnlyList<SmsReplyView> Replies);

public sealed record Named(string Code, string Name);

public sealed record TaxonomyResponse(IReadOnlyList<Named> Categories, IReadOnlyList<Named> Provinces, IReadOnlyList<string> Urgencies, IReadOnlyList<string> CloseReasons);

public sealed record OverdueResponse(IReadOnlyList<CaseRow> Cases, IReadOnlyList<OverdueCount> ByTeam);

public sealed record EventsResponse(string Cursor, IReadOnlyList<CaseRow> Changed, bool More);

/// <summary>One line of a live chat: who (child, bot, agent), what, and for a person's reply its delivery (queued, sent, not-sent).</summary>
public sealed record LineView(DateTimeOffset At, string From, string Text, int Attachments, string? Delivery);

public sealed record ConversationView(string Channel, bool Handoff, DateTimeOffset? LastMessageFromChildAt, DateTimeOffset? ReplyPossibleUntil, bool CanReply, string? WhyNot, IReadOnlyList<LineView> Lines);

public sealed record UserView(string Login, string DisplayName, bool Active, IReadOnlyList<string> Roles, IReadOnlyList<string> Teams, string? Issuer, string? Subject);

/// <summary>A channel's tile on the queue: how many cases wait for someone to take them, and since when the oldest.</summary>
public sealed record ChannelTile(string Channel, int Waiting, DateTimeOffset? OldestSince);

/// <summary>A chat the bot handed to a person that nobody has taken yet, and since when the child waits.</summary>
public sealed record WaitingChat(CaseRow Case, DateTimeOffset WaitingSince);

public sealed record QueueSummary(IReadOnlyList<ChannelTile> Channels, IReadOnlyList<WaitingChat> Chats);

/// <summary>The envelope's channel types, in the order the console's tiles show them.</summary>
public static class ChannelNames
{
    public static readonly IReadOnlyList<string> All = ["voice-111", "sms", "zalo", "messenger", "platform", "web"];
}

/// <summary>
/// One referral of a case (docs/referrals.md): to whom, why, how much is shared and on what consent basis, its state
/// and clocks, what the receiver answered, and whether its webhook reached the agency's system. <c>Escalated</c>: past
/// its acknowledgement time unacknowledged, or an immediate case's 12 hours gone with the referral still open.
/// </summary>
public sealed record ReferralView(
    string Id, string CaseId, string ToTeam, string FromTeam, string State, string Reason, string Sharing, string ConsentBasis, string? OverrideReason,
    long? SentBy, DateTimeOffset SentAt, DateTimeOffset AcknowledgeDue, DateTimeOffset? InterventionDue, DateTimeOffset? AcknowledgedAt, DateTimeOffset? DecidedAt,
    DateTimeOffset? ClosedAt, string? Outcome, string? Answer, string Webhook, int WebhookAttempts, string? WebhookError, bool Escalated, int Version);

/// <summary>
/// The case as a referral shares it with its receiver: the summary always; the description, links, accounts and the
/// evidence list only when the referral is shared <c>with-evidence</c> (null otherwise). Never the reporter's identity or contact.
/// </summary>
public sealed record SharedCaseView(
    string ReferenceCode, string Urgency, IReadOnlyList<string> Categories, string? Province, DateTimeOffset ReceivedAt, string? ReporterRole, string? AgeBand,
    string? VictimAgeBand, DateTimeOffset? InterventionDue, string? Description, IReadOnlyList<string>? Urls, IReadOnlyList<string>? Accounts, IReadOnlyList<EvidenceRow>? Evidence);

public sealed record ReferralDetailView(ReferralView Referral, SharedCaseView Case, string FromTeamName, string ToTeamName, string Side, IReadOnlyList<string> Allowed);

/// <summary>A referral in a list (the receiving team's inbox, the sending supervisors' escalations): no case content.</summary>
public sealed record ReferralListRow(ReferralView Referral, string ReferenceCode, string Urgency, IReadOnlyList<string> Categories, string? Province);
