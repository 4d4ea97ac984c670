using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Functions.Tests.Cases;

/// <summary>The audit chain against someone with the server's superuser: an altered row and a removed row are both found.</summary>
public sealed class AuditChainTests(CaseStoreDatabase db) : IClassFixture<CaseStoreDatabase>
{
    [Fact]
    public async Task Verify_FindsTheFirstAlteredRow_AndTheRowAfterARemovedOne()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero));
        var options = Options.Create(new HubOptions());
        var audit = new AuditLog(db.Cases, time);
        var people = new People(db.Cases, audit, time);
        var cases = new CaseService(db.Cases, audit, time);
        var store = new PostgresCaseStore(db.Cases, options, time);
        await people.AddUserAsync(Actor.Console(), "an", "An", ["central-111"], [Roles.Counsellor], null, null, CancellationToken.None);
        var an = await people.ActorAsync("an", "198.51.100.1", CancellationToken.None);
        var e = TestCase(time);
        await store.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await cases.GetDetailAsync(an, e.Id, CancellationToken.None);
        }

        var intact = await audit.VerifyAsync(CancellationToken.None);
        intact.Intact.ShouldBeTrue();
        intact.Rows.ShouldBe(6); // user.add + 5 reads

        var ids = (await audit.ForCaseAsync(e.Id, CancellationToken.None)).Select(r => r.Id).ToList();
        var victim = ids[2];
        await db.Database.ExecuteAsync($"ALTER TABLE audit DISABLE TRIGGER audit_no_change; UPDATE audit SET source = '10.0.0.1' WHERE id = {victim}; ALTER TABLE audit ENABLE TRIGGER audit_no_change");
        var altered = await audit.VerifyAsync(CancellationToken.None);
        altered.BrokenAt.ShouldBe(victim);
        altered.Problem.ShouldNotBeNull().ShouldContain("altered");

        await db.Database.ExecuteAsync($"ALTER TABLE audit DISABLE TRIGGER audit_no_change; UPDATE audit SET source = '198.51.100.1' WHERE id = {victim}; ALTER TABLE audit ENABLE TRIGGER audit_no_change");
        (await audit.VerifyAsync(CancellationToken.None)).Intact.ShouldBeTrue("restored to what was hashed");

        await db.Database.ExecuteAsync($"ALTER TABLE audit DISABLE TRIGGER audit_no_change; DELETE FROM audit WHERE id = {ids[1]}; ALTER TABLE audit ENABLE TRIGGER audit_no_change");
        var removed = await audit.VerifyAsync(CancellationToken.None);
        removed.BrokenAt.ShouldBe(ids[2], "the row after the removed one no longer links");
        removed.Problem.ShouldNotBeNull().ShouldContain("removed");
    }

    private static ReportEnvelope TestCase(TimeProvider time) => new()
    {
        Id = ReportId.New(time),
        ReceivedAt = time.GetUtcNow(),
        Channel = ReportChannels.Sms,
        ChannelInstance = "audit-test",
        ReferenceCode = "ABCD-EFGH",
        Source = new ReportSource { Provider = "test", ProviderMessageId = "m1" },
        Reporter = new Reporter(),
        Incident = new Incident { Description = "test" },
        Signals = new Signals(),
    };
}
