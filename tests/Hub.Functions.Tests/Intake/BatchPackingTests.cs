using System.Text;
using System.Text.Json;
using Hub.Functions.Cases;
using Hub.Functions.Intake;

namespace Hub.Functions.Tests.Intake;

/// <summary>How a batch's envelopes are packed into queue messages (pure logic: no storage).</summary>
public sealed class BatchPackingTests
{
    private static (int Index, byte[] Json, string Urgency) Envelope(int index, int bytes)
    {
        var prefix = $"{{\"schema\":\"hub.report/v1\",\"n\":{index},\"pad\":\"";
        var pad = new string('a', bytes - prefix.Length - 2);
        return (index, Encoding.UTF8.GetBytes(prefix + pad + "\"}"), "normal");
    }

    [Theory]
    [InlineData(1, 500)]
    [InlineData(10, 9000)]
    [InlineData(100, 3500)]
    [InlineData(7, 40 * 1024)] // each as large as a message may be: every one alone
    public void Pack_KeepsOrder_EveryMessageFits_AndEachEnvelopeIsCarriedUnchanged(int count, int bytes)
    {
        var envelopes = Enumerable.Range(0, count).Select(i => Envelope(i * 2, bytes)).ToList();

        var messages = IntakeService.Pack(envelopes);

        messages.SelectMany(m => m.Items).ShouldBe(envelopes.Select(e => e.Index));
        var carried = new List<string>();
        foreach (var (items, body) in messages)
        {
            body.ToMemory().Length.ShouldBeLessThanOrEqualTo(IntakeService.MaxEnvelopeBytes);
            var text = body.ToString();
            if (items.Length == 1)
            {
                ReportProcessor.IsBatch(text).ShouldBeFalse(); // one envelope travels as a plain hub.report/v1 message
                carried.Add(text);
                continue;
            }

            ReportProcessor.IsBatch(text).ShouldBeTrue();
            using var doc = JsonDocument.Parse(text);
            doc.RootElement.GetProperty("schema").GetString().ShouldBe(IntakeService.BatchSchema);
            var reports = doc.RootElement.GetProperty("reports");
            reports.GetArrayLength().ShouldBe(items.Length);
            carried.AddRange(reports.EnumerateArray().Select(r => r.GetRawText()));
        }

        carried.ShouldBe(envelopes.Select(e => Encoding.UTF8.GetString(e.Json)));
    }

    [Fact]
    public void Pack_FillsMessages_NoTwoNeighbouringMessagesCouldHaveBeenOne()
    {
        var envelopes = Enumerable.Range(0, 50).Select(i => Envelope(i, 1000 + (i * 397 % 5000))).ToList();

        var messages = IntakeService.Pack(envelopes);

        messages.Count.ShouldBeGreaterThan(1);
        for (var m = 0; m + 1 < messages.Count; m++)
        {
            var next = envelopes.Single(e => e.Index == messages[m + 1].Items[0]);
            (messages[m].Body.ToMemory().Length + 1 + next.Json.Length).ShouldBeGreaterThan(IntakeService.MaxEnvelopeBytes);
        }
    }

    [Fact]
    public void Pack_Nothing_NoMessage() => IntakeService.Pack([]).ShouldBeEmpty();
}
