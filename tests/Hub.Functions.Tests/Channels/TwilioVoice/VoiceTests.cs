using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hub.Core.Signatures;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Hub.Functions.Tests.Channels.TwilioVoice;

/// <summary>A hub with a 111 line (<c>hn-111</c>), a line that is never open (<c>night-111</c>) and a fake Twilio API for recordings.</summary>
public sealed class VoiceFixture : HubFixture
{
    public static readonly byte[] Mp3 = [0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6];
    private WebApplication? _twilio;

    public ConcurrentQueue<string> TwilioRequests { get; } = new();

    public string TwilioBase { get; private set; } = string.Empty;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Hub:Channels:hn-111:Type"] = "twilio-voice",
        ["Hub:Channels:hn-111:AccountSid"] = TestSecrets.TwilioAccountSid,
        ["Hub:Channels:hn-111:AuthToken"] = TestSecrets.TwilioAuthToken,
        ["Hub:Channels:hn-111:Province"] = "01",
        ["Hub:Channels:hn-111:MediaHosts:0"] = "127.0.0.1",
        ["Hub:Channels:hn-111:AllowPrivateMediaHosts"] = "true",
        ["Hub:Channels:hn-111:Voice:DeleteRecordingAfterCopy"] = "true",
        ["Hub:Channels:hn-111:Voice:TwilioApiBaseUrl"] = TwilioBase,
        ["Hub:Channels:hn-111:Voice:MaxQueueWaitSeconds"] = "120",
        ["Hub:Channels:night-111:Type"] = "twilio-voice",
        ["Hub:Channels:night-111:AuthToken"] = TestSecrets.TwilioAuthToken,
        ["Hub:Channels:night-111:Voice:OpenFrom"] = "03:00",
        ["Hub:Channels:night-111:Voice:OpenUntil"] = "03:00",
    };

    public override async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _twilio = builder.Build();
        var auth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSecrets.TwilioAccountSid}:{TestSecrets.TwilioAuthToken}"));
        _twilio.MapGet("/2010-04-01/Accounts/{account}/Recordings/{file}", (HttpContext ctx, string file) =>
        {
            TwilioRequests.Enqueue($"GET {file} auth={(ctx.Request.Headers.Authorization == auth ? "ok" : "missing")}");
            return ctx.Request.Headers.Authorization == auth ? Results.Bytes(Mp3, "audio/mpeg") : Results.Unauthorized();
        });
        _twilio.MapDelete("/2010-04-01/Accounts/{account}/Recordings/{file}", (HttpContext ctx, string file) =>
        {
            TwilioRequests.Enqueue($"DELETE {file} auth={(ctx.Request.Headers.Authorization == auth ? "ok" : "missing")}");
            return Results.NoContent();
        });
        await _twilio.StartAsync();
        TwilioBase = _twilio.Urls.First();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_twilio is not null)
        {
            await _twilio.DisposeAsync();
        }
    }
}

/// <summary>
/// Table-driven 111 call flows through the real endpoints with signed Twilio Voice payloads: the TwiML each
/// step answers and the one case the call leaves, whatever the order or repetition of callbacks.
/// </summary>
public sealed class VoiceTests(VoiceFixture hub) : IClassFixture<VoiceFixture>
{
    private const string Caller = "+84912345678";

    /// <summary>One step of a call: the action, extra form fields, and what the TwiML answer must contain.</summary>
    public sealed record CallStep(string Action, string Fields = "", string? Query = null, string? Expect = null, HttpStatusCode Status = HttpStatusCode.OK);

    public static TheoryData<string, CallStep[], string, string[], bool> Flows => new()
    {
        {
            "answered by an operator",
            [new("incoming", Expect: "<Gather input=\"dtmf\""), new("menu", "Digits=1", "attempt=1", "<Enqueue"), new("queue-result", "QueueResult=bridged&QueueTime=12", Expect: "<Hangup"), new("status", "CallStatus=completed&CallDuration=300", Status: HttpStatusCode.NoContent)],
            "normal", ["đã nối máy với tư vấn viên", "thời lượng 300 giây"], false
        },
        {
            "hang-up in the queue",
            [new("incoming"), new("menu", "Digits=1", "attempt=1"), new("queue-result", "QueueResult=hangup&QueueTime=40"), new("status", "CallStatus=completed&CallDuration=55", Status: HttpStatusCode.NoContent)],
            "high", ["gác máy khi đang chờ (40 giây)", "CUỘC GỌI NHỠ"], true
        },
        {
            "no input twice goes to a counsellor",
            [new("incoming"), new("menu", "", "attempt=1", "attempt=2"), new("menu", "", "attempt=2", "<Enqueue waitUrl="), new("queue-result", "QueueResult=bridged&QueueTime=3"), new("status", "CallStatus=completed", Status: HttpStatusCode.NoContent)],
            "normal", ["người gọi chọn gặp tư vấn viên"], false
        },
        {
            "immediate danger",
            [new("incoming"), new("menu", "Digits=9", "attempt=1", ">tu-van-khan-cap</Enqueue>"), new("queue-result", "QueueResult=bridged&QueueTime=2")],
            "immediate", ["người gọi bấm phím nguy hiểm"], false
        },
        {
            "callbacks out of order and repeated",
            [new("incoming"), new("status", "CallStatus=completed&CallDuration=20", Status: HttpStatusCode.NoContent), new("menu", "Digits=1", "attempt=1"), new("status", "CallStatus=completed&CallDuration=20", Status: HttpStatusCode.NoContent), new("queue-result", "QueueResult=hangup&QueueTime=9"), new("status", "CallStatus=ringing", Status: HttpStatusCode.NoContent), new("queue-result", "QueueResult=hangup&QueueTime=9")],
            "high", ["CUỘC GỌI NHỠ", "thời lượng 20 giây"], true
        },
    };

