using System.Text.Json;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Hub.Functions.Tests.Cases;

/// <summary>
/// Referrals against a real PostgreSQL with a fake clock (docs/referrals.md): the whole lifecycle by both sides, the
/// case kept by its team and owner and <c>referred</c> while any referral is open, the acknowledgement clocks and the
/// 12 hours of Decree 56 escalating on time, the consent rule and its override, the timeline and the audit, and the
/// scope (another province's liaison finds nothing).
/// </summary>
public sealed class ReferralServiceTests : IClassFixture<CaseStoreDatabase>, IAsyncLifetime
{
    private readonly CaseStoreDatabase _db;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
    private readonly PostgresCaseStore _store;
    private readonly CaseService _cases;
    private readonly People _people;
    private readonly string _tag = Guid.NewGuid().ToString("N")[..8];
    private readonly List<(string Id, string Event)> _queued = [];

    public ReferralServiceTests(CaseStoreDatabase db)
    {
        _db = db;
        var options = Options.Create(new HubOptions());
        _store = new PostgresCaseStore(db.Cases, options, _time);
        var audit = new AuditLog(db.Cases, _time);
        _people = new People(db.Cases, audit, _time);
        _cases = new CaseService(db.Cases, audit, _time, options);
    }

    private Actor Ha { get; set; } = null!;           // counsellor, Đà Nẵng (the sender)

    private Actor Son { get; set; } = null!;          // counsellor, Đà Nẵng

    private Actor Lam { get; set; } = null!;          // supervisor, Đà Nẵng

    private Actor Police48 { get; set; } = null!;     // liaison, Đà Nẵng police

    private Actor A05 { get; set; } = null!;          // liaison, A05

    private Actor Police01 { get; set; } = null!;     // liaison, Hà Nội police (another province)

    private Actor Unit01 { get; set; } = null!;       // liaison, Hà Nội child protection

    public async Task InitializeAsync()
    {
        async Task<Actor> Add(string name, string team, string role)
        {
            var login = $"{name}-{_tag}";
            await _people.AddUserAsync(Actor.Console(), login, name, [team], [role], null, null, CancellationToken.None);
            return await _people.ActorAsync(login, "203.0.113.9", CancellationToken.None);
        }

        Ha = await Add("ha", "province-48", Roles.Counsellor);
        Son = await Add("son", "province-48", Roles.Counsellor);
        Lam = await Add("lam", "province-48", Roles.Supervisor);
        Police48 = await Add("cand", "police-48", Roles.Liaison);
        A05 = await Add("a05", "agency-a05", Roles.Liaison);
        Police01 = await Add("cahn", "police-01", Roles.Liaison);
        Unit01 = await Add("hn", "province-01", Roles.Liaison);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> CaseAsync(string urgency = Urgencies.High)
    {
        var e = await WriteAsync(urgency, ["OCSEA.SEXTORTION"]);
        await _cases.ClaimAsync(Ha, e.Id, CancellationToken.None);
        return e.Id;
    }

    private async Task<ReportEnvelope> WriteAsync(string urgency, IReadOnlyList<string> categories)
    {
        var e = new ReportEnvelope
        {
            Id = ReportId.New(_time),
            ReceivedAt = _time.GetUtcNow(),
            Channel = ReportChannels.Web,
            ChannelInstance = "ref-" + _tag,
            ReferenceCode = ReferenceCode.For(new byte[32], Guid.NewGuid().ToString()),
            Source = new ReportSource { Provider = "test", ProviderMessageId = Guid.NewGuid().ToString("N") },
            Reporter = new Reporter { Role = ReporterRoles.Child, AgeBand = "14-15" },
            Incident = new Incident { Description = "có người dọa tung ảnh của em", Categories = categories, Urls = ["https://social.example/u/x"] },
            Location = new Location { ProvinceCode = "48" },
            Signals = new Signals { Urgency = urgency, Reasons = [] },
        };
        (await _store.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None)).ShouldBe(ProcessOutcome.Created);
        return e;
    }

    private static ReferralRequest To(string team, SharingLevel sharing = SharingLevel.Summary, bool consent = true, bool overrides = false, string? why = null) =>
        new(team, "Trẻ bị tống tiền bằng ảnh nhạy cảm; đề nghị xác minh tài khoản", sharing, consent, overrides, why);

