using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Core.Platform;
using Hub.Functions.Messaging;
using Hub.Functions.Platform;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Platform;

/// <summary>
/// A platform's batch end to end at a few storage operations for all its items (docs/platform-api.md#batches): one raw
/// blob, packed queue messages, transactions of rows; storage failing part-way; one bad envelope in a packed message.
/// </summary>
public sealed class PlatformBatchTests(PlatformFixture hub) : IClassFixture<PlatformFixture>
{
    private async Task<(HttpResponseMessage Response, PlatformBatchResult Result)> PostBatchAsync(string body)
    {
        var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports/batch", body));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, text + "\n" + string.Join("\n", hub.Logs.Lines.Where(l => l.Contains("xception", StringComparison.Ordinal)).TakeLast(3)));
        return (response, JsonSerializer.Deserialize(text, PlatformJsonContext.Default.PlatformBatchResult)!);
    }

    private static string Batch(IEnumerable<string> reports) => "{\"reports\":[" + string.Join(',', reports) + "]}";

    private static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task Batch_NewDuplicateInvalidRepeated_OneBlobOneCaseEachRawItemPointsAtItsBytes()
    {
        // A report the platform sent alone before, then a batch that repeats it among new ones.
        var earlier = PlatformFixture.NewId();
        using var single = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(earlier)));
        single.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var earlierReceipt = JsonSerializer.Deserialize(await single.Content.ReadAsStringAsync(), PlatformJsonContext.Default.PlatformReceipt)!;
        (await hub.WaitForCaseAsync("tt", earlier)).ShouldNotBeNull();

        var a = PlatformFixture.NewId();
        var b = PlatformFixture.NewId();
        var blobsBefore = await hub.CountBlobsAsync(HubStorage.RawContainer, "tt/");
        var body = Batch([
            PlatformFixture.Example(a),
            PlatformFixture.Minimal(earlier),
            """{"platformReportId":"tt-bad","incident":{"type":"bogus"}}""",
            PlatformFixture.Minimal(b, "self-harm"),
            PlatformFixture.Minimal(a),
        ]);

        var (_, result) = await PostBatchAsync(body);

        result.Items.Select(i => i.Status).ShouldBe([202, 202, 400, 202, 202]);
        result.Accepted.ShouldBe(4);
        result.Rejected.ShouldBe(1);
        result.Items.Select(i => i.Receipt?.Status).ShouldBe(["accepted", "duplicate", null, "accepted", "duplicate"]);
        result.Items[1].Receipt!.HubReportId.ShouldBe(earlierReceipt.HubReportId);
        result.Items[4].Receipt!.HubReportId.ShouldBe(result.Items[0].Receipt!.HubReportId);
        result.Items.ShouldAllBe(i => i.RetryAfter == null);

        var caseA = (await hub.WaitForCaseAsync("tt", a)).ShouldNotBeNull();
        var caseB = (await hub.WaitForCaseAsync("tt", b)).ShouldNotBeNull();
        caseA.Id.ShouldBe(result.Items[0].Receipt!.HubReportId);
        caseB.Id.ShouldBe(result.Items[3].Receipt!.HubReportId);
        (await hub.Cases.FindAsync("tt", earlier, CancellationToken.None)).ShouldNotBeNull().Id.ShouldBe(earlierReceipt.HubReportId);
        (await hub.Cases.FindAsync("tt", "tt-bad", CancellationToken.None)).ShouldBeNull();

        // The request is stored once, encrypted; each envelope names its item and the SHA-256 of the item's own bytes.
        (await hub.CountBlobsAsync(HubStorage.RawContainer, "tt/")).ShouldBe(blobsBefore + 1);
        var bytes = Encoding.UTF8.GetBytes(body);
        var cipher = hub.Services.GetRequiredService<PrivacyServices>().Cipher;
        foreach (var (kase, position) in new[] { (caseA, 0), (caseB, 3) })
        {
            var raw = JsonNode.Parse(kase.Envelope)!["raw"]!;
            raw["item"]!.GetValue<int>().ShouldBe(position);
            raw["sha256"]!.GetValue<string>().ShouldBe(Sha256Hex(PlatformBatch.ItemBytes(bytes, position)));
            var blob = raw["blob"]!.GetValue<string>();
            blob.ShouldStartWith("raw/tt/");
            var stored = await hub.Storage.Raw.GetBlobClient(blob["raw/".Length..]).DownloadContentAsync();
            cipher.DecryptBlob(stored.Value.Content.ToMemory().Span, blob).ShouldBe(bytes);
        }

        PlatformBatch.ItemBytes(bytes, 3).ShouldBe(Encoding.UTF8.GetBytes(PlatformFixture.Minimal(b, "self-harm")));
        hub.Faults.BatchWrites.ShouldContain(n => n >= 2); // the packed message's cases were written together

        // Every accepted item answers on the status endpoint under its hub id.
        foreach (var id in new[] { result.Items[0].Receipt!.HubReportId, result.Items[3].Receipt!.HubReportId })
        {
            using var status = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/" + id));
            status.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Batch_QueueRefusesOneMessage_ItsItems503WithRetryAfter_RetryOfTheWholeBatchCompletesIt()
    {
        // 30 reports of ~3 KB: several packed messages. The queue refuses the one holding item 17.
        var ids = Enumerable.Range(0, 30).Select(_ => PlatformFixture.NewId()).ToArray();
        var body = Batch(ids.Select(id => PlatformFixture.Example(id, n => n["incident"]!["description"] = "Nội dung mô tả dài. " + new string('x', 3000))));
        hub.QueueFaults.Arm(ids[17]);
        PlatformBatchResult first;
        try
        {
            var (response, result) = await PostBatchAsync(body);
            response.Dispose();
            first = result;
            var unavailable = result.Items.Where(i => i.Status == 503).Select(i => i.Index).ToList();
            unavailable.ShouldContain(17);
            unavailable.Count.ShouldBeLessThan(30); // other messages were sent: those items are accepted
            result.Items.Where(i => i.Status != 503).ShouldAllBe(i => i.Status == 202 && i.Receipt!.Status == "accepted");
            result.Items.Where(i => i.Status == 503).ShouldAllBe(i => i.RetryAfter == 20 && i.Receipt == null);
            response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(20));
            result.Accepted.ShouldBe(30 - unavailable.Count);
            hub.QueueFaults.Refused.ShouldBeGreaterThan(0);
        }
        finally
        {
            hub.QueueFaults.Disarm(ids[17]);
        }

        foreach (var item in first.Items.Where(i => i.Status == 202))
        {
            (await hub.WaitForCaseAsync("tt", ids[item.Index])).ShouldNotBeNull().Id.ShouldBe(item.Receipt!.HubReportId);
        }

        foreach (var item in first.Items.Where(i => i.Status == 503))
        {
            (await hub.Cases.FindAsync("tt", ids[item.Index], CancellationToken.None)).ShouldBeNull(); // never queued: nothing acknowledged
        }

        // The platform sends the whole batch again: what was accepted is a duplicate with its first id, the rest is accepted.
        var (again, retried) = await PostBatchAsync(body);
        again.Dispose();
        retried.Items.ShouldAllBe(i => i.Status == 202);
        foreach (var item in retried.Items)
        {
            var before = first.Items[item.Index];
            if (before.Status == 202)
            {
                item.Receipt!.Status.ShouldBe("duplicate");
                item.Receipt.HubReportId.ShouldBe(before.Receipt!.HubReportId);
            }
            else
            {
                item.Receipt!.Status.ShouldBe("accepted");
            }

            (await hub.WaitForCaseAsync("tt", ids[item.Index])).ShouldNotBeNull();
            using var status = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/" + item.Receipt.HubReportId));
            status.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Batch_OneCaseWriteAlwaysFails_OnlyItReachesThePoisonQueue()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => PlatformFixture.NewId()).ToArray();
        hub.Faults.FailFor(ids[2]);
        try
        {
            var (response, result) = await PostBatchAsync(Batch(ids.Select(id => PlatformFixture.Minimal(id))));
            response.Dispose();
            result.Accepted.ShouldBe(5);

            foreach (var i in new[] { 0, 1, 3, 4 })
            {
                (await hub.WaitForCaseAsync("tt", ids[i])).ShouldNotBeNull();
            }

            var poison = hub.Services.GetRequiredService<PoisonMessages>();
            var entry = await Eventually.ValueAsync(
                async () => (await poison.ListAsync(CancellationToken.None)).SingleOrDefault(p => p.Message.Contains(ids[2], StringComparison.Ordinal)),
                30);
            entry.ShouldNotBeNull();
            entry.Message.ShouldNotContain("hub.report-batch/v1"); // the envelope alone, not the packed message
            foreach (var i in new[] { 0, 1, 3, 4 })
            {
                entry.Message.ShouldNotContain(ids[i]);
            }

            (await hub.Cases.FindAsync("tt", ids[2], CancellationToken.None)).ShouldBeNull();

            // Healed, its replay makes the missing case.
            hub.Faults.Heal(ids[2]);
            (await poison.ReplayAsync([entry.MessageId], CancellationToken.None)).ShouldBe(1);
            (await hub.WaitForCaseAsync("tt", ids[2])).ShouldNotBeNull().Id.ShouldBe(result.Items[2].Receipt!.HubReportId);
        }
        finally
        {
            hub.Faults.Heal(ids[2]);
        }
    }

    [Fact]
    public async Task PackedMessage_WithAnEnvelopeThatIsNotOne_NeighboursBecomeCasesItAlonePoisoned()
    {
        var seed = PlatformFixture.NewId();
        using (var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Example(seed))))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        var template = (await hub.WaitForCaseAsync("tt", seed)).ShouldNotBeNull().Envelope;
        string Envelope(string mid)
        {
            var node = JsonNode.Parse(template)!;
            node["id"] = Hub.Core.Envelope.ReportId.New(TimeProvider.System);
            node["source"]!["providerMessageId"] = mid;
            return node.ToJsonString();
        }

        var x = PlatformFixture.NewId();
        var y = PlatformFixture.NewId();
        var garbage = "{\"schema\":\"hub.report/v1\",\"notAnEnvelope\":\"" + Guid.NewGuid().ToString("N") + "\"}";
        var packed = "{\"schema\":\"hub.report-batch/v1\",\"reports\":[" + Envelope(x) + "," + garbage + "," + Envelope(y) + "]}";
        await hub.Storage.Reports.SendMessageAsync(packed);

        (await hub.WaitForCaseAsync("tt", x)).ShouldNotBeNull();
        (await hub.WaitForCaseAsync("tt", y)).ShouldNotBeNull();
        var poison = hub.Services.GetRequiredService<PoisonMessages>();
        var entry = await Eventually.ValueAsync(
            async () => (await poison.ListAsync(CancellationToken.None)).SingleOrDefault(p => p.Message.Contains("notAnEnvelope", StringComparison.Ordinal)),
            30);
        entry.ShouldNotBeNull();
        JsonNode.Parse(entry.Message)!.ToJsonString().ShouldBe(JsonNode.Parse(garbage)!.ToJsonString());
    }
}