    [Theory]
    [MemberData(nameof(Flows))]
    public async Task Call_Flows_LeaveExactlyOneCaseWithTheWholeCall(string label, CallStep[] steps, string urgency, string[] described, bool missed)
    {
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        var revision = 0;
        foreach (var step in steps)
        {
            using var response = await hub.Client.SendAsync(Voice("hn-111", step.Action, callSid, step.Fields, step.Query));
            response.StatusCode.ShouldBe(step.Status, $"{label}: {step.Action}");
            var body = await response.Content.ReadAsStringAsync();
            if (step.Expect is not null)
            {
                body.ShouldContain(step.Expect, Case.Sensitive, $"{label}: {step.Action}");
            }
        }

        var row = await hub.Storage.Table(Hub.Functions.Channels.TwilioVoice.CallStore.TableName).GetEntityAsync<TableEntity>("hn-111", callSid);
        revision = row.Value.GetInt32("Revision")!.Value;
        var envelope = await WaitForRevisionAsync("hn-111", callSid, revision);
        var e = envelope.RootElement;
        SchemaValidator.Errors(e.GetRawText()).ShouldBeEmpty(label);
        e.GetProperty("channel").GetString().ShouldBe("voice-111");
        e.GetProperty("signals").GetProperty("urgency").GetString().ShouldBe(urgency, label);
        foreach (var words in described)
        {
            e.GetProperty("incident").GetProperty("description").GetString()!.ShouldContain(words, Case.Sensitive, label);
        }

        e.GetProperty("signals").GetProperty("reasons").EnumerateArray().Any(r => r.GetString() == "call:missed").ShouldBe(missed, label);
        e.GetProperty("reporter").GetProperty("contactRef").GetString().ShouldStartWith("v1."); // the number, encrypted, for call-back
        e.GetRawText().ShouldNotContain("912345678");
        e.GetProperty("referenceCode").GetString().ShouldBe(hub.Services.GetRequiredService<Hub.Functions.Privacy.PrivacyServices>().Pseudonymizer.ReferenceCodeFor($"hn-111|{callSid}"));

        // One case for the call, however many callbacks.
        (await hub.Cases.ListRecentAsync(int.MaxValue, CancellationToken.None)).Count(c => c.ChannelInstance == "hn-111" && c.ProviderMessageId == callSid).ShouldBe(1);
        hub.Logs.AllText.ShouldNotContain("912345678"); // the caller's number never reaches a log
    }

    [Fact]
    public async Task Incoming_CallsTableDeleted_RecreatedAndTheCallAnswered()
    {
        // Found by the load benchmark: a lost or deleted calls table made every call a 500 until a restart.
        await hub.Storage.Table(Hub.Functions.Channels.TwilioVoice.CallStore.TableName).DeleteAsync();
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        using var r = await hub.Client.SendAsync(Voice("hn-111", "incoming", callSid));
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hub.Storage.Table(Hub.Functions.Channels.TwilioVoice.CallStore.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("hn-111", callSid)).HasValue.ShouldBeTrue();
    }