    private Task<ReferralChanged> SendAsync(Actor actor, string caseId, ReferralRequest request) =>
        _cases.SendReferralAsync(actor, caseId, request, team => team == "agency-a05", (id, e) =>
        {
            _queued.Add((id, e));
            return Task.CompletedTask;
        }, CancellationToken.None);

    private Task<ReferralChanged> MoveAsync(Actor actor, string id, ReferralState to, string? reason = null, string? outcome = null, int? version = null) =>
        _cases.MoveReferralAsync(actor, id, to, reason, outcome, version, team => team == "agency-a05", (rid, e) =>
        {
            _queued.Add((rid, e));
            return Task.CompletedTask;
        }, CancellationToken.None);

    private static async Task<CaseProblem> RefusedAsync(Func<Task> act) => (await Should.ThrowAsync<CaseOperationException>(act)).Kind;

    [Fact]
    public async Task Lifecycle_SentAcknowledgedAcceptedDone_CaseKeepsItsOwnerAndIsReferredUntilTheLastEnds()
    {
        var id = await CaseAsync();
        var police = await SendAsync(Ha, id, To("police-48"));
        _time.Advance(TimeSpan.FromSeconds(30));
        var a05 = await SendAsync(Ha, id, To("agency-a05", SharingLevel.WithEvidence));
        _queued.ShouldBe([(a05.Id, "sent")], "only the team with a webhook is queued");

        var detail = await _cases.GetDetailAsync(Ha, id, CancellationToken.None);
        detail.Summary.Status.ShouldBe(CaseStatus.Referred);
        detail.Summary.TeamId.ShouldBe("province-48");
        detail.Summary.OwnerId.ShouldBe(Ha.UserId);
        detail.Referrals.Select(r => (r.ToTeam, r.State, r.Sharing, r.ConsentBasis)).ShouldBe([("police-48", "sent", "summary", "reporter"), ("agency-a05", "sent", "with-evidence", "reporter")]);
        detail.Referrals.Select(r => r.Webhook).ShouldBe(["none", "queued"]);

        _time.Advance(TimeSpan.FromMinutes(5));
        (await MoveAsync(Police48, police.Id, ReferralState.Acknowledged)).State.ShouldBe("acknowledged");
        (await MoveAsync(Police48, police.Id, ReferralState.Accepted)).State.ShouldBe("accepted");
        (await MoveAsync(Police48, police.Id, ReferralState.Done, "đã làm việc với gia đình", "intervened")).State.ShouldBe("done");
        (await _cases.GetDetailAsync(Ha, id, CancellationToken.None)).Summary.Status.ShouldBe(CaseStatus.Referred, "the A05 referral is still open");

        (await MoveAsync(A05, a05.Id, ReferralState.Rejected, "ngoài thẩm quyền: chuyển công an tỉnh")).State.ShouldBe("rejected");
        var after = await _cases.GetDetailAsync(Ha, id, CancellationToken.None);
        after.Summary.Status.ShouldBe(CaseStatus.Open, "no referral open: the case is its owner's to work again");
        after.Summary.OwnerId.ShouldBe(Ha.UserId);
        var p = after.Referrals.Single(r => r.Id == police.Id);
        (p.AcknowledgedAt, p.DecidedAt, p.ClosedAt, p.Outcome, p.Answer).ShouldBe((_time.GetUtcNow(), _time.GetUtcNow(), _time.GetUtcNow(), "intervened", "đã làm việc với gia đình"));
        var a = after.Referrals.Single(r => r.Id == a05.Id);
        (a.State, a.AcknowledgedAt, a.Answer).ShouldBe(("rejected", _time.GetUtcNow(), "ngoài thẩm quyền: chuyển công an tỉnh"), "a rejection without an acknowledgement acknowledges");

        after.History.Select(h => h.Action).Where(x => x.StartsWith("referral", StringComparison.Ordinal)).ShouldBe(
            ["referral-sent", "referral-sent", "referral-acknowledged", "referral-accepted", "referral-done", "referral-rejected"]);
        after.History.Single(h => h.Action == "referral-done").Reason.ShouldBe("police-48: intervened: đã làm việc với gia đình");
        after.History.Last(h => h.Action == "referral-rejected").ToStatus.ShouldBe("open");
        after.History.First(h => h.Action == "referral-sent").Reason!.ShouldContain("consent: the reporter's");

        var audit = await AuditAsync(id);
        audit.ShouldContain(("referral.send", "referral:" + police.Id));
        audit.ShouldContain(("referral.done", "referral:" + police.Id));
        audit.ShouldContain(("referral.rejected", "referral:" + a05.Id));
    }

