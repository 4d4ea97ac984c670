using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Functions.Admin;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Admin;

/// <summary>The back office from the console: users, a case claimed, closed and reopened as a named user, the audit chain, the refusals' exit codes.</summary>
public sealed class CaseCommandsTests(HubFixture hub) : IClassFixture<HubFixture>
{
    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        var code = await CaseCommands.RunAsync(hub.Services, args, output);
        return (code, output.ToString());
    }

    [Fact]
    public async Task ClaimCloseReopen_AsANamedUser_ShowInTheHistoryAndTheAuditChain()
    {
        var mid = "cli-" + Guid.NewGuid().ToString("N");
        var e = TestEnvelopes.For(mid) with { ReferenceCode = "7K2Q-9XHM" };
        await hub.Cases.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        var login = "cli-" + Guid.NewGuid().ToString("N")[..8];

        (await RunAsync("users", "add", login, "--name", "Trần Thu", "--team", "central-111", "--role", "counsellor")).Code.ShouldBe(0);
        (await RunAsync("users", "list")).Output.ShouldContain(login);
        (await RunAsync("cases", "list", "--team", "central-111", "--as", login)).Output.ShouldContain("7K2Q-9XHM");
        (await RunAsync("cases", "claim", e.Id, "--as", login)).Code.ShouldBe(0);
        (await RunAsync("cases", "claim", e.Id, "--as", login)).Code.ShouldBe(6, "claiming an open case is a conflict");
        (await RunAsync("cases", "close", e.Id, "--reason", "solved", "--as", login)).Code.ShouldBe(2, "not a close reason");
        (await RunAsync("cases", "close", e.Id, "--reason", "resolved", "--note", "đã tư vấn", "--as", login)).Code.ShouldBe(0);
        (await RunAsync("cases", "reopen", e.Id, "--reason", "em nhắn lại", "--as", login)).Code.ShouldBe(0);

        var show = await RunAsync("cases", "show", e.Id, "--as", login);
        show.Code.ShouldBe(0);
        show.Output.ShouldContain("reopened");
        show.Output.ShouldContain("resolved: đã tư vấn");
        var verify = await RunAsync("audit", "verify");
        verify.Code.ShouldBe(0);
        verify.Output.ShouldContain("Audit chain intact");
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM audit WHERE case_id = '{e.Id}' AND action IN ('case.claim', 'case.close', 'case.reopen', 'case.view')")).ShouldBe(4);
    }

    [Fact]
    public async Task Refusals_HaveTheirExitCodes_AndSeedIsRefusedOutsideDevelopment()
    {
        var stranger = "cli-" + Guid.NewGuid().ToString("N")[..8];
        (await RunAsync("users", "add", stranger, "--name", "Khách", "--team", "province-96", "--role", "counsellor")).Code.ShouldBe(0);
        (await RunAsync("users", "add", stranger, "--name", "Again")).Code.ShouldBe(2, "the login exists");
        (await RunAsync("users", "add", "x2-" + stranger, "--team", "province-99")).Code.ShouldBe(2, "no such team");

        var mid = "cli-" + Guid.NewGuid().ToString("N");
        var e = TestEnvelopes.For(mid);
        await hub.Cases.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        (await RunAsync("cases", "show", e.Id, "--as", stranger)).Code.ShouldBe(4, "Cà Mau's counsellor does not see a central case");
        (await RunAsync("cases", "claim", e.Id, "--as", "nobody-" + stranger)).Code.ShouldBe(2);

        (await RunAsync("users", "disable", stranger)).Code.ShouldBe(0);
        (await RunAsync("cases", "list", "--team", "province-96", "--as", stranger)).Code.ShouldBe(5, "a disabled user can do nothing");

        var seed = await RunAsync("cases", "seed", "10");
        seed.Code.ShouldBe(2);
        seed.Output.ShouldContain("refused outside Development");
        (await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM cases WHERE id LIKE 'SEED%'")).ShouldBe(0);
    }

    [Fact]
    public async Task StatsCheck_FindsTheRollupExact_AfterEveryOtherTestsWrites_AndRebuilds()
    {
        // the hub's database holds what every other test of the collection wrote through the hub, and this case: the triggers kept up
        var e = TestEnvelopes.For("cli-stats-" + Guid.NewGuid().ToString("N"));
        await hub.Cases.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        var check = await RunAsync("cases", "stats-check");
        check.Output.ShouldContain("The statistics match the cases.");
        check.Code.ShouldBe(0);

        var rebuild = await RunAsync("cases", "stats-check", "--rebuild");
        rebuild.Code.ShouldBe(0);
        var rebuilt = System.Text.RegularExpressions.Regex.Match(rebuild.Output, @"Rebuilt the statistics of (\d+) case\(s\)\.");
        rebuilt.Success.ShouldBeTrue(rebuild.Output);
        long.Parse(rebuilt.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0, "the other tests' cases, every one");
        rebuild.Output.ShouldContain("The statistics match the cases.");
    }
}
