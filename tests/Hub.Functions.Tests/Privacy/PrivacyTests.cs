using System.Net;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Hub.Functions.Cases;
using Hub.Functions.Messaging;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Privacy;

/// <summary>
/// The reporter's number must appear in no queue message, no table row and no unencrypted blob. The processor
/// is off here, so the queue messages themselves can be inspected before they are processed by hand.
/// </summary>
public sealed class PrivacyTests(PrivacyTests.Fixture hub) : IClassFixture<PrivacyTests.Fixture>
{
    public sealed class Fixture : HubFixture
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Hub:Processor:Enabled"] = "false" };
    }

    // The same subscriber, as each provider writes the number.
    private static readonly string[] Forms = ["+84987654321", "84987654321", "0987654321", "987654321", "%2B84987654321"];

    [Fact]
    public async Task RawNumber_AppearsNowhereInStorage_ButIsRecoverableForCallBack()
    {
        var sid = ProviderRequests.NewSid();
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "số của em là 0987654321 đừng lộ", from: "+84987654321")))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var gw = "vt-" + Guid.NewGuid().ToString("N");
        (await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(gw, "xin chào", from: "0987654321"), TimeProvider.System.GetUtcNow()))).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Queue messages, as written (before processing).
        var queued = await hub.PeekReportsAsync();
        queued.Count.ShouldBeGreaterThanOrEqualTo(2);

        // Then process them into cases, as the poller would.
        var processor = hub.Services.GetRequiredService<ReportProcessor>();
        foreach (var m in queued)
        {
            await processor.ProcessAsync(m, CancellationToken.None);
        }

        var texts = new List<(string Where, string Text)>();
        texts.AddRange(queued.Select(q => ("queue", RemoveDescriptions(q))));
        // Every table any area registered (cases, dedup rows, opt-outs, conversations, calls, …), not a list kept here.
        foreach (var table in hub.Storage.Resources.Where(r => r.Kind == StorageResourceKind.Table).Select(r => hub.Storage.Table(r.Name)))
        {
            await foreach (var e in table.QueryAsync<TableEntity>())
            {
                texts.Add(($"table {table.Name}", RemoveDescriptions(string.Join('|', e.Select(kv => $"{kv.Key}={kv.Value}")))));
            }
        }

        var blobs = 0;
        foreach (var container in new[] { hub.Storage.Raw, hub.Storage.Evidence })
        {
            await foreach (var b in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, null, CancellationToken.None))
            {
                var content = (await container.GetBlobClient(b.Name).DownloadContentAsync()).Value.Content.ToArray();
                texts.Add(($"blob {container.Name}/{b.Name}", Encoding.Latin1.GetString(content) + string.Join('|', b.Metadata.Values)));
                b.Metadata["hubEncryption"].ShouldBe("aes-256-gcm");
                blobs++;
            }
        }

        blobs.ShouldBeGreaterThanOrEqualTo(2);
        foreach (var (where, text) in texts)
        {
            foreach (var form in Forms)
            {
                text.ShouldNotContain(form, customMessage: $"{where} holds the raw number");
            }
        }

        // Not lost, only protected: the contact decrypts for a call-back, and the raw blob decrypts to the request.
        var cipher = hub.Services.GetRequiredService<PrivacyServices>().Cipher;
        var stored = (await hub.Cases.FindAsync("hn-sms", sid, CancellationToken.None)).ShouldNotBeNull();
        using var doc = System.Text.Json.JsonDocument.Parse(stored.Envelope);
        cipher.Unprotect(doc.RootElement.GetProperty("reporter").GetProperty("contactRef").GetString()!, PrivacyServices.ContactPurpose).ShouldBe("+84987654321");
        var rawRef = doc.RootElement.GetProperty("raw").GetProperty("blob").GetString()!;
        var raw = (await hub.Storage.Raw.GetBlobClient(rawRef["raw/".Length..]).DownloadContentAsync()).Value.Content.ToArray();
        Encoding.UTF8.GetString(cipher.DecryptBlob(raw, rawRef)).ShouldContain("From=%2B84987654321");

        // Same person through both channels: one pseudonym, so reports link without the number.
        var gwCase = (await hub.Cases.FindAsync("vt-gw", gw, CancellationToken.None)).ShouldNotBeNull();
        gwCase.ReporterPseudonym.ShouldBe(stored.ReporterPseudonym);
    }

    // What the reporter chose to write in the message body is their words (an operator must read them);
    // the guarantee is about the identifiers the hub receives, so descriptions are excluded from the scan.
    private static string RemoveDescriptions(string s) =>
        System.Text.RegularExpressions.Regex.Replace(s, "(\\\\?\"description\\\\?\"\\s*:\\s*\\\\?\")(.*?)(\\\\?\")", "$1…$3");
}