    [Fact]
    public async Task Moves_AreCheckedBySide_AndAnEndedReferralDoesNotMove()
    {
        var id = await CaseAsync();
        var r = await SendAsync(Ha, id, To("police-48"));
        (await RefusedAsync(() => MoveAsync(Ha, r.Id, ReferralState.Acknowledged))).ShouldBe(CaseProblem.Forbidden, "the sender does not acknowledge its own referral");
        (await RefusedAsync(() => MoveAsync(Police48, r.Id, ReferralState.Revoked, "x"))).ShouldBe(CaseProblem.Forbidden, "only the sender revokes");
        (await RefusedAsync(() => MoveAsync(Police48, r.Id, ReferralState.Rejected))).ShouldBe(CaseProblem.Invalid, "a rejection needs a reason");
        (await RefusedAsync(() => MoveAsync(Police48, r.Id, ReferralState.Done, null, "intervened"))).ShouldBe(CaseProblem.Conflict, "only an accepted referral is completed");
        await MoveAsync(Police48, r.Id, ReferralState.Accepted);
        (await RefusedAsync(() => MoveAsync(Police48, r.Id, ReferralState.Done, null, "maybe"))).ShouldBe(CaseProblem.Invalid, "an outcome from the list");
        (await RefusedAsync(() => MoveAsync(Police48, r.Id, ReferralState.Accepted, version: 1))).ShouldBe(CaseProblem.PreconditionFailed, "the referral moved on since version 1");
        (await RefusedAsync(() => MoveAsync(Son, r.Id, ReferralState.Revoked, "nhầm"))).ShouldBe(CaseProblem.Forbidden, "a counsellor who does not own the case does not revoke");
        (await MoveAsync(Lam, r.Id, ReferralState.Revoked, "gửi nhầm đơn vị")).State.ShouldBe("revoked");
        (await RefusedAsync(() => MoveAsync(Police48, r.Id, ReferralState.Done, null, "intervened"))).ShouldBe(CaseProblem.Conflict, "revoked: it has ended");
        (await _cases.GetDetailAsync(Ha, id, CancellationToken.None)).Summary.Status.ShouldBe(CaseStatus.Open);
    }

    [Fact]
    public async Task AnotherProvincesLiaison_AndAnUnrelatedTeam_FindNoSuchReferral()
    {
        var id = await CaseAsync();
        var r = await SendAsync(Ha, id, To("police-48", SharingLevel.WithEvidence));
        foreach (var outsider in new[] { Police01, Unit01 })
        {
            (await RefusedAsync(() => _cases.ReferralDetailAsync(outsider, r.Id, CancellationToken.None))).ShouldBe(CaseProblem.NotFound);
            (await RefusedAsync(() => MoveAsync(outsider, r.Id, ReferralState.Acknowledged))).ShouldBe(CaseProblem.NotFound);
            (await RefusedAsync(() => _cases.OpenReferralEvidenceAsync(outsider, r.Id, 1, CancellationToken.None))).ShouldBe(CaseProblem.NotFound);
            (await _cases.ReferralInboxAsync(outsider, all: true, 100, CancellationToken.None)).ShouldNotContain(x => x.Referral.Id == r.Id);
            (await RefusedAsync(() => _cases.GetDetailAsync(outsider, id, CancellationToken.None))).ShouldBe(CaseProblem.NotFound, "a referral does not open the case itself");
        }

        (await RefusedAsync(() => _cases.ReferralDetailAsync(Police48, "01ZZZZZZZZZZZZZZZZZZZZZZZZ", CancellationToken.None))).ShouldBe(CaseProblem.NotFound);
        (await _cases.ReferralInboxAsync(Police48, all: false, 100, CancellationToken.None)).ShouldContain(x => x.Referral.Id == r.Id);
    }

