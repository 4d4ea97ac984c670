using System.Text.Json;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Hub.Core.Statistics;
using Hub.Functions.Statistics;
using Hub.Functions.Tests.Cases;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Hub.Functions.Tests.Statistics;

/// <summary>
/// The Thống kê page's figures, exact (docs/statistics.md): one Vietnamese morning of cases worked through the case
/// service with a fake clock — claimed, referred to the police, acknowledged, closed, reopened, merged, called back,
/// answered after a chat handoff, taken down — and every indicator, time and count checked against the seeded story.
/// The story has its own database, so the figures are of these cases only; it is told once for the class.
/// </summary>
public sealed class DashboardTests(DashboardStory story) : IClassFixture<DashboardStory>
{
    private static readonly StatsFilter March = DashboardStory.March;

    private CaseStatistics Stats => story.Stats;

    private Actor Ha => story.Ha;

    private Actor Lan => story.Lan;

    [Fact]
    public async Task TheIndicators_AreTheSeededStory()
    {
        var d = await Stats.DashboardAsync(March, StatsScope.Everything, people: true, CancellationToken.None);

        d.Cases.ShouldBe(5, "A–E: F was merged into E, and A's revision is A");
        d.Reports.ShouldBe(6, "six reports, F's included; a revision is its report");

        // child victims: A, B, D, E (C asked for information); supported: A, B, D (a named person took them)
        d.Indicators.ChildVictimsSupported.ShouldBe(new Share(3, 4));

        // violators: A's URL and account (referred to the police), B's URL (closed, then reopened: not handled), E's URL
        d.Indicators.ViolatorsHandled.ShouldBe(new Share(2, 4), "A's two by the police referral; B was reopened and E is untouched (F's is E's, merged)");

        // the page's comparison with the period before reads the indicators alone: the same figures by the same definitions
        (await Stats.IndicatorsAsync(March, StatsScope.Everything, CancellationToken.None)).ShouldBe(d.Indicators);
    }

    [Fact]
    public async Task Timeliness_IsExactToTheMinute()
    {
        var t = (await Stats.DashboardAsync(March, StatsScope.Everything, people: false, CancellationToken.None)).Timeliness;

        // first responses: C 300 s, A 600 s, D 1,200 s (due 15 min: late), B 7,200 s; E not yet (due in 24 h: not late)
        t.FirstResponse.ShouldBe(new Durations(4, 600, 7200, new Share(3, 4)));
        t.AwaitingResponse.ShouldBe(1);
        t.ResponseOverdueNow.ShouldBe(0);
        t.ResponseDistribution.ShouldBe([new("<15m", 2), new("15m-1h", 1), new("1h-4h", 1), new("4h-12h", 0), new("12h-24h", 0), new(">24h", 0), new("none", 1)]);
        t.FirstReferral.ShouldBe(new Durations(1, 1800, 1800, null));
        t.ReferralAcknowledgement.ShouldBe(new Durations(1, 1800, 1800, new Share(1, 1)), "acknowledged 30 min after it was sent, within the hour a high case allows");

        // the 12 hours of Decree 56: only D carries it, and at 22:00 nothing was recorded
        (t.InterventionDue, t.InterventionMet, t.InterventionMissed, t.InterventionPending, t.InterventionOverdueNow).ShouldBe((1L, 0L, 1L, 0L, 1L));
    }

