using System.Text.Json;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Core.Privacy;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Hub.Functions.Tests.Cases;

/// <summary>
/// The case service against a real PostgreSQL (its own fresh database): the lifecycle and who may move a case, one
/// named owner at every stage, transfers, clocks, notes, links, the blocklist, call-backs, and the audit trail.
/// </summary>
public sealed class CaseServiceTests : IClassFixture<CaseStoreDatabase>, IAsyncLifetime
{
    private readonly CaseStoreDatabase _db;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 1, 0, 0, TimeSpan.Zero));
    private readonly PostgresCaseStore _store;
    private readonly CaseService _cases;
    private readonly People _people;
    private readonly AuditLog _audit;
    private readonly string _tag = Guid.NewGuid().ToString("N")[..8];

    public CaseServiceTests(CaseStoreDatabase db)
    {
        _db = db;
        var options = Options.Create(new HubOptions());
        _store = new PostgresCaseStore(db.Cases, options, _time);
        _audit = new AuditLog(db.Cases, _time);
        _people = new People(db.Cases, _audit, _time);
        _cases = new CaseService(db.Cases, _audit, _time);
    }

    private Actor Lan { get; set; } = null!;        // counsellor, Hà Nội

    private Actor Minh { get; set; } = null!;       // counsellor, Hà Nội

    private Actor Hoa { get; set; } = null!;        // supervisor, Hà Nội

    private Actor Tuan { get; set; } = null!;       // counsellor, Đà Nẵng

    private Actor Mai { get; set; } = null!;        // analyst, central

    private Actor Linh { get; set; } = null!;       // liaison, Hà Nội

    public async Task InitializeAsync()
    {
        async Task<Actor> Add(string name, string team, string role)
        {
            var login = $"{name}-{_tag}";
            await _people.AddUserAsync(Actor.Console(), login, name, [team], [role], null, null, CancellationToken.None);
            return await _people.ActorAsync(login, "203.0.113.7", CancellationToken.None);
        }

        Lan = await Add("lan", "province-01", Roles.Counsellor);
        Minh = await Add("minh", "province-01", Roles.Counsellor);
        Hoa = await Add("hoa", "province-01", Roles.Supervisor);
        Tuan = await Add("tuan", "province-48", Roles.Counsellor);
        Mai = await Add("mai", "central-111", Roles.Analyst);
        Linh = await Add("linh", "province-01", Roles.Liaison);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<ReportEnvelope> ReportAsync(string urgency = Urgencies.Normal, string? province = "01", string? pseudonym = null, IReadOnlyList<string>? reasons = null, string? contact = null)
    {
        var e = new ReportEnvelope
        {
            Id = ReportId.New(_time),
            ReceivedAt = _time.GetUtcNow(),
            Channel = ReportChannels.Sms,
            ChannelInstance = "svc-" + _tag,
            ReferenceCode = ReferenceCode.For(new byte[32], Guid.NewGuid().ToString()),
            Source = new ReportSource { Provider = "test", ProviderMessageId = Guid.NewGuid().ToString("N") },
            Reporter = new Reporter { Pseudonym = pseudonym, ContactRef = contact },
            Incident = new Incident { Description = "bạn cùng lớp đăng ảnh của em", Categories = ["cyberbullying"] },
            Location = province is null ? null : new Location { ProvinceCode = province },
            Signals = new Signals { Urgency = urgency, Reasons = reasons ?? [] },
        };
        (await _store.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None)).ShouldBe(ProcessOutcome.Created);
        return e;
    }

    private Task<CaseDetail> DetailAsync(string id, Actor? actor = null) => _cases.GetDetailAsync(actor ?? Hoa, id, CancellationToken.None);

    private static async Task<CaseProblem> RefusedAsync(Func<Task> act) => (await Should.ThrowAsync<CaseOperationException>(act)).Kind;

    [Fact]
    public async Task NewReport_IsInItsProvincesTeamQueue_WithNoPersonalOwner_AndUnknownProvincesGoToTheCentralTeam()
    {
        var hanoi = await ReportAsync(province: "01");
        var nowhere = await ReportAsync(province: null);

        var a = (await _store.GetAsync(hanoi.Id, CancellationToken.None)).ShouldNotBeNull();
        a.TeamId.ShouldBe("province-01");
        a.OwnerId.ShouldBeNull();
        a.Status.ShouldBe(CaseStatus.New);
        (await _store.GetAsync(nowhere.Id, CancellationToken.None)).ShouldNotBeNull().TeamId.ShouldBe("central-111");
        (await _cases.QueueAsync(Lan, "province-01", null, null, 500, CancellationToken.None)).ShouldContain(c => c.Id == hanoi.Id);
    }

    [Fact]
    public async Task Lifecycle_ClaimCloseReopenClaim_RecordsWhoWhenFromToAndWhy()
    {
        var e = await ReportAsync();
        _time.Advance(TimeSpan.FromMinutes(4));
        await _cases.ClaimAsync(Lan, e.Id, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(30));
        await _cases.CloseAsync(Lan, e.ReferenceCode, CloseReason.Resolved, "đã tư vấn", CancellationToken.None);
        await _cases.ReopenAsync(Minh, e.Id, "em nhắn lại", CancellationToken.None);
        await _cases.ClaimAsync(Minh, e.Id, CancellationToken.None);

        var d = await DetailAsync(e.Id);
        d.Summary.Status.ShouldBe(CaseStatus.Open);
        d.Summary.OwnerId.ShouldBe(Minh.UserId);
        d.Summary.FirstResponseAt.ShouldBe(e.ReceivedAt + TimeSpan.FromMinutes(4), "the first claim is the first response; a later one does not move it");
        d.History.Select(h => (h.Action, h.FromStatus, h.ToStatus, h.ActorId)).ShouldBe(
        [
            ("created", null, "new", null),
            ("claim", "new", "open", Lan.UserId),
            ("close", "open", "closed", Lan.UserId),
            ("reopen", "closed", "reopened", Minh.UserId),
            ("claim", "reopened", "open", Minh.UserId),
        ]);
        d.History[2].Reason.ShouldBe("resolved: đã tư vấn");
        d.History[2].At.ShouldBe(e.ReceivedAt + TimeSpan.FromMinutes(34));
        d.History[3].Reason.ShouldBe("em nhắn lại");
        d.History.Select(h => (h.FromOwner, h.ToOwner)).ShouldBe([(null, null), (null, Lan.UserId), (Lan.UserId, Lan.UserId), (Lan.UserId, null), (null, Minh.UserId)], "the owner history");
    }

    [Theory]
    [InlineData("close-new")]
    [InlineData("reopen-open")]
    [InlineData("claim-open")]
    [InlineData("release-new")]
    public async Task Transitions_TheLifecycleDoesNotAllow_AreRefusedAndChangeNothing(string move)
    {
        var e = await ReportAsync();
        if (move is "reopen-open" or "claim-open")
        {
            await _cases.ClaimAsync(Lan, e.Id, CancellationToken.None);
        }

        var before = await DetailAsync(e.Id);
        var kind = await RefusedAsync(move switch
        {
            "close-new" => () => _cases.CloseAsync(Hoa, e.Id, CloseReason.Resolved, null, CancellationToken.None),
            "reopen-open" => () => _cases.ReopenAsync(Hoa, e.Id, "why", CancellationToken.None),
            "claim-open" => () => _cases.ClaimAsync(Minh, e.Id, CancellationToken.None),
            _ => () => _cases.ReleaseAsync(Hoa, e.Id, "why", CancellationToken.None),
        });

        kind.ShouldBe(CaseProblem.Conflict);
        var after = await DetailAsync(e.Id);
        (after.Summary with { Categories = before.Summary.Categories }).ShouldBe(before.Summary);
        after.History.Count.ShouldBe(before.History.Count);
    }

    [Fact]
    public async Task Scope_OtherProvincesAndAnalystsGetNotFound_WrongRolesGetForbidden()
    {
        var e = await ReportAsync();

        (await RefusedAsync(() => _cases.GetDetailAsync(Tuan, e.Id, CancellationToken.None))).ShouldBe(CaseProblem.NotFound, "another province's case does not exist for Đà Nẵng");
        (await RefusedAsync(() => _cases.ClaimAsync(Tuan, e.Id, CancellationToken.None))).ShouldBe(CaseProblem.NotFound);
        (await RefusedAsync(() => _cases.GetDetailAsync(Mai, e.Id, CancellationToken.None))).ShouldBe(CaseProblem.NotFound, "analysts see statistics, not cases");
        (await RefusedAsync(() => _cases.QueueAsync(Tuan, "province-01", null, null, 10, CancellationToken.None))).ShouldBe(CaseProblem.NotFound);
        (await RefusedAsync(() => _cases.ClaimAsync(Linh, e.Id, CancellationToken.None))).ShouldBe(CaseProblem.Forbidden, "a liaison sees the case but does not work it");
        (await RefusedAsync(() => _cases.AssignAsync(Lan, e.Id, Minh.Login, null, CancellationToken.None))).ShouldBe(CaseProblem.Forbidden, "only supervisors assign");
        (await RefusedAsync(() => _cases.AssignAsync(Hoa, e.Id, Tuan.Login, null, CancellationToken.None))).ShouldBe(CaseProblem.Forbidden, "the assignee must be of the owning team");

        await _cases.AssignAsync(Hoa, e.Id, Minh.Login, "ca trực", CancellationToken.None);
        (await RefusedAsync(() => _cases.CloseAsync(Lan, e.Id, CloseReason.Resolved, null, CancellationToken.None))).ShouldBe(CaseProblem.Forbidden, "only the owner or a supervisor closes");
        await _cases.CloseAsync(Minh, e.Id, CloseReason.Prank, null, CancellationToken.None);
        (await DetailAsync(e.Id)).CloseReason.ShouldBe("prank");
    }

    [Fact]
    public async Task Transfer_TheCaseKeepsItsOwnerUntilTheOtherTeamAccepts()
    {
        var e = await ReportAsync();
        await _cases.ClaimAsync(Lan, e.Id, CancellationToken.None);
        await _cases.RequestTransferAsync(Lan, e.Id, "province-48", "em đang ở Đà Nẵng", CancellationToken.None);

        var pending = await DetailAsync(e.Id);
        pending.Summary.TeamId.ShouldBe("province-01");
        pending.Summary.OwnerId.ShouldBe(Lan.UserId);
        pending.Summary.TransferTo.ShouldBe("province-48");
        (await _cases.GetDetailAsync(Tuan, e.Id, CancellationToken.None)).Summary.TransferTo.ShouldBe("province-48", "the receiving team sees what is offered to it");
        (await RefusedAsync(() => _cases.AcceptTransferAsync(Minh, e.Id, CancellationToken.None))).ShouldBe(CaseProblem.Forbidden);

        await _cases.AcceptTransferAsync(Tuan, e.Id, CancellationToken.None);
        var moved = await _cases.GetDetailAsync(Tuan, e.Id, CancellationToken.None);
        moved.Summary.TeamId.ShouldBe("province-48");
        moved.Summary.OwnerId.ShouldBeNull();
        moved.Summary.Status.ShouldBe(CaseStatus.New);
        moved.History.TakeLast(2).Select(h => (h.Action, h.FromTeam, h.ToTeam)).ShouldBe([("transfer-requested", "province-01", "province-48"), ("transfer-accepted", "province-01", "province-48")]);
        (await RefusedAsync(() => _cases.GetDetailAsync(Lan, e.Id, CancellationToken.None))).ShouldBe(CaseProblem.NotFound, "Hà Nội no longer holds it");
    }

    [Fact]
    public async Task Transfer_Rejected_LeavesTheCaseWhereItWas()
    {
        var e = await ReportAsync();
        await _cases.RequestTransferAsync(Hoa, e.Id, "province-48", "thử", CancellationToken.None);
        await _cases.RejectTransferAsync(Tuan, e.Id, "không thuộc địa bàn", CancellationToken.None);

        var d = await DetailAsync(e.Id);
        d.Summary.TeamId.ShouldBe("province-01");
        d.Summary.TransferTo.ShouldBeNull();
        d.History[^1].Reason.ShouldBe("không thuộc địa bàn");
    }

    [Fact]
    public async Task Clocks_ImmediateHasFifteenMinutesAndTheTwelveHourDeadline_OverdueFollowsTheClock()
    {
        var e = await ReportAsync(urgency: Urgencies.Immediate);
        var d = await DetailAsync(e.Id);
        d.Summary.FirstResponseDue.ShouldBe(e.ReceivedAt + TimeSpan.FromMinutes(15));
        d.Summary.InterventionDue.ShouldBe(e.ReceivedAt + TimeSpan.FromHours(12));
        (await _cases.OverdueAsync(Hoa, "province-01", 1000, CancellationToken.None)).ShouldNotContain(c => c.Id == e.Id);

        _time.Advance(TimeSpan.FromMinutes(16));
        (await _cases.OverdueAsync(Hoa, "province-01", 1000, CancellationToken.None)).ShouldContain(c => c.Id == e.Id);
        (await _cases.OverdueByTeamAsync(CancellationToken.None)).ShouldContain(o => o.TeamId == "province-01" && o.Urgency == Urgencies.Immediate && o.FirstResponse >= 1);

        await _cases.ClaimAsync(Lan, e.Id, CancellationToken.None);
        (await _cases.OverdueAsync(Hoa, "province-01", 1000, CancellationToken.None)).ShouldNotContain(c => c.Id == e.Id, "answered; the intervention clock still runs");

        _time.Advance(TimeSpan.FromHours(12));
        var late = (await _cases.OverdueAsync(Hoa, "province-01", 1000, CancellationToken.None)).Single(c => c.Id == e.Id);
        late.InterventionOverdue(_time.GetUtcNow()).ShouldBeTrue();
        late.FirstResponseOverdue(_time.GetUtcNow()).ShouldBeFalse();
    }

    [Theory]
    [InlineData(Urgencies.High, 60)]
    [InlineData(Urgencies.Normal, 24 * 60)]
    [InlineData(Urgencies.Low, 72 * 60)]
    public async Task Clocks_FirstResponseDueFollowsUrgency_AndOnlyImmediateHasAnInterventionDeadline(string urgency, int minutes)
    {
        var e = await ReportAsync(urgency: urgency);
        var d = await DetailAsync(e.Id);
        d.Summary.FirstResponseDue.ShouldBe(e.ReceivedAt + TimeSpan.FromMinutes(minutes));
        d.Summary.InterventionDue.ShouldBeNull();
    }

    [Fact]
    public async Task Queue_IsInWorkingOrder_AndKeysetPagesMeetWithoutGapsOrRepeats()
    {
        var team = "province-01";
        var mine = new List<ReportEnvelope>();
        foreach (var u in new[] { Urgencies.Low, Urgencies.Normal, Urgencies.Immediate, Urgencies.High, Urgencies.Normal, Urgencies.Immediate, Urgencies.Low })
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            mine.Add(await ReportAsync(urgency: u));
        }

        var all = new List<CaseSummary>();
        string? cursor = null;
        while (true)
        {
            var page = await _cases.QueueAsync(Lan, team, [CaseStatus.New], cursor, 3, CancellationToken.None);
            all.AddRange(page);
            if (page.Count < 3)
            {
                break;
            }

            cursor = CaseService.Cursor(page[^1]);
        }

        all.Select(c => c.Id).Distinct().Count().ShouldBe(all.Count);
        var ours = all.Where(c => mine.Any(m => m.Id == c.Id)).ToList();
        ours.Count.ShouldBe(7);
        ours.ShouldBe(ours.OrderBy(c => c.QueueRank).ThenBy(c => c.ReceivedAt).ToList());
        ours[0].Urgency.ShouldBe(Urgencies.Immediate);
        ours[^1].Urgency.ShouldBe(Urgencies.Low);
        (await RefusedAsync(() => _cases.QueueAsync(Lan, team, null, "not-a-cursor", 3, CancellationToken.None))).ShouldBe(CaseProblem.Invalid);
    }

    [Fact]
    public async Task Notes_AreAppendOnly_ACorrectionNamesTheNoteItCorrects()
    {
        var e = await ReportAsync();
        var first = (await _cases.AddNoteAsync(Lan, e.Id, "Em 13 tuổi", null, CancellationToken.None)).Id;
        var fix = (await _cases.AddNoteAsync(Lan, e.Id, "Em 14 tuổi (sửa)", first, CancellationToken.None)).Id;

        var notes = (await DetailAsync(e.Id)).Notes;
        notes.Select(n => (n.Id, n.Body, n.Corrects)).ShouldBe([(first, "Em 13 tuổi", (long?)null), (fix, "Em 14 tuổi (sửa)", first)]);
        var other = await ReportAsync();
        (await RefusedAsync(() => _cases.AddNoteAsync(Lan, other.Id, "x", first, CancellationToken.None))).ShouldBe(CaseProblem.Invalid, "a correction names a note of the same case");

        var denied = await Should.ThrowAsync<PostgresException>(() => _db.Database.ExecuteAsync($"UPDATE case_notes SET body = 'changed' WHERE id = {first}", asAdmin: false));
        denied.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Fact]
    public async Task Links_RelatedAndDuplicate_ShowOnBothCases_AndDeleteNothing()
    {
        var a = await ReportAsync();
        var b = await ReportAsync();
        await _cases.LinkAsync(Lan, b.Id, a.Id, "duplicate-of", "cùng một vụ", CancellationToken.None);

        (await DetailAsync(b.Id)).Links.ShouldContain(l => l.OtherCaseId == a.Id && l.Kind == "duplicate-of");
        (await DetailAsync(a.Id)).Links.ShouldContain(l => l.OtherCaseId == b.Id && l.Kind == "duplicated-by");
        (await _store.GetAsync(b.Id, CancellationToken.None)).ShouldNotBeNull();
        (await RefusedAsync(() => _cases.LinkAsync(Lan, b.Id, b.Id, "related", "x", CancellationToken.None))).ShouldBe(CaseProblem.NotFound);
        (await RefusedAsync(() => _cases.LinkAsync(Lan, b.Id, a.Id, "friends", "x", CancellationToken.None))).ShouldBe(CaseProblem.Invalid);
    }

    [Fact]
    public async Task Blocklist_ABlockedReportersNextReportIsStillACase_LowPriorityWithTheReason_UntilTheBlockExpires()
    {
        var pseudonym = "ps-prank-" + _tag;
        var first = await ReportAsync(urgency: Urgencies.High, pseudonym: pseudonym);
        (await RefusedAsync(() => _cases.BlockReporterAsync(Lan, first.Id, "24h", "gọi đùa", CancellationToken.None))).ShouldBe(CaseProblem.Forbidden);
        await _cases.BlockReporterAsync(Hoa, first.Id, "24h", "gọi đùa nhiều lần", CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));

        var blocked = await ReportAsync(urgency: Urgencies.Immediate, pseudonym: pseudonym);
        var d = await DetailAsync(blocked.Id);
        d.Summary.QueueRank.ShouldBe((short)3);
        d.Summary.LowPriorityReason.ShouldBe("blocked reporter: gọi đùa nhiều lần");
        d.Case.Urgency.ShouldBe(Urgencies.Immediate, "what the report said is kept; only its place in the queue moves");
        d.EarlierCasesBySameReporter.ShouldBe(1);
        d.EarlierReportsBySameReporter.ShouldBe(1);

        _time.Advance(TimeSpan.FromHours(25));
        var later = await ReportAsync(urgency: Urgencies.High, pseudonym: pseudonym);
        var after = await DetailAsync(later.Id);
        after.Summary.LowPriorityReason.ShouldBeNull();
        after.Summary.QueueRank.ShouldBe((short)1);
        after.EarlierCasesBySameReporter.ShouldBe(2);
    }

    [Fact]
    public async Task MissedCall_BecomesACallbackTask_WhoseNumberOnlyTheOwnerOrASupervisorReveals_Audited()
    {
        var cipher = new ContactCipher(new Dictionary<string, byte[]> { ["t1"] = Convert.FromBase64String(Infrastructure.TestSecrets.ContactKey) }, "t1");
        var sealedNumber = cipher.Protect("+84912345678", "contact");
        var e = await ReportAsync(urgency: Urgencies.High, reasons: ["call:missed"], contact: sealedNumber);
        var task = (await DetailAsync(e.Id)).Callbacks.ShouldHaveSingleItem();
        task.Status.ShouldBe("open");
        task.DueAt.ShouldBe(_time.GetUtcNow() + TimeSpan.FromHours(1));
        (await _cases.OpenCallbacksAsync(Lan, CancellationToken.None)).ShouldContain(t => t.Id == task.Id);
        (await _cases.OpenCallbacksAsync(Tuan, CancellationToken.None)).ShouldNotContain(t => t.Id == task.Id);

        string Unseal(string c) => cipher.Unprotect(c, "contact");
        (await RefusedAsync(() => _cases.RevealCallbackNumberAsync(Lan, task.Id, Unseal, CancellationToken.None))).ShouldBe(CaseProblem.Forbidden, "not the owner yet");
        await _cases.ClaimAsync(Lan, e.Id, CancellationToken.None);
        (await _cases.RevealCallbackNumberAsync(Lan, task.Id, Unseal, CancellationToken.None)).ShouldBe("+84912345678");
        await _cases.CompleteCallbackAsync(Lan, task.Id, "đã gọi lại, em an toàn", CancellationToken.None);

        var rows = await _audit.ForCaseAsync(e.Id, CancellationToken.None);
        rows.ShouldContain(r => r.Action == "contact.reveal" && r.UserId == Lan.UserId && r.Source == "203.0.113.7");
        rows.ShouldContain(r => r.Action == "callback.done");
        (await DetailAsync(e.Id)).Callbacks.Single().Status.ShouldBe("done");
        (await _db.Database.ScalarAsync<long>($"SELECT count(*) FROM audit WHERE case_id = '{e.Id}' AND array_to_string(fields, ',') LIKE '%912345678%'")).ShouldBe(0, "the number is never in the audit trail");
    }

    [Fact]
    public async Task Audit_EveryChangeAndEveryDetailReadIsARow_WithUserTimeAndSource()
    {
        var e = await ReportAsync();
        await _cases.ClaimAsync(Lan, e.Id, CancellationToken.None);
        await _cases.GetDetailAsync(Lan, e.Id, CancellationToken.None);
        await _cases.AddNoteAsync(Lan, e.Id, "ghi chú", null, CancellationToken.None);
        await Should.ThrowAsync<CaseOperationException>(() => _cases.GetDetailAsync(Tuan, e.Id, CancellationToken.None));

        var rows = await _audit.ForCaseAsync(e.Id, CancellationToken.None);
        rows.Select(r => (r.Action, r.UserId)).ShouldBe([("case.claim", Lan.UserId), ("case.view", Lan.UserId), ("note.add", Lan.UserId)], "a refused read leaves no row and no data");
        rows.ShouldAllBe(r => r.Source == "203.0.113.7" && r.At == _time.GetUtcNow());
        (await _audit.VerifyAsync(CancellationToken.None)).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Audit_TheAppRoleCannotUpdateOrDelete_AndNeitherCanTheOwner()
    {
        var e = await ReportAsync();
        await _cases.GetDetailAsync(Lan, e.Id, CancellationToken.None);

        foreach (var sql in new[] { $"UPDATE audit SET action = 'x' WHERE case_id = '{e.Id}'", $"DELETE FROM audit WHERE case_id = '{e.Id}'", "TRUNCATE audit" })
        {
            (await Should.ThrowAsync<PostgresException>(() => _db.Database.ExecuteAsync(sql, asAdmin: false))).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, sql);
            (await Should.ThrowAsync<PostgresException>(() => _db.Database.ExecuteAsync(sql, asAdmin: true))).MessageText.ShouldContain("append-only", Case.Sensitive, sql);
        }

        (await _db.Database.ScalarAsync<long>($"SELECT count(*) FROM audit WHERE case_id = '{e.Id}'", asAdmin: false)).ShouldBe(1, "the app role reads and inserts");
    }

    [Fact]
    public async Task Migrations_RunAgain_ApplyNothing_AndAnEditedAppliedMigrationStopsTheStart()
    {
        (await Migrator.MigrateAsync(_db.Database.AdminConnectionString, CancellationToken.None)).ShouldBeEmpty();
        (await _db.Database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations")).ShouldBe(Migrator.Embedded.Count);

        await using var scratch = await Infrastructure.PostgresServer.CreateDatabaseAsync();
        await scratch.ExecuteAsync("UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 1");
        var refused = await Should.ThrowAsync<InvalidOperationException>(() => Migrator.MigrateAsync(scratch.AdminConnectionString, CancellationToken.None));
        refused.Message.ShouldContain("V001");
    }
}
