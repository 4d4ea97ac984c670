using System.Globalization;
using Hub.Core.Cases;

namespace Hub.OperatorConsole;

/// <summary>What every console page knows: who is signed in, the form token, the time, which section is open, and a message after an action.</summary>
public sealed record PageContext(MeResponse Me, string FormField, string FormToken, DateTimeOffset Now, string Section, Flash? Flash = null)
{
    public bool Is(string role) => Me.Roles.Contains(role);

    /// <summary>Counsellors and supervisors take and answer cases; liaisons read and note the ones routed to them.</summary>
    public bool Counsels => Is("counsellor") || Is("supervisor");

    public bool WorksCases => Counsels || Is("liaison");

    /// <summary>Hash curators confirm evidence as abuse material and vote on matches (beside a case role, which gives the scope).</summary>
    public bool Curates => Is("hash-curator");
}

/// <summary>A one-line result of the last action, shown at the top of the page (errors in an alert).</summary>
public sealed record Flash(string Text, bool Error = false);

/// <summary>The queue's filters, as the query string carries them (so a filtered queue is a link one can share or reload).</summary>
public sealed record QueueFilter(string? Status, string? Urgency, string? Team, string? Province, string? Channel, string? Category, bool Mine, string? Q, string? Cursor)
{
    public static QueueFilter None { get; } = new(null, null, null, null, null, null, false, null, null);

    public bool Any => Status is not null || Urgency is not null || Team is not null || Province is not null || Channel is not null || Category is not null || Mine || Q is not null;

    public string Query(string? cursor = null)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parts.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }

        Add("status", Status);
        Add("urgency", Urgency);
        Add("team", Team);
        Add("province", Province);
        Add("channel", Channel);
        Add("category", Category);
        Add("mine", Mine ? "1" : null);
        Add("q", Q);
        Add("cursor", cursor);
        return parts.Count == 0 ? string.Empty : "?" + string.Join("&", parts);
    }
}

public sealed record QueueModel(
    PageContext Page, QueueFilter Filter, QueueSummary Summary, IReadOnlyList<CaseRow> Cases, string? Next, IReadOnlyDictionary<long, string> People,
    IReadOnlyList<Named> Teams, string EventsCursor, IReadOnlyList<CallbackTask> Callbacks, string? Problem = null)
{
    public string Owner(long? id) => id is { } v && People.TryGetValue(v, out var name) ? name : id is null ? "Chưa có" : "#" + id.Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What the case page shows beside the API's view of the case.</summary>
public sealed record CaseModel(
    PageContext Page,
    CaseView View,
    ConversationView? Chat,
    IReadOnlyList<CaseRow> Related,
    IReadOnlyList<Named> Assignable,
    IReadOnlyList<Named> Teams,
    IReadOnlyList<string> QuickReplies,
    int? ShownEvidence,
    IReadOnlyList<LineView>? Transcript,
    string? ProtectedProblem,
    string? Contact,
    EditConflict? Conflict,
    string EventsCursor)
{
    public string User(long? id) => id is { } v && View.Users.TryGetValue(v.ToString(CultureInfo.InvariantCulture), out var name) ? name : id is null ? "—" : "#" + id.Value.ToString(CultureInfo.InvariantCulture);

    public bool Can(string action) => View.Allowed.Contains(action);

    public string Url(string? suffix = null) => "/console/cases/" + Uri.EscapeDataString(View.Case.Id) + suffix;
}

/// <summary>A change that was refused because someone else changed the case first: what they did since the page was loaded.</summary>
public sealed record EditConflict(IReadOnlyList<CaseEvent> Since, IReadOnlyList<CaseNote> Notes);

public sealed record SupervisorModel(PageContext Page, OverdueResponse Overdue, IReadOnlyList<Workload> Workload, IReadOnlyList<UserView> People, IReadOnlyDictionary<long, string> Names, IReadOnlyList<ReferralListRow> Escalated)
{
    public string Owner(long? id) => id is { } v && Names.TryGetValue(v, out var name) ? name : id is null ? "Chưa có" : "#" + id.Value.ToString(CultureInfo.InvariantCulture);
}

public sealed record AdminModel(PageContext Page, IReadOnlyList<UserView> Users, IReadOnlyList<Named> Teams);

/// <summary>The routing table as the hub applies it (docs/routing.md), read-only; <paramref name="Defaults"/>: no table is configured.</summary>
public sealed record RoutingModel(PageContext Page, IReadOnlyList<Hub.Core.Routing.RoutingRule> Rules, bool Defaults);

public sealed record MessageModel(PageContext? Page, string Title, string Text, string? LinkText = null, string? LinkHref = null);

/// <summary>The referrals sent to the user's teams (their inbox): open first, soonest due first; <paramref name="All"/> shows ended ones too.</summary>
public sealed record ReferralInboxModel(PageContext Page, IReadOnlyList<ReferralListRow> Referrals, bool All);

/// <summary>One referral as its receiver works it (or its sender reads it): what is shared, the clocks, and the moves allowed.</summary>
public sealed record ReferralPageModel(PageContext Page, ReferralDetailView View)
{
    public string Url(string? suffix = null) => "/console/referrals/" + Uri.EscapeDataString(View.Referral.Id) + suffix;
}

/// <summary>A case printed as Decree 56's Form 01 (Mẫu số 01): what the hub knows, and blanks for the rest.</summary>
public sealed record Form01Model(CaseView View, string ReceivedBy, DateTimeOffset PrintedAt);

/// <summary>
/// The Thống kê page: the filter as the query string carries it, the figures (and the previous period's, for the
/// trend), the tables, and whether small numbers are suppressed (analysts).
/// </summary>
public sealed record StatsModel(
    PageContext Page,
    Hub.Core.Statistics.Dashboard Current,
    Hub.Core.Statistics.Indicators? Previous,
    IReadOnlyList<StatsTable> Tables,
    bool Suppressed,
    string Query,
    string? Problem)
{
    public static readonly IReadOnlyList<string> Channels = ["voice-111", "sms", "zalo", "messenger", "web", "platform"];
}

/// <summary>The annual report, printable: the programme's indicators and the tables a provincial or ministry report needs, suppressed.</summary>
public sealed record AnnualModel(PageContext Page, int Year, Hub.Core.Statistics.Dashboard Report, IReadOnlyList<StatsTable> Tables)
{
    public static string TitleOf(int year) => $"Báo cáo năm {year}: tiếp nhận và xử lý thông tin, thông báo về xâm hại trẻ em trên môi trường mạng";
}
