using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Core.Signatures;
using Hub.Functions.Cases;
using Hub.Functions.Channels;
using Hub.Functions.Tests.Infrastructure;
using Hub.Simulators;

namespace Hub.Functions.Tests.Channels.SmsOutbound;

/// <summary>
/// A counsellor answers an SMS reporter: through the gateway contract's send endpoint and through Twilio's Messages
/// API (both on the loopback <see cref="SmsSimulator"/>), retried when the provider says so, refused for good when it
/// refuses, and moved forward by signed delivery receipts. The number and the text never reach the logs.
/// </summary>
public sealed class SmsReplyTests(SmsReplyTests.Fixture hub) : IClassFixture<SmsReplyTests.Fixture>
{
    private const string Number = "+84912345678";

    public sealed class Fixture : ConsoleFixture
    {
        public SmsSimulator Sms { get; private set; } = null!;

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(base.ExtraSettings)
        {
            ["Hub:Channels:vt-gw:SendUrl"] = Sms.GatewaySendUrl,
            ["Hub:Channels:hn-sms:TwilioApiBaseUrl"] = Sms.BaseUrl,
            ["Hub:Sms:SendRetries"] = "1",
            ["Hub:Sms:SendRetryBaseDelay"] = "00:00:00.010",
            ["Hub:Sms:MaxInCallRetryAfter"] = "00:00:01",
            ["Hub:Sms:RetryBaseDelay"] = "00:00:00.100",
            ["Hub:Sms:MaxRetryDelay"] = "00:00:00.200",
            ["Hub:Sms:MaxAttempts"] = "4",
        };

