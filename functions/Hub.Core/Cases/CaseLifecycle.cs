namespace Hub.Core.Cases;

/// <summary>Where a case is in its handling (docs/cases.md#the-lifecycle).</summary>
public enum CaseStatus
{
    /// <summary>In a team's queue; no person owns it yet.</summary>
    New,

    /// <summary>One person of the owning team works it.</summary>
    Open,

    /// <summary>Waiting on an agency (a referral is open); the owner stays.</summary>
    Referred,

    /// <summary>Closed with a <see cref="CloseReason"/>.</summary>
    Closed,

    /// <summary>Closed once and opened again: back in the team's queue until someone claims it.</summary>
    Reopened,
}

/// <summary>Why a case was closed: a fixed list, so statistics can count them.</summary>
public enum CloseReason
{
    Resolved,
    ReferredAndDone,
    NoContactPossible,
    NotChildProtection,
    Duplicate,
    Prank,
    Other,
}

/// <summary>What a person does to a case; each is one allowed move in <see cref="CaseLifecycle"/>.</summary>
public enum CaseAction
{
    Claim,
    Assign,
    Release,
    Refer,
    ReferralDone,
    Close,
    Reopen,
}

/// <summary>
/// The one place the allowed transitions live. The case service asks it before every change and refuses the rest,
/// so no screen or API can move a case where the rules do not allow.
/// </summary>
public static class CaseLifecycle
{
    private static readonly Dictionary<(CaseStatus From, CaseAction Action), CaseStatus> Moves = new()
    {
        [(CaseStatus.New, CaseAction.Claim)] = CaseStatus.Open,
        [(CaseStatus.New, CaseAction.Assign)] = CaseStatus.Open,
        [(CaseStatus.Reopened, CaseAction.Claim)] = CaseStatus.Open,
        [(CaseStatus.Reopened, CaseAction.Assign)] = CaseStatus.Open,
        [(CaseStatus.Open, CaseAction.Assign)] = CaseStatus.Open, // re-assignment within the team
        [(CaseStatus.Open, CaseAction.Release)] = CaseStatus.New,
        [(CaseStatus.Open, CaseAction.Refer)] = CaseStatus.Referred,
        [(CaseStatus.Referred, CaseAction.ReferralDone)] = CaseStatus.Open,
        [(CaseStatus.Referred, CaseAction.Assign)] = CaseStatus.Referred,
        [(CaseStatus.Open, CaseAction.Close)] = CaseStatus.Closed,
        [(CaseStatus.Referred, CaseAction.Close)] = CaseStatus.Closed,
        [(CaseStatus.Closed, CaseAction.Reopen)] = CaseStatus.Reopened,
    };

    /// <summary>The status <paramref name="action"/> leads to from <paramref name="from"/>, or null when it is not allowed.</summary>
    public static CaseStatus? Next(CaseStatus from, CaseAction action) => Moves.TryGetValue((from, action), out var to) ? to : null;

    /// <summary>The actions the lifecycle allows from <paramref name="from"/>, in declaration order.</summary>
    public static IReadOnlyList<CaseAction> AllowedFrom(CaseStatus from) => [.. Enum.GetValues<CaseAction>().Where(a => Moves.ContainsKey((from, a)))];

    public static IEnumerable<(CaseStatus From, CaseAction Action, CaseStatus To)> AllMoves => Moves.Select(m => (m.Key.From, m.Key.Action, m.Value));

    /// <summary>Whether a person owns the case in this status (from <c>open</c> on, until closed or released).</summary>
    public static bool HasPersonalOwner(CaseStatus status) => status is CaseStatus.Open or CaseStatus.Referred;

    public static string Name(CaseStatus status) => status switch
    {
        CaseStatus.New => "new",
        CaseStatus.Open => "open",
        CaseStatus.Referred => "referred",
        CaseStatus.Closed => "closed",
        CaseStatus.Reopened => "reopened",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static CaseStatus ParseStatus(string? name) => name switch
    {
        "new" => CaseStatus.New,
        "open" => CaseStatus.Open,
        "referred" => CaseStatus.Referred,
        "closed" => CaseStatus.Closed,
        "reopened" => CaseStatus.Reopened,
        _ => throw new InvalidDataException($"unknown case status '{name}'"),
    };

    public static bool TryParseStatus(string? name, out CaseStatus status)
    {
        try
        {
            status = ParseStatus(name);
            return true;
        }
        catch (InvalidDataException)
        {
            status = default;
            return false;
        }
    }

    public static string Name(CloseReason reason) => reason switch
    {
        CloseReason.Resolved => "resolved",
        CloseReason.ReferredAndDone => "referred-and-done",
        CloseReason.NoContactPossible => "no-contact-possible",
        CloseReason.NotChildProtection => "not-child-protection",
        CloseReason.Duplicate => "duplicate",
        CloseReason.Prank => "prank",
        CloseReason.Other => "other",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    public static bool TryParseCloseReason(string? name, out CloseReason reason)
    {
        foreach (var r in Enum.GetValues<CloseReason>())
        {
            if (string.Equals(Name(r), name, StringComparison.Ordinal))
            {
                reason = r;
                return true;
            }
        }

        reason = default;
        return false;
    }

    public static string Name(CaseAction action) => action switch
    {
        CaseAction.Claim => "claim",
        CaseAction.Assign => "assign",
        CaseAction.Release => "release",
        CaseAction.Refer => "refer",
        CaseAction.ReferralDone => "referral-done",
        CaseAction.Close => "close",
        CaseAction.Reopen => "reopen",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };
}
