using System.Net;
using System.Text;
using Hub.Core.Signatures;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Reliability;

/// <summary>Each input the fuzz suite found answering 500, kept as a plain test (docs/reliability.md).</summary>
public sealed class FuzzFindingsTests(FuzzFixture hub) : IClassFixture<FuzzFixture>
{
    private static void ShouldBeClientAnswer(HttpResponseMessage response, string label) =>
        ((int)response.StatusCode).ShouldBeLessThan(500, label);

    [Fact]
    public async Task Voice_AbsurdlyLongFields_NeverGrowTheCallPastStorageLimits()
    {
        // A 70,000-character CallStatus and QueueResult made the call's row too large for Table storage (500).
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        foreach (var (action, field) in new[] { ("status", "CallStatus"), ("queue-result", "QueueResult"), ("incoming", "To") })
        {
            var form = new List<KeyValuePair<string, string>> { new("AccountSid", TestSecrets.TwilioAccountSid), new("CallSid", callSid), new("From", "+84912345678"), new(field, new string('A', 70_000)) };
            var path = $"/api/channels/twilio-voice/fz-111/{action}";
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(TestSecrets.TwilioAuthToken, HubFixture.PublicBaseUrl + path, form));
            using var response = await hub.Client.SendAsync(request);
            ShouldBeClientAnswer(response, action);
        }
    }

    [Theory]
    [InlineData("""{"object":"page","entry":[null]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","time":1,"messaging":[null]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","time":1,"messaging":[{"sender":{"id":"1"},"recipient":{"id":"1234567890"},"timestamp":1,"message":{"mid":"m1","attachments":[null]}}]}]}""")]
    public async Task Messenger_NullArrayItems_Answered200(string json)
    {
        // null items in entry, messaging or attachments made the parser dereference null (500).
        using var response = await hub.Client.SendAsync(ChatFixture.Messenger(json));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Zalo_NullAttachment_NotA500()
    {
        var json = ChatFixture.ZaloText(ChatFixture.NewUser(), "z" + Guid.NewGuid().ToString("N"), "ảnh", TimeProvider.System.GetUtcNow(), imageUrl: "https://zalo.example/x.jpg")
            .Replace("\"attachments\":[{", "\"attachments\":[null,{", StringComparison.Ordinal);
        using var response = await hub.Client.SendAsync(ChatFixture.Zalo(json));
        ShouldBeClientAnswer(response, json);
    }

    [Theory]
    [InlineData("ZZZZZZZZZZZZZZZZZZZZZZZZZZ-AAAAAAAA")] // a 26-character "ULID" beyond year 9999
    [InlineData("8ZZZZZZZZZZZZZZZZZZZZZZZZZ")]
    public async Task Platform_OutOfRangeUlid_404(string id)
    {
        using var confirm = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, $"/takedowns/{id}/confirm", """{"outcome":"removed"}"""));
        using var status = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, $"/reports/{id[..26]}"));
        confirm.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        status.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PlatformBatch_InvalidUtf8_400()
    {
        // Invalid UTF-8 in a property name passed JsonDocument.Parse and threw when the name was read (500).
        byte[] body = [.. Encoding.UTF8.GetBytes("{\"reports\":[],\""), 0xFF, .. Encoding.UTF8.GetBytes("\":1}")];
        var ts = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/platform/v1/reports/batch") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Hub-Platform", "tt");
        request.Headers.Add(HubSignature.TimestampHeader, ts);
        request.Headers.Add(HubSignature.SignatureHeader, HubSignature.Compute(TestSecrets.PlatformSecret, ts, body));
        using var response = await hub.Client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("""{"Data":{"report":"x"},"Metadata":{"DequeueCount":"five"}}""", HttpStatusCode.OK)]
    [InlineData("""{"Data":{"report":"x"},"Metadata":{"DequeueCount":[1]}}""", HttpStatusCode.OK)]
    public async Task QueueFunction_OddMetadata_HandledNot500(string json, HttpStatusCode expected)
    {
        using var response = await hub.Client.PostAsync("/ProcessReport", new StringContent(json, Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(expected);
    }

    [Fact]
    public async Task QueueFunction_InvalidUtf8String_400()
    {
        byte[] body = [.. Encoding.UTF8.GetBytes("{\"Data\":{\"report\":\"a"), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}}")];
        using var response = await hub.Client.PostAsync("/ProcessReport", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Poison_MessageNearTheQueueLimit_StillPoisonedWithItsHead()
    {
        // Wrapping a 60 KB foreign message with its error overflowed the poison queue's 64 KiB (500, retried for ever).
        var message = "garbage-" + new string('x', 60_000);
        using var response = await hub.Client.PostAsync("/ProcessReport", new StringContent($$$"""{"Data":{"report":"{{{message}}}"},"Metadata":{"DequeueCount":1}}""", Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var poisoned = await hub.Services.GetRequiredService<Hub.Functions.Messaging.PoisonMessages>().ListAsync(CancellationToken.None);
        var entry = poisoned.Where(p => p.Message.StartsWith("garbage-", StringComparison.Ordinal)).ShouldHaveSingleItem();
        entry.Error!.ShouldContain("truncated from 60008 characters");
    }

    [Fact]
    public async Task TwilioSms_HugeBodyWithRefusedMedia_NotA500()
    {
        var form = ProviderRequests.TwilioSms(ProviderRequests.NewSid(), new string('ơ', 70_000));
        form.RemoveAll(p => p.Key == "NumMedia");
        form.Add(new("NumMedia", "3"));
        for (var i = 0; i < 3; i++)
        {
            form.Add(new($"MediaUrl{i}", $"http://169.254.169.254/{new string('a', 1500)}/{i}"));
        }

        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("fz-sms", form));
        ShouldBeClientAnswer(response, "huge SMS");
    }
}