        public override async Task InitializeAsync()
        {
            Sms = await SmsSimulator.StartAsync();
            await base.InitializeAsync();
        }

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            await Sms.DisposeAsync();
        }
    }

    /// <summary>An SMS case of Hà Nội on the gateway instance <c>vt-gw</c> (or Twilio's <c>hn-sms</c>), claimed by lan; answers the case and lan's browser.</summary>
    private async Task<(string CaseId, HttpClient Lan)> ClaimedCaseAsync(string instance = "vt-gw")
    {
        var id = await hub.CaseAsync("01", e => e with
        {
            ChannelInstance = instance,
            Source = e.Source with { Provider = instance == "vt-gw" ? "sms-gateway" : "twilio", ProviderAccount = instance == "vt-gw" ? "111" : "+842873001111" },
        });
        var lan = await hub.SignInAsync("lan");
        using var claim = await lan.PostAsync($"/cases/{id}/claim", null, "*");
        claim.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (id, lan);
    }

    private static async Task<string> ReplyAsync(HttpClient lan, string caseId, string text, HttpStatusCode expected = HttpStatusCode.Accepted)
    {
        using var r = await lan.PostAsync($"/cases/{caseId}/sms/replies", new { text }, null);
        var body = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(expected, body);
        return expected == HttpStatusCode.Accepted ? JsonDocument.Parse(body).RootElement.GetProperty("replyId").GetString()! : body;
    }

    private static async Task<JsonElement> ReplyViewAsync(HttpClient lan, string caseId, string replyId)
    {
        using var r = await lan.GetAsync(ConsoleCalls.Api + $"/cases/{caseId}");
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        var sms = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("sms");
        return sms.GetProperty("replies").EnumerateArray().Single(x => x.GetProperty("id").GetString() == replyId).Clone();
    }

    private static async Task WaitForStatusAsync(HttpClient lan, string caseId, string replyId, string status) =>
        await Eventually.TrueAsync(async () => (await ReplyViewAsync(lan, caseId, replyId)).GetProperty("status").GetString() == status);

    private static HttpRequestMessage Receipt(string instance, string json, DateTimeOffset now, string secret = TestSecrets.GatewaySecret, long? timestamp = null, bool sign = true)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var ts = (timestamp ?? now.ToUnixTimeSeconds()).ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/sms-gateway/{instance}/status") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        if (sign)
        {
            request.Headers.Add(HubSignature.TimestampHeader, ts);
            request.Headers.Add(HubSignature.SignatureHeader, HubSignature.Compute(secret, ts, body));
        }

        return request;
    }

    [Fact]
    public async Task Gateway_ReplySentSigned_ToTheReportersNumber_ThenReceiptsMoveItForward()
    {
        var (caseId, lan) = await ClaimedCaseAsync();
        var replyId = await ReplyAsync(lan, caseId, "Chào em, anh chị ở 111 đã đọc tin của em. Em có an toàn không?");

        // This reply's own send (a count could be met by an earlier test's late retry); generous on a busy machine.
        var sent = (await hub.Sms.WaitForAsync(s => s.Provider == "gateway" && s.Text.Contains(replyId, StringComparison.Ordinal), TimeSpan.FromSeconds(60))).ShouldNotBeNull();
        var ts = sent.Headers[HubSignature.TimestampHeader];
        sent.Headers[HubSignature.SignatureHeader].ShouldBe(HubSignature.Compute(TestSecrets.GatewaySecret, ts, sent.Body), "signed with the instance's secret over the exact body");
        var json = JsonDocument.Parse(sent.Body).RootElement;
        json.GetProperty("messageId").GetString().ShouldBe(replyId);
        json.GetProperty("to").GetString().ShouldBe(Number, "the number is unsealed only for the send");
        json.GetProperty("from").GetString().ShouldBe("111");
        json.GetProperty("text").GetString().ShouldBe("Chào em, anh chị ở 111 đã đọc tin của em. Em có an toàn không?");
        json.GetProperty("statusUrl").GetString().ShouldBe(HubFixture.PublicBaseUrl + "/api/channels/sms-gateway/vt-gw/status");
        await WaitForStatusAsync(lan, caseId, replyId, "accepted");

        var now = TimeProvider.System.GetUtcNow();
        using (var r = await hub.Client.SendAsync(Receipt("vt-gw", $$"""{"messageId":"{{replyId}}","status":"delivered"}""", now)))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await r.Content.ReadAsStringAsync()).ShouldContain("recorded");
        }

        (await ReplyViewAsync(lan, caseId, replyId)).GetProperty("status").GetString().ShouldBe("delivered");

        // A late "sent" after "delivered", and the same receipt replayed, change nothing.
        using (var late = await hub.Client.SendAsync(Receipt("vt-gw", $$"""{"messageId":"{{replyId}}","status":"sent"}""", now)))
        {
            late.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await late.Content.ReadAsStringAsync()).ShouldContain("unchanged");
        }

        using (var replay = await hub.Client.SendAsync(Receipt("vt-gw", $$"""{"messageId":"{{replyId}}","status":"delivered"}""", now)))
        {
            (await replay.Content.ReadAsStringAsync()).ShouldContain("unchanged");
        }

        (await ReplyViewAsync(lan, caseId, replyId)).GetProperty("status").GetString().ShouldBe("delivered");
        hub.Logs.AllText.ShouldNotContain(Number);
        hub.Logs.AllText.ShouldNotContain("0912345678");
        hub.Logs.AllText.ShouldNotContain("Em có an toàn không");
    }

    [Fact]
    public async Task Gateway_Receipts_InvalidMissingStaleOrForeign_AreRefusedAndChangeNothing()
    {
        var (caseId, lan) = await ClaimedCaseAsync();
        var replyId = await ReplyAsync(lan, caseId, "Em ơi, em có thể gọi 111 bất cứ lúc nào.");
        await WaitForStatusAsync(lan, caseId, replyId, "accepted");
        var now = TimeProvider.System.GetUtcNow();
        var failed = $$"""{"messageId":"{{replyId}}","status":"failed","error":"carrier"}""";

        using (var wrong = await hub.Client.SendAsync(Receipt("vt-gw", failed, now, secret: "not-the-secret")))
        {
            wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using (var missing = await hub.Client.SendAsync(Receipt("vt-gw", failed, now, sign: false)))
        {
            missing.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using (var stale = await hub.Client.SendAsync(Receipt("vt-gw", failed, now, timestamp: now.AddMinutes(-6).ToUnixTimeSeconds())))
        {
            stale.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a replay outside the 5-minute window");
        }

        using (var unknown = await hub.Client.SendAsync(Receipt("vt-gw", """{"messageId":"01JUNKNOWNREPLY0000000000","status":"failed"}""", now)))
        {
            unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        using (var bad = await hub.Client.SendAsync(Receipt("vt-gw", $$"""{"messageId":"{{replyId}}","status":"read-by-child"}""", now)))
        {
            bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await bad.Content.ReadAsStringAsync()).ShouldContain("$.status");
        }

        (await ReplyViewAsync(lan, caseId, replyId)).GetProperty("status").GetString().ShouldBe("accepted", "no refused receipt moved it");
    }

    [Fact]
    public async Task Gateway_429WithRetryAfter_ThenAccepted_AndA400IsFinal()
    {
        var (caseId, lan) = await ClaimedCaseAsync();
        var before = hub.Sms.Received.Count;
        hub.Sms.FailNext(429, retryAfterSeconds: 1);
        hub.Sms.FailNext(503);
        hub.Sms.FailNext(503);
        var replyId = await ReplyAsync(lan, caseId, "Anh chị sẽ gọi lại cho em trong hôm nay.");
        await WaitForStatusAsync(lan, caseId, replyId, "accepted");
        var attempts = hub.Sms.Received.Skip(before).Count(s => s.Text.Contains(replyId, StringComparison.Ordinal));
        attempts.ShouldBe(4, "429 (Retry-After 1 s ends the in-call retries), then 503, 503 and the 2xx");
        (await ReplyViewAsync(lan, caseId, replyId)).GetProperty("attempts").GetInt32().ShouldBe(4);
        hub.Sms.Received.Skip(before).Where(s => s.Provider == "gateway" && JsonDocument.Parse(s.Body).RootElement.GetProperty("text").GetString() == "Anh chị sẽ gọi lại cho em trong hôm nay.")
            .Select(s => JsonDocument.Parse(s.Body).RootElement.GetProperty("messageId").GetString()).Distinct().ShouldBe([replyId], "every retry carries the same idempotency key");

        hub.Sms.FailNext(400, """{"error":"invalid destination +84912345678"}""");
        var refused = await ReplyAsync(lan, caseId, "Tin thứ hai.");
        await WaitForStatusAsync(lan, caseId, refused, "failed");
        var view = await ReplyViewAsync(lan, caseId, refused);
        view.GetProperty("attempts").GetInt32().ShouldBe(1, "a 4xx is not retried");
        view.GetProperty("error").GetString().ShouldBe("HTTP 400", "the provider's words (which can quote the number) are not kept");
    }

    [Fact]
    public async Task Gateway_ThatNeverAnswers2xx_IsGivenUpAfterMaxAttempts()
    {
        var (caseId, lan) = await ClaimedCaseAsync();
        for (var i = 0; i < 4; i++)
        {
            hub.Sms.FailNext(500);
        }

        var replyId = await ReplyAsync(lan, caseId, "Tin không tới được.");
        await WaitForStatusAsync(lan, caseId, replyId, "failed");
        var view = await ReplyViewAsync(lan, caseId, replyId);
        view.GetProperty("attempts").GetInt32().ShouldBe(4);
        view.GetProperty("error").GetString()!.ShouldStartWith("gave up after 4 attempts");
    }

    [Fact]
    public async Task Twilio_ReplyThroughMessagesApi_AndItsSignedStatusCallback()
    {
        var (caseId, lan) = await ClaimedCaseAsync("hn-sms");
        var replyId = await ReplyAsync(lan, caseId, "Chào em, đây là 111.");
        var sent = (await hub.Sms.WaitForAsync(s => s.Provider == "twilio" && s.Headers.TryGetValue("I-Twilio-Idempotency-Token", out var t) && t == replyId, TimeSpan.FromSeconds(60))).ShouldNotBeNull();
        sent.Path.ShouldBe($"/2010-04-01/Accounts/{TestSecrets.TwilioAccountSid}/Messages.json");
        sent.Headers["Authorization"].ShouldBe("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSecrets.TwilioAccountSid}:{TestSecrets.TwilioAuthToken}")));
        sent.Headers["I-Twilio-Idempotency-Token"].ShouldBe(replyId);
        sent.Form["To"].ShouldBe(Number);
        sent.Form["From"].ShouldBe("+842873001111", "from the number the reporter wrote to");
        sent.Form["Body"].ShouldBe("Chào em, đây là 111.");
        var callback = sent.Form["StatusCallback"];
        callback.ShouldBe($"{HubFixture.PublicBaseUrl}/api/channels/twilio-sms/hn-sms/status?reply={replyId}");
        await WaitForStatusAsync(lan, caseId, replyId, "accepted");

        HttpRequestMessage Status(string status, string? signature = null, string messageSid = "SMabc")
        {
            List<KeyValuePair<string, string>> form = [new("MessageSid", messageSid), new("MessageStatus", status), new("AccountSid", TestSecrets.TwilioAccountSid)];
            var request = new HttpRequestMessage(HttpMethod.Post, callback[HubFixture.PublicBaseUrl.Length..]) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", signature ?? TwilioSignature.Compute(TestSecrets.TwilioAuthToken, callback, form));
            return request;
        }

        using (var forged = await hub.Client.SendAsync(Status("delivered", signature: "bm90LXRoZS1zaWduYXR1cmU=")))
        {
            forged.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        var missing = Status("delivered");
        missing.Headers.Remove("X-Twilio-Signature");
        using (var r = await hub.Client.SendAsync(missing))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        (await ReplyViewAsync(lan, caseId, replyId)).GetProperty("status").GetString().ShouldBe("accepted");
        using (var delivered = await hub.Client.SendAsync(Status("delivered", messageSid: await StoredSidAsync(replyId))))
        {
            delivered.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await ReplyViewAsync(lan, caseId, replyId)).GetProperty("status").GetString().ShouldBe("delivered");
        using (var otherSid = await hub.Client.SendAsync(Status("failed", messageSid: "SMsomeoneelse")))
        {
            (await otherSid.Content.ReadAsStringAsync()).ShouldContain("unchanged", Case.Insensitive, "a callback for another message does not move this reply");
        }

        hub.Logs.AllText.ShouldNotContain(Number);
        hub.Logs.AllText.ShouldNotContain("đây là 111");
    }

    private async Task<string> StoredSidAsync(string replyId)
    {
        var source = await hub.Services.GetRequiredService<Hub.Functions.Cases.Database.CaseDatabase>().GetAsync(CancellationToken.None);
        await using var cmd = source.CreateCommand("SELECT provider_message_id FROM sms_replies WHERE id = @id");
        cmd.Parameters.AddWithValue("id", replyId);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Reply_RefusedWhenNotOwner_OptedOut_TooLong_OrNotAnSmsCase_AndNothingIsWritten()
    {
        var (caseId, lan) = await ClaimedCaseAsync();
        var binh = await hub.SignInAsync("binh");
        (await ReplyAsync(binh, caseId, "Tôi không giữ hồ sơ này.", HttpStatusCode.Forbidden)).ShouldContain("only the case's owner", Case.Insensitive);
        (await ReplyAsync(lan, caseId, new string('ạ', 400), HttpStatusCode.BadRequest)).ShouldContain("segments");
        (await ReplyAsync(lan, caseId, "   ", HttpStatusCode.BadRequest)).ShouldContain("segments");

        await hub.Services.GetRequiredService<OptOuts>().RecordAsync(Number, "vt-gw", optOut: true, CancellationToken.None);
        try
        {
            (await ReplyAsync(lan, caseId, "Sau khi STOP.", HttpStatusCode.Conflict)).ShouldContain("opted-out");
        }
        finally
        {
            await hub.Services.GetRequiredService<OptOuts>().RecordAsync(Number, "vt-gw", optOut: false, CancellationToken.None);
        }

        using var view = await lan.GetAsync(ConsoleCalls.Api + $"/cases/{caseId}");
        JsonDocument.Parse(await view.Content.ReadAsStringAsync()).RootElement.GetProperty("sms").GetProperty("replies").GetArrayLength().ShouldBe(0, "no refused reply was stored");

        var chat = await hub.CaseAsync("01", e => e with { Channel = ReportChannels.Messenger, ChannelInstance = "fb" });
        using var claim = await lan.PostAsync($"/cases/{chat}/claim", null, "*");
        (await ReplyAsync(lan, chat, "Không phải SMS.", HttpStatusCode.Conflict)).ShouldContain("no-sms-contact");
    }
}