    [Fact]
    public async Task VoiceReport_RecordingIsDownloadedWithBasicAuthHashedAndDeletedAtTwilio()
    {
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        var recordingSid = "RE" + Guid.NewGuid().ToString("N");
        (await Send("incoming", callSid)).ShouldContain("<Gather");
        var record = await Send("menu", callSid, "Digits=2", "attempt=1");
        record.ShouldContain("<Record action=\"https://hub.example.vn/api/channels/twilio-voice/hn-111/record-done\"");
        record.ShouldContain("recordingStatusCallback=\"https://hub.example.vn/api/channels/twilio-voice/hn-111/recording\"");
        var url = $"{hub.TwilioBase}/2010-04-01/Accounts/{TestSecrets.TwilioAccountSid}/Recordings/{recordingSid}";
        (await Send("record-done", callSid, $"RecordingUrl={Uri.EscapeDataString(url)}&RecordingDuration=14&Digits=%23")).ShouldContain("<Hangup />");
        using (var r = await hub.Client.SendAsync(Voice("hn-111", "recording", callSid, $"RecordingSid={recordingSid}&RecordingUrl={Uri.EscapeDataString(url)}&RecordingStatus=completed&RecordingDuration=14")))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        using (var again = await hub.Client.SendAsync(Voice("hn-111", "recording", callSid, $"RecordingSid={recordingSid}&RecordingUrl={Uri.EscapeDataString(url)}&RecordingStatus=completed&RecordingDuration=14")))
        {
            again.StatusCode.ShouldBe(HttpStatusCode.NoContent); // Twilio repeated the callback
        }

        await Send("status", callSid, "CallStatus=completed&CallDuration=70");
        var envelope = await WaitForRevisionAsync("hn-111", callSid, 4);
        var audio = envelope.RootElement.GetProperty("evidence").EnumerateArray().Single(x => x.GetProperty("kind").GetString() == "audio");
        audio.GetProperty("sha256").GetString().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(VoiceFixture.Mp3)));
        audio.GetProperty("size").GetInt64().ShouldBe(VoiceFixture.Mp3.Length);
        envelope.RootElement.GetProperty("signals").GetProperty("reasons").EnumerateArray().Select(x => x.GetString()).ShouldContain("call:voice-message");
        envelope.RootElement.GetProperty("signals").GetProperty("urgency").GetString().ShouldBe("normal"); // a message was left: not a missed call
        hub.TwilioRequests.Count(r => r == $"GET {recordingSid}.mp3 auth=ok").ShouldBe(1); // downloaded once
        hub.TwilioRequests.ShouldContain($"DELETE {recordingSid}.json auth=ok");
    }

    [Fact]
    public async Task Recording_OnAHostThatIsNotTwilios_IsRefusedButTheReportKeepsTheError()
    {
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        var recordingSid = "RE" + Guid.NewGuid().ToString("N"); // unique: another test's recording must not look like this one
        await Send("incoming", callSid);
        using (var r = await hub.Client.SendAsync(Voice("hn-111", "recording", callSid, $"RecordingSid={recordingSid}&RecordingUrl=https%3A%2F%2Fevil.example.com%2Frec&RecordingStatus=completed")))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        var envelope = await WaitForRevisionAsync("hn-111", callSid, 2);
        var audio = envelope.RootElement.GetProperty("evidence").EnumerateArray().Single();
        audio.GetProperty("error").GetString()!.ShouldContain("not allowed");
        hub.TwilioRequests.ShouldNotContain(x => x.Contains(recordingSid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AfterHours_GoesToVoicemail()
    {
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        using var r = await hub.Client.SendAsync(Voice("night-111", "incoming", callSid));
        var twiml = await r.Content.ReadAsStringAsync();
        twiml.ShouldContain("ngoài giờ làm việc");
        twiml.ShouldContain("<Record action=");
        twiml.ShouldNotContain("<Gather");
        using var status = await hub.Client.SendAsync(Voice("night-111", "status", callSid, "CallStatus=completed&CallDuration=8"));
        var e = (await WaitForRevisionAsync("night-111", callSid, 2)).RootElement;
        e.GetProperty("signals").GetProperty("reasons").EnumerateArray().Select(x => x.GetString()).ShouldBe(["call:missed", "call:after-hours"], ignoreOrder: true);
    }

    [Fact]
    public async Task Incoming_TwimlIsExactlyTheGreetingAndMenu()
    {
        var twiml = await Send("incoming", "CA" + Guid.NewGuid().ToString("N"));
        const string Url = "https://hub.example.vn/api/channels/twilio-voice/hn-111/menu?attempt=1";
        const string Voice = "voice=\"Google.vi-VN-Wavenet-A\" language=\"vi-VN\"";
        twiml.ShouldBe(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Response>"
            + $"<Say {Voice}>Tổng đài quốc gia bảo vệ trẻ em 111 xin chào. Cuộc gọi của bạn được giữ bí mật.</Say>"
            + $"<Gather input=\"dtmf\" action=\"{Url}\" method=\"POST\" numDigits=\"1\" timeout=\"6\">"
            + $"<Say {Voice}>Nếu bạn hoặc ai đó đang gặp nguy hiểm ngay lúc này, bấm phím 9. Để nói chuyện với tư vấn viên, bấm phím 1. Để để lại lời nhắn, bấm phím 2.</Say></Gather>"
            + $"<Redirect method=\"POST\">{Url}</Redirect></Response>");
    }

    [Theory]
    [InlineData(0, "<Say voice=\"Google.vi-VN-Wavenet-A\" language=\"vi-VN\">Tư vấn viên sẽ nghe máy ngay khi có thể. Xin bạn giữ máy.</Say><Pause length=\"15\" />")]
    [InlineData(119, "<Pause length=\"15\" />")]
    [InlineData(120, "<Response><Leave /></Response>")]
    public async Task Hold_LeavesTheQueueAfterTheMaximumWait(int queueTime, string expected) =>
        (await Send("hold", "CA" + Guid.NewGuid().ToString("N"), $"QueueTime={queueTime}&QueuePosition=3")).ShouldContain(expected);

    [Fact]
    public async Task QueueLeave_OffersAVoiceMessage() =>
        (await Send("queue-result", "CA" + Guid.NewGuid().ToString("N"), "QueueResult=leave&QueueTime=120")).ShouldContain("Hiện chưa có tư vấn viên rảnh");

    [Theory]
    [InlineData("incoming", "", HttpStatusCode.BadRequest)] // no CallSid
    [InlineData("nonsense", "CallSid=CA1", HttpStatusCode.NotFound)]
    [InlineData("recording", "CallSid=CA2&RecordingSid=RE2&RecordingUrl=not-a-url", HttpStatusCode.BadRequest)]
    public async Task MalformedRequests_Get4xxNot500(string action, string fields, HttpStatusCode expected)
    {
        var form = Form(fields);
        var path = $"/api/channels/twilio-voice/hn-111/{action}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(TestSecrets.TwilioAuthToken, HubFixture.PublicBaseUrl + path, form));
        using var r = await hub.Client.SendAsync(request);
        r.StatusCode.ShouldBe(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bm90LXRoZS1zaWduYXR1cmU=")]
    public async Task UnsignedOrWronglySigned_IsRefusedAndNothingIsStored(string signature)
    {
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        using var r = await hub.Client.SendAsync(Voice("hn-111", "incoming", callSid, signature: signature));
        r.StatusCode.ShouldBe(signature.Length == 0 ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden);
        (await hub.Storage.Table(Hub.Functions.Channels.TwilioVoice.CallStore.TableName).GetEntityIfExistsAsync<TableEntity>("hn-111", callSid)).HasValue.ShouldBeFalse();
    }

    private async Task<string> Send(string action, string callSid, string fields = "", string? query = null)
    {
        using var r = await hub.Client.SendAsync(Voice("hn-111", action, callSid, fields, query));
        r.IsSuccessStatusCode.ShouldBeTrue($"{action} answered {(int)r.StatusCode}");
        return await r.Content.ReadAsStringAsync();
    }

    private async Task<JsonDocument> WaitForRevisionAsync(string instance, string callSid, int revision)
    {
        var deadline = DateTimeOffsetClock.Elapsed(TimeSpan.FromSeconds(20));
        while (true)
        {
            var c = await hub.WaitForCaseAsync(instance, callSid);
            if (c is not null && c.Revision >= revision)
            {
                return JsonDocument.Parse(c.Envelope);
            }

            deadline.IsExpired.ShouldBeFalse($"revision {revision} of {callSid} never reached its case");
            await Task.Delay(50);
        }
    }

    private static List<KeyValuePair<string, string>> Form(string fields) =>
        fields.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], Uri.UnescapeDataString(p.Length > 1 ? p[1] : string.Empty))).ToList();

    /// <summary>A Twilio Voice callback as Twilio sends it (docs/protocols/twilio.md#voice fields), signed over the public URL.</summary>
    private static HttpRequestMessage Voice(string instance, string action, string callSid, string fields = "", string? query = null, string? signature = null)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", TestSecrets.TwilioAccountSid), new("ApiVersion", "2010-04-01"), new("CallSid", callSid),
            new("CallStatus", "in-progress"), new("Called", "+842873000111"), new("Caller", Caller), new("Direction", "inbound"),
            new("From", Caller), new("FromCountry", "VN"), new("To", "+842873000111"), new("ToCountry", "VN"),
        };
        foreach (var (k, v) in Form(fields))
        {
            form.RemoveAll(p => p.Key == k);
            form.Add(new(k, v));
        }

        var path = $"/api/channels/twilio-voice/{instance}/{action}" + (query is null ? string.Empty : "?" + query);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        signature ??= TwilioSignature.Compute(TestSecrets.TwilioAuthToken, HubFixture.PublicBaseUrl + path, form);
        if (signature.Length > 0)
        {
            request.Headers.Add("X-Twilio-Signature", signature);
        }

        return request;
    }
}
