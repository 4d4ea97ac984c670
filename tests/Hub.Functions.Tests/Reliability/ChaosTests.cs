using System.Collections.Concurrent;
using System.Net;
using Azure.Data.Tables;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Reliability;

/// <summary>
/// Chaos (docs/reliability.md): every webhook delivered three times at once, under load, across channels. The load
/// generator retries anything not acknowledged; afterwards every acknowledged report is exactly one case, and the
/// number of lost reports (acknowledged, no case) is counted, printed, and must be zero.
/// </summary>
public sealed class ChaosTests(PlatformFixture hub) : IClassFixture<PlatformFixture>
{
    private async Task<bool> UntilAcknowledgedAsync(Func<HttpRequestMessage> build)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var request = build();
            using var response = await hub.Client.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            ((int)response.StatusCode).ShouldBeGreaterThanOrEqualTo(500, "only a server-side failure may be retried");
            await Task.Delay(100 * (attempt + 1));
        }

        return false;
    }

    [Fact]
    public async Task EveryWebhookDeliveredThreeTimes_EachAcknowledgedReportIsExactlyOneCase()
    {
        var deliveries = new List<(string Instance, string MessageId, Func<HttpRequestMessage> Build)>();
        for (var i = 0; i < 60; i++)
        {
            var sid = ProviderRequests.NewSid();
            var form = ProviderRequests.TwilioSms(sid, $"chaos {i}: em bị bắt nạt");
            deliveries.Add(("hn-sms", sid, () => ProviderRequests.Twilio("hn-sms", form)));

            var gw = "vt-" + Guid.NewGuid().ToString("N");
            var json = ProviderRequests.GatewayJson(gw, $"chaos {i}: cứu em");
            deliveries.Add(("vt-gw", gw, () => ProviderRequests.Gateway("vt-gw", json, TimeProvider.System.GetUtcNow())));

            var pid = PlatformFixture.NewId();
            var report = PlatformFixture.Minimal(pid);
            deliveries.Add(("tt", pid, () => PlatformFixture.Call(HttpMethod.Post, "/reports", report)));
        }

        // Three copies of every delivery, shuffled, 16 at a time.
        var copies = deliveries.SelectMany(d => Enumerable.Repeat(d, 3)).OrderBy(_ => Random.Shared.Next()).ToList();
        var acknowledged = new ConcurrentDictionary<(string, string), int>();
        var unacknowledged = 0;
        await Parallel.ForEachAsync(copies, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (d, _) =>
        {
            if (await UntilAcknowledgedAsync(d.Build))
            {
                acknowledged.AddOrUpdate((d.Instance, d.MessageId), 1, (_, n) => n + 1);
            }
            else
            {
                Interlocked.Increment(ref unacknowledged);
            }
        });

        unacknowledged.ShouldBe(0);
        acknowledged.Count.ShouldBe(deliveries.Count);
        acknowledged.Values.ShouldAllBe(n => n == 3);

        var lost = 0;
        foreach (var (instance, messageId, _) in deliveries)
        {
            if (await hub.WaitForCaseAsync(instance, messageId, TimeSpan.FromSeconds(30)) is null)
            {
                lost++;
            }
        }

        // Exactly one case each: the case key is (instance, provider message id), and no other row may carry the id.
        var casesPerMessage = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in await hub.Cases.ListRecentAsync(int.MaxValue, CancellationToken.None))
        {
            casesPerMessage[$"{e.ChannelInstance}|{e.ProviderMessageId}"] = casesPerMessage.GetValueOrDefault($"{e.ChannelInstance}|{e.ProviderMessageId}") + 1;
        }

        Console.WriteLine($"chaos triple delivery: {copies.Count} deliveries of {deliveries.Count} reports, all acknowledged; lost reports: {lost}");
        lost.ShouldBe(0);
        deliveries.ShouldAllBe(d => casesPerMessage.GetValueOrDefault($"{d.Instance}|{d.MessageId}") == 1);
        (await hub.PeekReportsAsync()).ShouldBeEmpty("every envelope, duplicates included, was processed and deleted");
    }
}