    [Fact]
    public async Task Outcomes_AndOperations()
    {
        var d = await Stats.DashboardAsync(March, StatsScope.Everything, people: true, CancellationToken.None);

        d.Outcomes.CloseReasons.ShouldBe([new("not-child-protection", 1)], "B was reopened and F is counted in E");
        d.Outcomes.ReferralStates.ShouldBe([new("acknowledged", 1)]);
        d.Outcomes.Takedowns.ShouldBe([new TakedownRow("nen-tang", 2, 1, 1, 7200, 7200)]);
        d.Outcomes.KnownMaterialCases.ShouldBe(0);

        var o = d.Operations;
        (o.CallbacksCreated, o.CallbacksDone, o.CallbacksOverdueNow).ShouldBe((2L, 1L, 1L));
        o.CallbackTime.ShouldBe(new Durations(1, 1800, 1800, new Share(1, 2)));
        (o.Handoffs, o.HandoffsAnswered).ShouldBe((1L, 1L));
        o.HandoffWait.ShouldBe(new Durations(1, 1500, 1500, null), "D's chat was answered 25 minutes after the report that handed it over");
        (o.RepeatReporters, o.RepeatReporterCases).ShouldBe((1L, 2L));
        o.Teams.Sum(x => x.Cases).ShouldBe(5);
        o.Teams.Sum(x => x.Closed).ShouldBe(1);
        o.People.ShouldBe([new PersonWork(Ha.UserId!.Value, "ha", 1, 0), new PersonWork(Lan.UserId!.Value, "lan", 1, 1)], "B went back to the queue when it was reopened");

        d.Provinces.Select(p => (p.Province, p.Cases, p.ChildVictimCases, p.Supported)).ShouldBe([("unknown", 1L, 1L, 0L), ("01", 2L, 1L, 1L), ("48", 2L, 2L, 2L)], "lowest support first");
        d.Breakdowns[StatsDimension.Channel].ShouldBe([new("sms", 2), new("messenger", 1), new("web", 1), new("zalo", 1)]);
        d.Breakdowns[StatsDimension.Category].ShouldBe([new("ONLINE.BULLYING", 2), new("INFO", 1), new("OCSEA.SEXTORTION", 1), new("WELLBEING.SELF_HARM", 1)]);
        d.SeriesBucket.ShouldBe(StatsBucket.Day);
        var day = new DateOnly(2033, 3, 10);
        d.Series.ShouldBe([new(day, "messenger", 1), new(day, "sms", 2), new(day, "web", 1), new(day, "zalo", 1)]);
    }

    [Fact]
    public async Task FiltersAndScope_NarrowTheCases()
    {
        (await Stats.DashboardAsync(March with { Province = "unknown" }, StatsScope.Everything, false, CancellationToken.None)).Cases.ShouldBe(1);
        (await Stats.DashboardAsync(March with { Channel = "web" }, StatsScope.Everything, false, CancellationToken.None)).Cases.ShouldBe(1);
        (await Stats.DashboardAsync(March with { From = new DateOnly(2033, 3, 11) }, StatsScope.Everything, false, CancellationToken.None)).Cases.ShouldBe(0);

        var danang = await Stats.DashboardAsync(March, new StatsScope(false, ["province-48"], ["48"]), people: true, CancellationToken.None);
        danang.Cases.ShouldBe(2, "a provincial supervisor counts their province's cases: A and B");
        danang.Indicators.ChildVictimsSupported.ShouldBe(new Share(2, 2));
        danang.Operations.People.ShouldBe([new PersonWork(Ha.UserId!.Value, "ha", 1, 0)]);
        (await Stats.DashboardAsync(March, new StatsScope(false, ["police-01"], []), false, CancellationToken.None)).Cases.ShouldBe(0);
    }
}

