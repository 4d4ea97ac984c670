using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Spool;

/// <summary>
/// The standalone spool (courier's pattern): storage down → every channel still acknowledges, after an fsynced,
/// encrypted local append; storage back → the relay delivers each spooled report as exactly one case, keeping the
/// report id and reference code the reporter was given; a crash in the middle of the drain loses nothing and
/// duplicates nothing; a torn or corrupted spool is handled without losing what it holds.
/// </summary>
public sealed class SpoolTests(SpoolFixture hub) : IClassFixture<SpoolFixture>
{
    private async Task WarmAsync()
    {
        // Each test starts from an empty spool, whatever an earlier one left behind.
        if (hub.Spool.HasPending())
        {
            await hub.Relay.DrainAsync(CancellationToken.None);
        }

        hub.Spool.HasPending().ShouldBeFalse();
        var warm = ProviderRequests.NewSid();
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(warm, "trước sự cố")))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hub.WaitForCaseAsync("hn-sms", warm)).ShouldNotBeNull();
    }

    private async Task<string> SpooledSmsAsync(string sid, string text)
    {
        using var r = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, text, from: "+84987654321")));
        r.StatusCode.ShouldBe(HttpStatusCode.OK, "storage is down, but the spool makes the report durable");
        var twiml = await r.Content.ReadAsStringAsync();
        return System.Text.RegularExpressions.Regex.Match(twiml, "[A-Z0-9]{4}-[A-Z0-9]{4}").Value;
    }

    [Fact]
    public async Task StorageKilled_EveryChannelAcknowledgesFromTheSpool_RelayMakesExactlyOneCaseEach()
    {
        await WarmAsync();
        await hub.Azurite.KillAsync();
        var sms = ProviderRequests.NewSid();
        var gw = "vt-" + Guid.NewGuid().ToString("N");
        var pid = PlatformFixture.NewId();
        var psid = ChatFixture.NewUser();
        string smsCode, gwCode;
        JsonElement receipt;
        try
        {
            smsCode = await SpooledSmsAsync(sms, "em bị đe doạ tung ảnh, cứu em");
            smsCode.ShouldNotBeEmpty();

            using (var g = await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(gw, "bạn em bị dụ dỗ qua mạng"), TimeProvider.System.GetUtcNow())))
            {
                g.StatusCode.ShouldBe(HttpStatusCode.OK);
                gwCode = (await g.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reference").GetString()!;
            }

            using (var p = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(pid))))
            {
                p.StatusCode.ShouldBe(HttpStatusCode.Accepted);
                receipt = await p.Content.ReadFromJsonAsync<JsonElement>();
            }

            using (var m = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, "m_" + Guid.NewGuid().ToString("N"), "xin chào"))))
            {
                m.StatusCode.ShouldBe(HttpStatusCode.OK);
            }

            using var health = await hub.Client.GetAsync("/api/health");
            health.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("spool").GetProperty("pending").GetBoolean().ShouldBeTrue();

            // The drain finds storage still down: nothing relayed, nothing dropped.
            var early = await hub.Relay.DrainAsync(CancellationToken.None);
            early.StorageDown.ShouldBeTrue();
            early.Relayed.ShouldBe(0);
            hub.Spool.HasPending().ShouldBeTrue();
        }
        finally
        {
            await hub.Azurite.RestartAsync();
        }

        // Children's words and numbers are sealed on disk, like the blobs.
        var onDisk = Directory.EnumerateFiles(hub.SpoolPath, "*.spool", SearchOption.AllDirectories).Select(File.ReadAllBytes).SelectMany(b => b).ToArray();
        onDisk.Length.ShouldBeGreaterThan(0);
        foreach (var secret in new[] { "em bị đe doạ", "987654321", "dụ dỗ", pid, psid })
        {
            Contains(onDisk, Encoding.UTF8.GetBytes(secret)).ShouldBeFalse($"'{secret}' must not be in the spool in clear");
        }

        var drained = await hub.Relay.DrainAsync(CancellationToken.None);
        drained.Relayed.ShouldBe(4);
        drained.Held.ShouldBe(0);
        hub.Spool.HasPending().ShouldBeFalse();

        var smsCase = (await hub.WaitForCaseAsync("hn-sms", sms, TimeSpan.FromSeconds(30))).ShouldNotBeNull();
        smsCase.ReferenceCode.ShouldBe(smsCode, "the reporter was given this code while storage was down");
        var gwCase = (await hub.WaitForCaseAsync("vt-gw", gw, TimeSpan.FromSeconds(30))).ShouldNotBeNull();
        gwCase.ReferenceCode.ShouldBe(gwCode);
        var platformCase = (await hub.WaitForCaseAsync("tt", pid, TimeSpan.FromSeconds(30))).ShouldNotBeNull();
        platformCase.Id.ShouldBe(receipt.GetProperty("hubReportId").GetString());

        // The platform's status URL from the receipt works once the relay wrote the row.
        using (var status = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/" + receipt.GetProperty("hubReportId").GetString())))
        {
            status.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // The chat turn ran: the child got the bot's answer.
        (await hub.Provider.WaitForRepliesAsync(psid, 1, TimeSpan.FromSeconds(30))).ShouldNotBeEmpty();
        (await hub.Client.GetAsync("/api/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task CrashDuringTheDrain_ReplayResumes_NothingLostAndNoDuplicateCase()
    {
        await WarmAsync();
        await hub.Azurite.KillAsync();
        var sids = new List<(string Sid, string Code)>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                var sid = ProviderRequests.NewSid();
                sids.Add((sid, await SpooledSmsAsync(sid, $"tin {i}: em bị bắt nạt")));
            }
        }
        finally
        {
            await hub.Azurite.RestartAsync();
        }

        // The worst moment: record 7 is written to storage, the process dies before its progress is recorded.
        var replayed = 0;
        hub.Relay.AfterReplay = _ => ++replayed == 7 ? throw new SimulatedCrashException() : Task.CompletedTask;
        try
        {
            await Should.ThrowAsync<SimulatedCrashException>(() => hub.Relay.DrainAsync(CancellationToken.None));
        }
        finally
        {
            hub.Relay.AfterReplay = null;
        }

        hub.Spool.HasPending().ShouldBeTrue();
        var resumed = await hub.Relay.DrainAsync(CancellationToken.None);
        resumed.Relayed.ShouldBe(6, "records 7 to 12: the 7th again, found a duplicate by its dedup row");
        hub.Spool.HasPending().ShouldBeFalse();

        foreach (var (sid, code) in sids)
        {
            var kase = (await hub.WaitForCaseAsync("hn-sms", sid, TimeSpan.FromSeconds(30))).ShouldNotBeNull($"{sid} was acknowledged");
            kase.ReferenceCode.ShouldBe(code);
        }

        // Exactly one intake row per message, and no case for a message that was not sent.
        var rows = new List<TableEntity>();
        foreach (var (sid, _) in sids)
        {
            var row = await hub.Storage.Table(Hub.Functions.Intake.IntakeService.TableName).GetEntityIfExistsAsync<TableEntity>("hn-sms", TableKeys.Escape(sid));
            row.HasValue.ShouldBeTrue();
            rows.Add(row.Value!);
        }

        rows.Select(r => r.GetString("ReportId")).Distinct().Count().ShouldBe(sids.Count);
        hub.Logs.Lines.ShouldContain(l => l.Contains("Duplicate delivery on hn-sms", StringComparison.Ordinal), "the replayed record was recognised, not queued as new");
    }

    [Fact]
    public async Task TornTailAndCorruptRecord_GoodRecordsRelayed_TornIgnored_CorruptKeptForAnOperator()
    {
        await WarmAsync();
        await hub.Azurite.KillAsync();
        var sids = new List<string>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var sid = ProviderRequests.NewSid();
                await SpooledSmsAsync(sid, $"hỏng {i}");
                sids.Add(sid);
            }
        }
        finally
        {
            await hub.Azurite.RestartAsync();
        }

        var segment = hub.Spool.RollAndListClosed().ShouldHaveSingleItem();
        var bytes = File.ReadAllBytes(segment);

        // Flip a byte inside the second record's ciphertext, then add a torn record (an append cut by a crash).
        var first = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var secondStart = 4 + first;
        bytes[secondStart + 4 + 40] ^= 0x55;
        var torn = new byte[4 + 10];
        BinaryPrimitives.WriteInt32LittleEndian(torn, 500);
        File.WriteAllBytes(segment, [.. bytes, .. torn]);

        var result = await hub.Relay.DrainAsync(CancellationToken.None);
        result.Relayed.ShouldBe(2);
        result.Held.ShouldBe(1);
        hub.Spool.HasPending().ShouldBeFalse();
        hub.Spool.HeldCount().ShouldBe(1, "the segment with the unreadable record is kept whole in held/");

        (await hub.WaitForCaseAsync("hn-sms", sids[0], TimeSpan.FromSeconds(30))).ShouldNotBeNull();
        (await hub.WaitForCaseAsync("hn-sms", sids[2], TimeSpan.FromSeconds(30))).ShouldNotBeNull();
        hub.Logs.Lines.ShouldContain(l => l.Contains("torn record", StringComparison.Ordinal));
        hub.Logs.Lines.ShouldContain(l => l.Contains("unreadable record", StringComparison.Ordinal));

        using var health = await hub.Client.GetAsync("/api/health");
        (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("spool").GetProperty("held").GetInt32().ShouldBe(1);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(hub.SpoolPath, "held")))
        {
            File.Delete(f); // leave the shared fixture clean for the other tests
        }
    }

    [Fact]
    public async Task PlatformRetriesDuringOutage_SpooledReceiptsStatusUrlAnswersWithTheFirstReport()
    {
        await WarmAsync();
        var pid = PlatformFixture.NewId();
        var body = PlatformFixture.Minimal(pid);
        string first;
        using (var r = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body)))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.Accepted);
            first = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hubReportId").GetString()!;
        }

        // The platform lost our answer and retries while storage is down: the spool answers, with a new id. (Stopped,
        // not killed: a SIGKILLed Azurite forgets its last seconds of writes, which here would be the first delivery.)
        (await hub.WaitForCaseAsync("tt", pid)).ShouldNotBeNull();
        await hub.Azurite.StopAsync();
        string second;
        try
        {
            using var retry = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body));
            retry.StatusCode.ShouldBe(HttpStatusCode.Accepted);
            second = (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hubReportId").GetString()!;
        }
        finally
        {
            await hub.Azurite.RestartAsync();
        }

        second.ShouldNotBe(first, "the dedup row could not be read during the outage");
        (await hub.Relay.DrainAsync(CancellationToken.None)).Relayed.ShouldBe(1);
        (await hub.WaitForCaseAsync("tt", pid, TimeSpan.FromSeconds(30))).ShouldNotBeNull().Id.ShouldBe(first);

        // Both receipts' status URLs work and name the one report.
        foreach (var id in new[] { first, second })
        {
            using var status = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/" + id));
            status.StatusCode.ShouldBe(HttpStatusCode.OK, id);
            var json = await status.Content.ReadFromJsonAsync<JsonElement>();
            json.GetProperty("hubReportId").GetString().ShouldBe(first);
            json.GetProperty("platformReportId").GetString().ShouldBe(pid);
        }
    }

    [Fact]
    public async Task StorageUp_NothingIsSpooled()
    {
        await WarmAsync();
        var sid = ProviderRequests.NewSid();
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "bình thường")))).StatusCode.ShouldBe(HttpStatusCode.OK);
        hub.Spool.HasPending().ShouldBeFalse("with storage answering, the spool is never written");
        (await hub.WaitForCaseAsync("hn-sms", sid)).ShouldNotBeNull();
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private sealed class SimulatedCrashException : Exception;
}
