using Hub.Core.Cases;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Hub.Core.Signatures;
using Hub.Core.Text;
using Hub.Functions.Cases;
using Hub.Functions.Channels;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Channels.TwilioSms;

public sealed class TwilioSmsTests(HubFixture hub) : IClassFixture<HubFixture>
{
    public static TheoryData<string, Func<string, HttpRequestMessage>, HttpStatusCode> RejectedCases => new()
    {
        {
            "bad signature",
            sid => ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hello"), signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            HttpStatusCode.Forbidden
        },
        {
            "signed with another token",
            sid => ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hello"), token: "not-the-token"),
            HttpStatusCode.Forbidden
        },
        {
            "missing signature",
            sid => ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hello"), signature: string.Empty),
            HttpStatusCode.Unauthorized
        },
        {
            "body tampered after signing",
            sid =>
            {
                var signed = ProviderRequests.TwilioSms(sid, "hello");
                var sig = TwilioSignature.Compute(TestSecrets.TwilioAuthToken, HubFixture.PublicBaseUrl + "/api/channels/twilio-sms/hn-sms", signed);
                var tampered = signed.Select(p => p.Key == "Body" ? new KeyValuePair<string, string>("Body", "hellO") : p);
                return ProviderRequests.Twilio("hn-sms", tampered, signature: sig);
            },
            HttpStatusCode.Forbidden
        },
        {
            "signed for another URL",
            sid => ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hello"), signedUrl: "https://evil.example/api/channels/twilio-sms/hn-sms"),
            HttpStatusCode.Forbidden
        },
        {
            "unknown instance",
            sid => ProviderRequests.Twilio("nowhere", ProviderRequests.TwilioSms(sid, "hello")),
            HttpStatusCode.NotFound
        },
        {
            "instance of another channel type",
            sid => ProviderRequests.Twilio("vt-gw", ProviderRequests.TwilioSms(sid, "hello")),
            HttpStatusCode.NotFound
        },
        {
            "signed but MessageSid and From missing",
            _ => ProviderRequests.Twilio("hn-sms", [new("Body", "hello"), new("To", "+842873001111")]),
            HttpStatusCode.BadRequest
        },
        {
            "NumMedia announces media that is not there",
            sid => ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hi").Select(p => p.Key == "NumMedia" ? new KeyValuePair<string, string>("NumMedia", "2") : p)),
            HttpStatusCode.BadRequest
        },
        {
            "NumMedia not a number",
            sid => ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hi").Select(p => p.Key == "NumMedia" ? new KeyValuePair<string, string>("NumMedia", "-1") : p)),
            HttpStatusCode.BadRequest
        },
        {
            "JSON instead of a form",
            _ => new HttpRequestMessage(HttpMethod.Post, "/api/channels/twilio-sms/hn-sms") { Content = new StringContent("{\"MessageSid\":\"SM1\"}", Encoding.UTF8, "application/json") },
            HttpStatusCode.UnsupportedMediaType
        },
        {
            "body over the size cap",
            sid => ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, new string('x', 70_000))),
            HttpStatusCode.RequestEntityTooLarge
        },
    };

    [Theory]
    [MemberData(nameof(RejectedCases))]
    public async Task Webhook_RejectedRequest_GetsClear4xxAndWritesNothing(string label, Func<string, HttpRequestMessage> build, HttpStatusCode expected)
    {
        var sid = ProviderRequests.NewSid();
        var rawBefore = await hub.CountBlobsAsync(HubStorage.RawContainer, "hn-sms/");
        var queuedBefore = (await hub.PeekReportsAsync()).Count;

        using var response = await hub.Client.SendAsync(build(sid));

        response.StatusCode.ShouldBe(expected, label);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", label);
        var body = await response.Content.ReadAsStringAsync();
        body.ShouldNotContain(TestSecrets.TwilioAuthToken);
        (await hub.CountBlobsAsync(HubStorage.RawContainer, "hn-sms/")).ShouldBe(rawBefore, label);
        (await hub.Storage.Table(Hub.Functions.Intake.IntakeService.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("hn-sms", sid)).HasValue.ShouldBeFalse(label);
        (await hub.PeekReportsAsync()).Count.ShouldBeLessThanOrEqualTo(queuedBefore, label);
    }

    [Fact]
    public async Task Webhook_ValidSms_RepliesTwimlWithCodeAndStoresOneValidCase()
    {
        var sid = ProviderRequests.NewSid();
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "Có người dọa tung ảnh nóng của em")));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/xml");
        var message = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Message")!.Value;
        message.ShouldContain("Mã báo cáo:");
        SmsText.Segments(message).ShouldBe(1);

        var stored = await hub.WaitForCaseAsync("hn-sms", sid);
        stored.ShouldNotBeNull();
        var envelope = stored.Envelope;
        SchemaValidator.Errors(envelope).ShouldBeEmpty();
        using var doc = JsonDocument.Parse(envelope);
        var root = doc.RootElement;
        message.ShouldContain(root.GetProperty("referenceCode").GetString()!);
        root.GetProperty("channel").GetString().ShouldBe("sms");
        root.GetProperty("incident").GetProperty("description").GetString().ShouldBe("Có người dọa tung ảnh nóng của em");
        root.GetProperty("signals").GetProperty("urgency").GetString().ShouldBe("high");
        root.GetProperty("location").GetProperty("provinceCode").GetString().ShouldBe("01");
        root.GetProperty("source").GetProperty("providerMessageId").GetString().ShouldBe(sid);
        stored.Status.ShouldBe(CaseStatus.New);
    }

    [Fact]
    public async Task Webhook_PortVariantOfPublicUrl_IsAccepted()
    {
        // Twilio sometimes signs https://host:443/...; the configured URL has no port (docs/protocols/twilio.md#signature, ports).
        var sid = ProviderRequests.NewSid();
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "port"), signedUrl: "https://hub.example.vn:443/api/channels/twilio-sms/hn-sms"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Webhook_NfdBody_IsStoredAsNfc()
    {
        var sid = ProviderRequests.NewSid();
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "To\u0302i bi\u0323 do\u0323a")));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var stored = await hub.WaitForCaseAsync("hn-sms", sid);
        using var doc = JsonDocument.Parse(stored!.Envelope);
        doc.RootElement.GetProperty("incident").GetProperty("description").GetString().ShouldBe("Tôi bị dọa");
    }

    [Fact]
    public async Task Webhook_SameMessageSidThreeTimes_ThreeOksOneReport()
    {
        var sid = ProviderRequests.NewSid();
        var rawBefore = await hub.CountBlobsAsync(HubStorage.RawContainer, "hn-sms/");
        var replies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "em bị bắt nạt")));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            replies.Add(await response.Content.ReadAsStringAsync());
        }

        replies.Distinct().Count().ShouldBe(1, "a retried delivery gets the same reference code");
        (await hub.CountBlobsAsync(HubStorage.RawContainer, "hn-sms/")).ShouldBe(rawBefore + 1);
        (await hub.WaitForCaseAsync("hn-sms", sid)).ShouldNotBeNull();
        (await hub.Cases.ListRecentAsync(int.MaxValue, CancellationToken.None)).Count(c => c.ChannelInstance == "hn-sms" && c.ProviderMessageId == sid).ShouldBe(1);
    }

    [Fact]
    public async Task Webhook_ConcurrentDuplicateDeliveries_OneCase()
    {
        var sid = ProviderRequests.NewSid();
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "cùng lúc")))));
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        var codes = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        codes.Distinct().Count().ShouldBe(1, "the reference code is derived from (instance, MessageSid)");
        (await hub.WaitForCaseAsync("hn-sms", sid)).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("STOP", "")]
    [InlineData("stop", "")]
    [InlineData("HỦY", "")]
    [InlineData("HELP", SmsKeywords.HelpText)]
    [InlineData("trợ giúp", SmsKeywords.HelpText)]
    public async Task Webhook_Keyword_IsAnsweredNotReported(string body, string expectedReply)
    {
        var sid = ProviderRequests.NewSid();
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, body)));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        (xml.Root!.Element("Message")?.Value ?? string.Empty).ShouldBe(expectedReply);
        (await hub.Storage.Table(Hub.Functions.Intake.IntakeService.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("hn-sms", sid)).HasValue.ShouldBeFalse();
    }

    [Fact]
    public async Task Webhook_PleaForHelpInWords_IsAReportNotAKeyword()
    {
        var sid = ProviderRequests.NewSid();
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "giúp em với")));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hub.WaitForCaseAsync("hn-sms", sid)).ShouldNotBeNull();
    }

    [Fact]
    public async Task Webhook_StopThenStart_RecordsAndClearsOptOut()
    {
        await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(ProviderRequests.NewSid(), "STOP", from: "+84900000777")));
        var privacy = hub.Services.GetRequiredService<Hub.Functions.Privacy.PrivacyServices>();
        var pseudonym = privacy.Pseudonymizer.For("msisdn", "+84900000777");
        (await hub.Storage.Table(Hub.Functions.Channels.OptOuts.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("hn-sms", pseudonym)).HasValue.ShouldBeTrue();
        await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(ProviderRequests.NewSid(), "START", from: "+84900000777")));
        (await hub.Storage.Table(Hub.Functions.Channels.OptOuts.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("hn-sms", pseudonym)).HasValue.ShouldBeFalse();
    }

    [Fact]
    public void Replies_DefaultTemplates_FitOneSegment()
    {
        var options = new ChannelOptions();
        SmsText.Segments(SmsReplies.For(options, "WWWW-WWWW", "normal")).ShouldBe(1);
        SmsText.Segments(SmsReplies.For(options, "WWWW-WWWW", "immediate")).ShouldBe(1);
        SmsText.Segments(SmsKeywords.HelpText).ShouldBe(1);
    }

    [Fact]
    public async Task Webhook_ImmediateDanger_GetsTheUrgentReply()
    {
        var sid = ProviderRequests.NewSid();
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "em muốn tự tử")));
        var message = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Message")!.Value;
        message.ShouldContain("111");
        message.ShouldContain("113");
        var stored = await hub.WaitForCaseAsync("hn-sms", sid);
        stored!.Urgency.ShouldBe("immediate");
    }
}
