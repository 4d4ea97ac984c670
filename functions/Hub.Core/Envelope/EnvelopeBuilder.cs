using Hub.Core.Taxonomy;
using Hub.Core.Text;

namespace Hub.Core.Envelope;

/// <summary>What the intake fixed about a report before the envelope exists: its ids, the protected reporter, what it stored.</summary>
/// <param name="Id">The report's ULID.</param>
/// <param name="ReceivedAt">When the hub acknowledged it.</param>
/// <param name="ReferenceCode">The code the reporter was told.</param>
/// <param name="ReporterPseudonym">The keyed pseudonym of the sender, or null when anonymous.</param>
/// <param name="ContactRef">The sender's contact, sealed, or null.</param>
/// <param name="Evidence">What was stored (transcript, media, attachments), in order.</param>
/// <param name="Raw">The encrypted raw request.</param>
/// <param name="Traceparent">The W3C trace context, when tracing.</param>
public sealed record EnvelopeStamp(
    string Id,
    DateTimeOffset ReceivedAt,
    string ReferenceCode,
    string? ReporterPseudonym,
    string? ContactRef,
    IReadOnlyList<Evidence> Evidence,
    RawReference Raw,
    string? Traceparent);

/// <summary>
/// Builds the <c>hub.report/v1</c> envelope from what a channel submitted and what the intake stored: pure, so every
/// rule it applies (text triage merged with what a conversation established, urgency never lowered, the province from
/// the channel or else the text, links from the text) is tested without storage.
/// </summary>
public static class EnvelopeBuilder
{
    public static ReportEnvelope Build(IntakeSubmission s, EnvelopeStamp stamp)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(stamp);
        var triage = Triage.Assess(s.Text);
        return new ReportEnvelope
        {
            Id = stamp.Id,
            ReceivedAt = stamp.ReceivedAt,
            Channel = s.Channel,
            ChannelInstance = s.ChannelInstance,
            ReferenceCode = stamp.ReferenceCode,
            Source = new ReportSource
            {
                Provider = s.Provider,
                ProviderAccount = s.ProviderAccount,
                ProviderMessageId = s.ProviderMessageId,
                ConversationId = s.ConversationId,
                FollowUpOf = s.FollowUpOf,
                Carrier = s.Carrier,
            },
            Reporter = new Reporter
            {
                Pseudonym = stamp.ReporterPseudonym,
                ContactRef = stamp.ContactRef,
                Anonymous = s.SenderId is not { Length: > 0 },
                Role = s.ReporterRole ?? ReporterRoles.Unknown,
                AgeBand = s.AgeBand ?? "unknown",
            },
            Incident = new Incident
            {
                Categories = s.Categories.Concat(triage.Categories).Distinct(StringComparer.Ordinal).ToList(),
                Description = s.Text,
                Urls = s.Urls.Concat(Urls.Extract(s.Text)).Distinct(StringComparer.Ordinal).Take(Urls.MaxPerReport).ToList(),
                ReportedAccounts = s.ReportedAccounts,
                OccurredAt = s.OccurredAt,
                Victim = s.Victim,
                VictimAgeBand = s.VictimAgeBand,
                Platform = s.Platform,
            },
            Evidence = stamp.Evidence,
            Location = LocationOf(s),
            Signals = new Signals { Urgency = UrgencyOf(s, triage), Reasons = s.Reasons.Concat(triage.Reasons).Distinct(StringComparer.Ordinal).ToList(), Handoff = s.Handoff },
            Raw = stamp.Raw,
            Trace = stamp.Traceparent is { } traceparent ? new TraceContext { Traceparent = traceparent } : null,
            Revision = s.Revision,
        };
    }

    /// <summary>The channel's (or conversation's) urgency, raised by what the text says; never lowered.</summary>
    public static string UrgencyOf(IntakeSubmission s, TriageResult triage)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(triage);
        return s.Urgency is null ? triage.Urgency : Triage.Max(s.Urgency, triage.Urgency);
    }

    /// <summary>The province the channel or the reporter set, else one the text names (pre-2025 names included), else none.</summary>
    private static Location? LocationOf(IntakeSubmission s) =>
        Provinces.ByCodeOrNull(s.ProvinceCode) is { } p
            ? new Location { ProvinceCode = p.Code, Basis = s.ProvinceBasis }
            : Provinces.Find(s.Text) is { } found ? new Location { ProvinceCode = found.Code, Basis = "text" } : null;
}
