using System.Collections.Concurrent;
using System.Diagnostics;
using Hub.Functions.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Hub.Functions.Tests.Reliability;

/// <summary>
/// A case-store outage is not poison (docs/reliability.md#case-store-outages): PostgreSQL is stopped for 60 s while reports keep
/// arriving. Intake does not need it, so every report is acknowledged; the processor holds each message back without
/// counting an attempt, so nothing reaches the poison queue however many times it is tried; once the database is
/// back every acknowledged report is exactly one case.
/// </summary>
public sealed class CaseStoreOutageTests(CaseStoreOutageTests.Fixture hub, ITestOutputHelper output) : IClassFixture<CaseStoreOutageTests.Fixture>
{
    public sealed class Fixture : HubFixture
    {
        protected override Task<PostgresDatabase> CreateDatabaseAsync() => PostgresServer.StartPrivateClusterAsync();

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Hub:Cases:OutageRetryDelay"] = "00:00:02",
            ["Hub:Processor:MaxDequeueCount"] = "3", // fewer attempts than the outage lasts retries: an outage that counted would poison
        };
    }

    [Fact]
    public async Task PostgresStoppedForSixtySecondsUnderLoad_NothingPoisonedNothingLost_EachReportOneCase()
    {
        var acknowledged = new ConcurrentDictionary<(string Instance, string Id), bool>();
        var refused = 0;
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        async Task Load(int worker)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var sid = ProviderRequests.NewSid();
                using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, $"outage {worker}/{i}: em bị bắt nạt")));
                if (response.IsSuccessStatusCode)
                {
                    acknowledged[("hn-sms", sid)] = true;
                }
                else
                {
                    Interlocked.Increment(ref refused);
                }

                await Task.Delay(25);
            }
        }

        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(Load));
        await WaitUntilAsync(() => Task.FromResult(acknowledged.Count >= 20), TimeSpan.FromSeconds(30));
        await hub.Postgres.Cluster.StopAsync();
        var stoppedAt = clock.Elapsed;
        var ackedBefore = acknowledged.Count;
        await Task.Delay(TimeSpan.FromSeconds(60));
        var ackedDuring = acknowledged.Count - ackedBefore;
        (await hub.PeekReportsAsync()).ShouldNotBeEmpty("reports wait in the queue while the case store is down");
        using (var health = await hub.Client.GetAsync("/api/health"))
        {
            health.StatusCode.ShouldBe(System.Net.HttpStatusCode.ServiceUnavailable);
            var body = await health.Content.ReadAsStringAsync();
            body.ShouldContain("\"cases\":\"unavailable\"");
            body.ShouldContain("\"storage\":\"ok\"", Case.Sensitive, "intake's storage is fine: only processing waits");
        }

        await hub.Postgres.Cluster.StartAsync();
        var restartedAt = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        await load;

        output.WriteLine($"PostgreSQL stopped {stoppedAt.TotalSeconds:F1}–{restartedAt.TotalSeconds:F1} s; {acknowledged.Count} reports acknowledged ({ackedDuring} during the outage), {refused} refused");
        refused.ShouldBe(0, "intake does not depend on the case store");
        ackedDuring.ShouldBeGreaterThan(0);

        await WaitUntilAsync(async () => await CountCasesAsync() >= acknowledged.Count, TimeSpan.FromSeconds(90));
        await WaitUntilAsync(async () => (await hub.Client.GetAsync("/api/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(30));
        var cases = await CountCasesAsync();
        var perKey = await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM (SELECT provider_message_id FROM reports WHERE channel_instance = 'hn-sms' GROUP BY 1 HAVING count(*) > 1) d");
        var poisoned = await hub.Services.GetRequiredService<Hub.Functions.Messaging.PoisonMessages>().ListAsync(CancellationToken.None);
        var missing = 0;
        foreach (var (instance, id) in acknowledged.Keys)
        {
            if (await hub.Cases.FindAsync(instance, id, CancellationToken.None) is null)
            {
                missing++;
            }
        }

        output.WriteLine($"after recovery: {cases} cases for {acknowledged.Count} acknowledged reports; lost {missing}; poisoned {poisoned.Count}; held back: {hub.Logs.Lines.Count(l => l.Contains("held back", StringComparison.Ordinal))} times");
        poisoned.ShouldBeEmpty();
        missing.ShouldBe(0);
        perKey.ShouldBe(0);
        cases.ShouldBe(acknowledged.Count);
        hub.Logs.Lines.Count(l => l.Contains("held back", StringComparison.Ordinal)).ShouldBeGreaterThan(0, "the processor met the outage");
    }

    private Task<long> CountCasesAsync() => hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM cases WHERE channel_instance = 'hn-sms'");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var deadline = DateTimeOffsetClock.Elapsed(limit);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (NpgsqlException)
            {
                // the database is still coming back
            }

            if (deadline.IsExpired)
            {
                throw new TimeoutException($"not reached within {limit.TotalSeconds} s");
            }

            await Task.Delay(200);
        }
    }
}
