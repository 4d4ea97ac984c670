using System.Text.Json;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Core.Routing;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Hub.Functions.Tests.Cases;

/// <summary>
/// Routing applied to real cases in PostgreSQL (docs/routing.md): a new case's team and proposed referrals come from the
/// first rule that fits, and its history says which; a reclassification recomputes the proposal without moving the
/// case; a table with a gap sends the case to the central team and leaves it countable as unmatched.
/// </summary>
public sealed class RoutingTests(CaseStoreDatabase db) : IClassFixture<CaseStoreDatabase>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 3, 0, 0, TimeSpan.Zero));
    private readonly string _tag = Guid.NewGuid().ToString("N")[..8];

    private PostgresCaseStore Store(RoutingOptions? routing = null) =>
        new(db.Cases, Options.Create(new HubOptions { Routing = routing ?? new RoutingOptions() }), _time);

    private async Task<ReportEnvelope> ReportAsync(PostgresCaseStore store, string? province, params string[] categories)
    {
        var e = new ReportEnvelope
        {
            Id = ReportId.New(_time),
            ReceivedAt = _time.GetUtcNow(),
            Channel = ReportChannels.Web,
            ChannelInstance = "route-" + _tag,
            ReferenceCode = ReferenceCode.For(new byte[32], Guid.NewGuid().ToString()),
            Source = new ReportSource { Provider = "test", ProviderMessageId = Guid.NewGuid().ToString("N") },
            Reporter = new Reporter(),
            Incident = new Incident { Description = "có người dọa tung ảnh", Categories = categories },
            Location = province is null ? null : new Location { ProvinceCode = province },
            Signals = new Signals { Urgency = Urgencies.High, Reasons = [] },
        };
        (await store.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None)).ShouldBe(ProcessOutcome.Created);
        return e;
    }

    private async Task<(string Team, string? Rule, string[] Proposed, string? CreatedReason)> ReadAsync(string id)
    {
        var source = await db.Cases.GetAsync(CancellationToken.None);
        await using var cmd = source.CreateCommand(
            "SELECT c.team_id, c.routing_rule, c.proposed_referrals, h.reason FROM cases c JOIN case_history h ON h.case_id = c.id AND h.action = 'created' WHERE c.id = @id");
        cmd.Parameters.AddWithValue("id", id);
        await using var r = await cmd.ExecuteReaderAsync();
        (await r.ReadAsync()).ShouldBeTrue();
        return (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetFieldValue<string[]>(2), r.IsDBNull(3) ? null : r.GetString(3));
    }

    [Fact]
    public async Task NewCase_SextortionInDaNang_ProvinceTeamWithPoliceA05AndTheUnitProposed()
    {
        var e = await ReportAsync(Store(), "48", "OCSEA.SEXTORTION");
        var (team, rule, proposed, reason) = await ReadAsync(e.Id);
        team.ShouldBe("province-48");
        rule.ShouldBe("online-sexual-crime");
        proposed.ShouldBe(["police-48", "agency-a05"]);
        reason.ShouldBe("routing: rule online-sexual-crime; proposed referrals police-48, agency-a05");
    }

    [Fact]
    public async Task NewCase_NoProvince_CentralTeam()
    {
        var e = await ReportAsync(Store(), null, "ONLINE.BULLYING");
        var (team, rule, proposed, _) = await ReadAsync(e.Id);
        (team, rule).ShouldBe(("central-111", "no-province"));
        proposed.ShouldBeEmpty();
    }

    [Fact]
    public async Task NewCase_TableWithAGap_CentralTeamAndCountedAsUnmatched()
    {
        var only = new RoutingOptions { Rules = [new RoutingRule { Name = "voice-only", Channels = ["voice-111"], Team = "central-111" }] };
        var e = await ReportAsync(Store(only), "01", "ONLINE.BULLYING");
        var (team, rule, proposed, reason) = await ReadAsync(e.Id);
        (team, rule).ShouldBe(("central-111", null));
        proposed.ShouldBeEmpty();
        reason.ShouldBe("routing: no rule matched, the central team");
        var source = await db.Cases.GetAsync(CancellationToken.None);
        await using var count = source.CreateCommand("SELECT count(*) FROM cases WHERE routing_rule IS NULL AND id = @id");
        count.Parameters.AddWithValue("id", e.Id);
        ((long)(await count.ExecuteScalarAsync())!).ShouldBe(1);
    }

    [Fact]
    public async Task NewCase_RuleNamesATeamThatDoesNotExist_ProvinceTeamAndTheHistorySaysSo()
    {
        var typo = new RoutingOptions { Rules = [new RoutingRule { Name = "typo", Team = "provinse-01" }] };
        var e = await ReportAsync(Store(typo), "01", "ONLINE.BULLYING");
        var (team, rule, _, reason) = await ReadAsync(e.Id);
        (team, rule).ShouldBe(("province-01", "typo"));
        reason.ShouldBe("routing: rule typo (team provinse-01 does not exist: province-01)");
    }

    [Fact]
    public async Task Reclassify_NewProvince_NewProposalShownTeamUnchanged()
    {
        var store = Store();
        var audit = new AuditLog(db.Cases, _time);
        var people = new People(db.Cases, audit, _time);
        var cases = new CaseService(db.Cases, audit, _time);
        var login = "route-sup-" + _tag;
        await people.AddUserAsync(Actor.Console(), login, "Giám sát Đà Nẵng", ["province-48"], [Roles.Supervisor], null, null, CancellationToken.None);
        var supervisor = await people.ActorAsync(login, null, CancellationToken.None);

        var e = await ReportAsync(store, "48", "ONLINE.BULLYING");
        (await ReadAsync(e.Id)).Proposed.ShouldBeEmpty(); // bullying: the province's own team, nothing to propose
        await cases.ClassifyAsync(supervisor, e.Id, ["OCSEA.SEXTORTION"], null, "01", "em nói em ở Hà Nội", CancellationToken.None);

        var (team, rule, proposed, _) = await ReadAsync(e.Id);
        team.ShouldBe("province-48", "nothing is re-routed silently");
        rule.ShouldBe("province", "the rule that routed it on creation");
        proposed.ShouldBe(["police-01", "agency-a05"]);
        var detail = await cases.GetDetailAsync(supervisor, e.Id, CancellationToken.None);
        detail.Routing.ShouldBe(new RoutingView("province", ["police-01", "agency-a05"]), new RoutingViewComparer());
        detail.History[^1].Reason!.ShouldContain("routing: rule online-sexual-crime; proposed referrals police-01, agency-a05 (proposes team province-01; the case stays with province-48 unless transferred)");
    }

    private sealed class RoutingViewComparer : IEqualityComparer<RoutingView>
    {
        public bool Equals(RoutingView? x, RoutingView? y) => x?.Rule == y?.Rule && (x?.ProposedReferrals ?? []).SequenceEqual(y?.ProposedReferrals ?? []);

        public int GetHashCode(RoutingView obj) => obj.Rule?.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