/// <summary>The seeded story of <see cref="DashboardTests"/>, in its own database.</summary>
public sealed class DashboardStory : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2033, 3, 10, 2, 0, 0, TimeSpan.Zero); // 09:00 in Vietnam
    public static readonly StatsFilter March = new(new DateOnly(2033, 3, 1), new DateOnly(2033, 3, 31));

    private readonly CaseStoreDatabase _db = new();
    private readonly FakeTimeProvider _time = new(T0);
    private PostgresCaseStore _store = null!;
    private CaseService _cases = null!;
    private People _people = null!;

    public CaseStatistics Stats => new(_db.Cases, _time);

    public Actor Ha { get; private set; } = null!;       // counsellor, Đà Nẵng

    public Actor Lam { get; private set; } = null!;      // supervisor, Đà Nẵng

    public Actor Lan { get; private set; } = null!;      // counsellor, the central team and Hà Nội

    public Actor Police { get; private set; } = null!;   // liaison, Đà Nẵng police

    public ReportEnvelope A { get; private set; } = null!;

    public ReportEnvelope B { get; private set; } = null!;

    public ReportEnvelope C { get; private set; } = null!;

    public ReportEnvelope D { get; private set; } = null!;

    public ReportEnvelope E { get; private set; } = null!;

    public ReportEnvelope F { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        var options = Options.Create(new HubOptions());
        _store = new PostgresCaseStore(_db.Cases, options, _time);
        var audit = new AuditLog(_db.Cases, _time);
        _people = new People(_db.Cases, audit, _time);
        _cases = new CaseService(_db.Cases, audit, _time, options);

        async Task<Actor> Add(string login, string role, params string[] teams)
        {
            await _people.AddUserAsync(Actor.Console(), login, login, teams, [role], null, null, CancellationToken.None);
            return await _people.ActorAsync(login, "203.0.113.9", CancellationToken.None);
        }

        Ha = await Add("ha", Roles.Counsellor, "province-48");
        Lam = await Add("lam", Roles.Supervisor, "province-48");
        Lan = await Add("lan", Roles.Counsellor, "central-111", "province-01");
        Police = await Add("cand", Roles.Liaison, "police-48");
        await SeedStoryAsync();
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    /// <summary>
    /// Six cases received at 09:00 on 10 March 2033 in Vietnam, then worked until 22:00 (T0 + 13 h):
    /// A (SMS, Đà Nẵng, sextortion, high; a URL and an account; revised once): claimed at +10 min, referred to the Đà Nẵng
    ///   police at +30 min, acknowledged at +1 h; a takedown requested at +40 min, removed at +2 h 40 min.
    /// B (SMS, Đà Nẵng, bullying, normal; a URL; A's reporter): claimed at +2 h, closed resolved at +3 h, reopened at +4 h;
    ///   a call-back done at +30 min; a takedown requested and never confirmed.
    /// C (web, Hà Nội, an information request): claimed at +5 min, closed not-child-protection at +6 min.
    /// D (Messenger, Hà Nội, self-harm, immediate; handed to a person in chat): claimed at +20 min, answered in chat at +25 min,
    ///   no intervention recorded by +12 h.
    /// E (Zalo, no province, bullying, normal; a URL): never claimed; a call-back due at +1 h, still open.
    /// F (Zalo, no province, bullying): a duplicate of E, merged into it (closed duplicate) at +7 min.
    /// </summary>
    private async Task SeedStoryAsync()
    {
        A = await WriteAsync("sms", "48", ["OCSEA.SEXTORTION"], Urgencies.High, urls: ["https://social.example/u/1"], accounts: ["@ke-xau"], pseudonym: "p-1");
        await WriteAsync(A with { Revision = 2, Incident = A.Incident with { Description = "bổ sung" } });
        B = await WriteAsync("sms", "48", ["ONLINE.BULLYING"], Urgencies.Normal, urls: ["https://social.example/u/2"], pseudonym: "p-1");
        C = await WriteAsync("web", "01", ["INFO"], Urgencies.Normal);
        D = await WriteAsync("messenger", "01", ["WELLBEING.SELF_HARM"], Urgencies.Immediate, handoff: true);
        E = await WriteAsync("zalo", null, ["ONLINE.BULLYING"], Urgencies.Normal, urls: ["https://social.example/u/3"]);
        F = await WriteAsync("zalo", null, ["ONLINE.BULLYING"], Urgencies.Normal, urls: ["https://social.example/u/3"]);
        await CallbackAsync(B.Id, T0 + TimeSpan.FromHours(1), done: T0 + TimeSpan.FromMinutes(30));
        await CallbackAsync(E.Id, T0 + TimeSpan.FromHours(1), done: null);

        await At(5, () => _cases.ClaimAsync(Lan, C.Id, CancellationToken.None));
        await At(6, () => _cases.CloseAsync(Lan, C.Id, CloseReason.NotChildProtection, "hỏi thông tin", CancellationToken.None));
        await At(7, async () =>
        {
            await _cases.ClaimAsync(Lan, F.Id, CancellationToken.None);
            await _cases.LinkAsync(Lan, F.Id, E.Id, "duplicate-of", "cùng một bạn gửi hai lần", CancellationToken.None);
            return await _cases.CloseAsync(Lan, F.Id, CloseReason.Duplicate, "trùng", CancellationToken.None);
        });
        await At(10, () => _cases.ClaimAsync(Ha, A.Id, CancellationToken.None));
        await At(20, () => _cases.ClaimAsync(Lan, D.Id, CancellationToken.None));
        await At(25, async () =>
        {
            await _cases.OpenConversationAsync(Lan, D.Id, "conversation.reply", CancellationToken.None);
            return 0;
        });
        string referral = null!;
        await At(30, async () =>
        {
            referral = (await _cases.SendReferralAsync(Ha, A.Id, new ReferralRequest("police-48", "Tống tiền bằng ảnh; đề nghị xác minh tài khoản", SharingLevel.Summary, true, false, null), _ => false, (_, _) => Task.CompletedTask, CancellationToken.None)).Id;
            return 0;
        });
        await At(40, async () =>
        {
            (await _cases.TakedownStepAsync(A.Id, "requested", "nen-tang: 1 URL", new TakedownFact("td-a", "nen-tang", _time.GetUtcNow()), CancellationToken.None)).ShouldBeTrue();
            (await _cases.TakedownStepAsync(B.Id, "requested", "nen-tang: 1 URL", new TakedownFact("td-b", "nen-tang", _time.GetUtcNow()), CancellationToken.None)).ShouldBeTrue();
            return 0;
        });
        await At(60, async () =>
        {
            await _cases.MoveReferralAsync(Police, referral, ReferralState.Acknowledged, null, null, null, _ => false, (_, _) => Task.CompletedTask, CancellationToken.None);
            return 0;
        });
        await At(120, () => _cases.ClaimAsync(Ha, B.Id, CancellationToken.None));
        await At(160, async () =>
        {
            var requested = T0 + TimeSpan.FromMinutes(40);
            (await _cases.TakedownStepAsync(A.Id, "confirmed", "nen-tang: removed", new TakedownFact("td-a", "nen-tang", requested, _time.GetUtcNow(), "removed", _time.GetUtcNow()), CancellationToken.None)).ShouldBeTrue();
            (await _cases.TakedownStepAsync(A.Id, "delivered", "nen-tang", new TakedownFact("td-a", "nen-tang", requested), CancellationToken.None)).ShouldBeTrue(); // a late redelivery changes nothing
            return 0;
        });
        await At(180, () => _cases.CloseAsync(Ha, B.Id, CloseReason.Resolved, "đã hỗ trợ", CancellationToken.None));
        await At(240, () => _cases.ReopenAsync(Lam, B.Id, "bạn nhắn lại", CancellationToken.None));
        _time.SetUtcNow(T0 + TimeSpan.FromHours(13));
    }

    private async Task<int> At(int minutes, Func<Task<int>> step)
    {
        _time.SetUtcNow(T0 + TimeSpan.FromMinutes(minutes));
        return await step();
    }

    private async Task<ReportEnvelope> WriteAsync(string channel, string? province, string[] categories, string urgency, string[]? urls = null, string[]? accounts = null, string? pseudonym = null, bool handoff = false)
    {
        _time.SetUtcNow(T0);
        var e = new ReportEnvelope
        {
            Id = ReportId.New(_time),
            ReceivedAt = T0,
            Channel = channel,
            ChannelInstance = channel + "-1",
            ReferenceCode = ReferenceCode.For(new byte[32], Guid.NewGuid().ToString()),
            Source = new ReportSource { Provider = "test", ProviderMessageId = Guid.NewGuid().ToString("N"), ConversationId = handoff ? "psid-" + Guid.NewGuid().ToString("N") : null },
            Reporter = new Reporter { Role = ReporterRoles.Child, AgeBand = "14-15", Pseudonym = pseudonym },
            Incident = new Incident { Description = "em cần giúp", Categories = categories, Urls = urls ?? [], ReportedAccounts = accounts ?? [] },
            Location = province is null ? null : new Location { ProvinceCode = province },
            Signals = new Signals { Urgency = urgency, Reasons = [], Handoff = handoff },
        };
        return await WriteAsync(e);
    }

    private async Task<ReportEnvelope> WriteAsync(ReportEnvelope e)
    {
        await _store.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        return e;
    }

    private async Task CallbackAsync(string caseId, DateTimeOffset due, DateTimeOffset? done)
    {
        await using var conn = new NpgsqlConnection(_db.Database.AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO callback_tasks (case_id, contact_ref, created_at, due_at, status, done_at) VALUES (@c, @r, @t0, @due, @s, @done)", conn);
        cmd.Parameters.AddWithValue("c", caseId);
        cmd.Parameters.AddWithValue("r", "v1.k." + Guid.NewGuid().ToString("N"));
        cmd.Parameters.AddWithValue("t0", T0);
        cmd.Parameters.AddWithValue("due", due);
        cmd.Parameters.AddWithValue("s", done is null ? "open" : "done");
        cmd.Parameters.AddWithValue("done", (object?)done ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync();
    }
}