    [Fact]
    public async Task Sharing_SummaryHidesTheDescriptionAndEvidence_WithEvidenceShowsThem()
    {
        var id = await CaseAsync();
        var summary = await SendAsync(Ha, id, To("police-48"));
        var full = await SendAsync(Ha, id, To("agency-a05", SharingLevel.WithEvidence));
        var s = await _cases.ReferralDetailAsync(Police48, summary.Id, CancellationToken.None);
        s.Side.ShouldBe(ReferralSide.Receiver);
        s.Evidence.ShouldBeEmpty();
        (await RefusedAsync(() => _cases.OpenReferralEvidenceAsync(Police48, summary.Id, 1, CancellationToken.None))).ShouldBe(CaseProblem.NotFound, "a summary referral shares no evidence");
        var f = await _cases.ReferralDetailAsync(A05, full.Id, CancellationToken.None);
        f.First!.Incident.Description.ShouldBe("có người dọa tung ảnh của em");
        (await AuditAsync(id)).ShouldContain(("referral.view", "referral:" + full.Id));
    }

    [Fact]
    public async Task Consent_WithoutTheReportersConsent_OnlyASupervisorOverridesWithAWrittenReason()
    {
        var id = await CaseAsync();
        (await RefusedAsync(() => SendAsync(Ha, id, To("police-48", consent: false)))).ShouldBe(CaseProblem.Invalid);
        (await RefusedAsync(() => SendAsync(Ha, id, To("police-48", consent: false, overrides: true, why: "trẻ đang gặp nguy hiểm")))).ShouldBe(CaseProblem.Forbidden);
        (await RefusedAsync(() => SendAsync(Lam, id, To("police-48", consent: false, overrides: true, why: " ")))).ShouldBe(CaseProblem.Invalid);
        (await RefusedAsync(() => SendAsync(Ha, id, To("police-48") with { Reason = "" }))).ShouldBe(CaseProblem.Invalid);
        (await _cases.GetDetailAsync(Ha, id, CancellationToken.None)).Referrals.ShouldBeEmpty("nothing half-written by a refused send");

        var r = await SendAsync(Lam, id, To("police-48", consent: false, overrides: true, why: "trẻ đang gặp nguy hiểm, không liên lạc được người báo"));
        var d = await _cases.GetDetailAsync(Lam, id, CancellationToken.None);
        var row = d.Referrals.ShouldHaveSingleItem();
        (row.ConsentBasis, row.OverrideReason).ShouldBe(("override", "trẻ đang gặp nguy hiểm, không liên lạc được người báo"));
        (await AuditFieldsAsync(id, "referral.send")).ShouldContain("consent:override");
        (await RefusedAsync(() => SendAsync(Ha, id, To("police-48")))).ShouldBe(CaseProblem.Conflict, "one open referral per team");
        r.Id.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Send_RefusedToTheCentralTeamOrItsOwnTeam_BeforeClaim_AndClosingWaitsForOpenReferrals()
    {
        var id = await CaseAsync();
        (await RefusedAsync(() => SendAsync(Ha, id, To("central-111")))).ShouldBe(CaseProblem.Invalid);
        (await RefusedAsync(() => SendAsync(Ha, id, To("province-48")))).ShouldBe(CaseProblem.Invalid);
        (await RefusedAsync(() => SendAsync(Ha, id, To("no-such-team")))).ShouldBe(CaseProblem.Invalid);
        (await RefusedAsync(() => SendAsync(Son, id, To("police-48")))).ShouldBe(CaseProblem.Forbidden, "not the case's owner");
        var r = await SendAsync(Ha, id, To("province-01"));
        (await RefusedAsync(() => _cases.CloseAsync(Ha, id, CloseReason.Resolved, null, CancellationToken.None))).ShouldBe(CaseProblem.Conflict);
        await MoveAsync(Ha, r.Id, ReferralState.Revoked, "đã xác định lại địa bàn");
        await _cases.CloseAsync(Ha, id, CloseReason.Resolved, null, CancellationToken.None);
        (await RefusedAsync(() => SendAsync(Ha, id, To("police-48")))).ShouldBe(CaseProblem.Conflict, "a closed case is not referred");

        var unclaimed = await WriteAsync(Urgencies.Normal, ["cyberbullying"]);
        (await RefusedAsync(() => SendAsync(Lam, unclaimed.Id, To("police-48")))).ShouldBe(CaseProblem.Conflict, "claim first");
    }

    [Theory]
    [InlineData(Urgencies.Immediate, 15)]
    [InlineData(Urgencies.High, 60)]
    [InlineData(Urgencies.Normal, 24 * 60)]
    public async Task Clock_AnUnacknowledgedReferral_EscalatesToTheSendingSupervisors_OnTime(string urgency, int minutes)
    {
        var id = await CaseAsync(urgency);
        var r = await SendAsync(Ha, id, To("police-48"));
        var sent = _time.GetUtcNow();
        var row = (await _cases.GetDetailAsync(Ha, id, CancellationToken.None)).Referrals.Single();
        row.AcknowledgeDue.ShouldBe(sent + TimeSpan.FromMinutes(minutes));

        _time.Advance(TimeSpan.FromMinutes(minutes));
        (await _cases.EscalatedReferralsAsync(Lam, CancellationToken.None)).ShouldNotContain(x => x.Referral.Id == r.Id, "due, not yet past due");
        _time.Advance(TimeSpan.FromSeconds(1));
        (await _cases.EscalatedReferralsAsync(Lam, CancellationToken.None)).ShouldContain(x => x.Referral.Id == r.Id);
        (await _cases.EscalatedReferralsAsync(Ha, CancellationToken.None)).ShouldBeEmpty("escalated to supervisors, not to every counsellor");
        (await _cases.OverdueAsync(Lam, "province-48", 1000, CancellationToken.None)).ShouldContain(c => c.Id == id, "and on the overdue list");

        await MoveAsync(Police48, r.Id, ReferralState.Acknowledged);
        (await _cases.EscalatedReferralsAsync(Lam, CancellationToken.None)).ShouldNotContain(x => x.Referral.Id == r.Id, urgency == Urgencies.Immediate ? "acknowledged within the 12 hours" : "acknowledged");
    }

    [Fact]
    public async Task Clock_AnImmediateCase_EscalatesWhenTwelveHoursPassWithTheReferralOpen_AndAnInterventionMeetsTheDeadline()
    {
        var id = await CaseAsync(Urgencies.Immediate);
        var received = _time.GetUtcNow();
        var r = await SendAsync(Ha, id, To("province-01"));
        await MoveAsync(Unit01, r.Id, ReferralState.Accepted);
        (await _cases.GetDetailAsync(Ha, id, CancellationToken.None)).Referrals.Single().InterventionDue.ShouldBe(received + TimeSpan.FromHours(12));

        _time.Advance(TimeSpan.FromHours(12) + TimeSpan.FromSeconds(1));
        (await _cases.EscalatedReferralsAsync(Lam, CancellationToken.None)).ShouldContain(x => x.Referral.Id == r.Id, "accepted but not done within the 12 hours");

        var other = await CaseAsync(Urgencies.Immediate);
        var r2 = await SendAsync(Ha, other, To("province-01"));
        await MoveAsync(Unit01, r2.Id, ReferralState.Accepted);
        await MoveAsync(Unit01, r2.Id, ReferralState.Done, "đã đến nhà, trẻ an toàn", "child-safe");
        _time.Advance(TimeSpan.FromHours(13));
        (await _cases.OverdueAsync(Lam, "province-48", 1000, CancellationToken.None)).ShouldNotContain(c => c.Id == other, "the intervention met the 12-hour deadline");
    }

    private async Task<List<(string Action, string Field)>> AuditAsync(string caseId)
    {
        var source = await _db.Cases.GetAsync(CancellationToken.None);
        await using var cmd = source.CreateCommand("SELECT action, unnest(fields) FROM audit WHERE case_id = @c ORDER BY id");
        cmd.Parameters.AddWithValue("c", caseId);
        var list = new List<(string, string)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            list.Add((r.GetString(0), r.GetString(1)));
        }

        return list;
    }

    private async Task<List<string>> AuditFieldsAsync(string caseId, string action) =>
        (await AuditAsync(caseId)).Where(a => a.Action == action).Select(a => a.Field).ToList();
}
