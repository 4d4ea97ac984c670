using Hub.Core.Envelope;

namespace Hub.Core.Cases;

/// <summary>
/// A referral's states (issue 17; Primero's referral and Aselo's dispatcher are the models): <c>sent</c> →
/// <c>acknowledged</c> → <c>accepted</c> or <c>rejected</c> → <c>done</c> with an outcome; <c>revoked</c> by the sender
/// at any point before it ends. While a referral is open its case is <c>referred</c>; the case keeps its team and
/// its person throughout.
/// </summary>
public enum ReferralState
{
    Sent,
    Acknowledged,
    Accepted,
    Rejected,
    Done,
    Revoked,
}

/// <summary>Who moves a referral: the sending side (the case's team) or the receiving side (the agency's liaison or its system).</summary>
public enum ReferralSide
{
    Sender,
    Receiver,
}

/// <summary>How much of the case the receiver sees: the summary only, or the summary and the evidence.</summary>
public enum SharingLevel
{
    Summary,
    WithEvidence,
}

/// <summary>What the referral's receiver did, recorded when it is done.</summary>
public static class ReferralOutcomes
{
    public static readonly IReadOnlyList<string> All = ["intervened", "child-safe", "not-confirmed", "transferred", "content-removed", "other"];
}

/// <summary>A referral's clocks (<c>Hub:Cases:Referrals</c>): acknowledgement due by the case's urgency; Decree 56's 12 hours for immediate cases.</summary>
public sealed class ReferralClockOptions
{
    public TimeSpan AcknowledgeImmediate { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan AcknowledgeHigh { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan AcknowledgeOther { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>The referral state machine: which move is allowed from which state, by which side, with what it must carry.</summary>
public static class ReferralLifecycle
{
    public static string Name(ReferralState s) => s switch
    {
        ReferralState.Sent => "sent",
        ReferralState.Acknowledged => "acknowledged",
        ReferralState.Accepted => "accepted",
        ReferralState.Rejected => "rejected",
        ReferralState.Done => "done",
        _ => "revoked",
    };

    public static ReferralState? Parse(string? name) => name switch
    {
        "sent" => ReferralState.Sent,
        "acknowledged" => ReferralState.Acknowledged,
        "accepted" => ReferralState.Accepted,
        "rejected" => ReferralState.Rejected,
        "done" => ReferralState.Done,
        "revoked" => ReferralState.Revoked,
        _ => null,
    };

    /// <summary>Open: the case is waiting on the agency (it counts towards the case's <c>referred</c> status and the overdue list).</summary>
    public static bool IsOpen(ReferralState s) => s is ReferralState.Sent or ReferralState.Acknowledged or ReferralState.Accepted;

    /// <summary>
    /// Whether <paramref name="side"/> may move a referral from <paramref name="from"/> to <paramref name="to"/>, and
    /// if not, why (in words for the API's problem details). The receiver acknowledges, accepts or rejects, and
    /// records the outcome; the sender revokes. Accepting or rejecting without an acknowledgement first acknowledges.
    /// </summary>
    public static string? WhyNot(ReferralState from, ReferralState to, ReferralSide side, string? reason, string? outcome)
    {
        if (!IsOpen(from))
        {
            return $"the referral is {Name(from)}: it has ended";
        }

        return (to, side) switch
        {
            (ReferralState.Revoked, ReferralSide.Sender) => string.IsNullOrWhiteSpace(reason) ? "a revocation needs a reason" : null,
            (ReferralState.Revoked, _) => "only the sending team revokes a referral",
            (_, ReferralSide.Sender) => "only the receiving team acknowledges, accepts, rejects or completes a referral",
            (ReferralState.Acknowledged, _) => from == ReferralState.Sent ? null : "the referral is already acknowledged",
            (ReferralState.Accepted, _) => from is ReferralState.Sent or ReferralState.Acknowledged ? null : "the referral is already accepted",
            (ReferralState.Rejected, _) => from is ReferralState.Accepted ? "an accepted referral is completed, not rejected"
                : string.IsNullOrWhiteSpace(reason) ? "a rejection needs a reason" : null,
            (ReferralState.Done, _) => from != ReferralState.Accepted ? "only an accepted referral is completed"
                : outcome is null || !ReferralOutcomes.All.Contains(outcome, StringComparer.Ordinal) ? $"an outcome is one of {string.Join(", ", ReferralOutcomes.All)}" : null,
            _ => "a referral is not moved back to sent",
        };
    }

    /// <summary>The moves <paramref name="side"/> may make from <paramref name="state"/> (what the console offers; the API checks each with <see cref="WhyNot"/>).</summary>
    public static IReadOnlyList<ReferralState> Allowed(ReferralState state, ReferralSide side) => (state, side) switch
    {
        (_, ReferralSide.Sender) when IsOpen(state) => [ReferralState.Revoked],
        (ReferralState.Sent, ReferralSide.Receiver) => [ReferralState.Acknowledged, ReferralState.Accepted, ReferralState.Rejected],
        (ReferralState.Acknowledged, ReferralSide.Receiver) => [ReferralState.Accepted, ReferralState.Rejected],
        (ReferralState.Accepted, ReferralSide.Receiver) => [ReferralState.Done],
        _ => [],
    };

    /// <summary>When the receiver must acknowledge: from the moment it was sent, by the case's urgency.</summary>
    public static DateTimeOffset AcknowledgeDue(DateTimeOffset sentAt, string urgency, ReferralClockOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return sentAt + urgency switch
        {
            Urgencies.Immediate => o.AcknowledgeImmediate,
            Urgencies.High => o.AcknowledgeHigh,
            _ => o.AcknowledgeOther,
        };
    }

    /// <summary>
    /// Whether the referral is to be escalated to the sending team's supervisors at <paramref name="now"/>: still
    /// unacknowledged after its acknowledgement was due, or (an immediate case) still not done when the case's 12-hour
    /// intervention deadline has passed.
    /// </summary>
    public static bool Escalates(ReferralState state, DateTimeOffset acknowledgeDue, DateTimeOffset? interventionDue, DateTimeOffset now) =>
        (state == ReferralState.Sent && now > acknowledgeDue)
        || (IsOpen(state) && interventionDue is { } due && now > due);

    /// <summary>What a sender must give: a reason, and a consent basis — the reporter's recorded consent, or a supervisor's override with a written reason.</summary>
    public static string? WhyNotSend(string? reason, bool reporterConsented, bool supervisorOverride, string? overrideReason, bool isSupervisor)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return "a referral needs a reason";
        }

        if (reporterConsented)
        {
            return null;
        }

        if (!supervisorOverride)
        {
            return "the reporter has not consented: a supervisor may override, with a written reason";
        }

        return !isSupervisor ? "only a supervisor overrides the reporter's consent"
            : string.IsNullOrWhiteSpace(overrideReason) ? "an override needs a written reason" : null;
    }
}
