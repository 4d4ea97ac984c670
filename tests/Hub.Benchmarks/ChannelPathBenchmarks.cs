using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Hub.Bots.Messenger;
using Hub.Bots.Zalo;
using Hub.Core.Privacy;
using Hub.Core.Signatures;
using Hub.Core.Taxonomy;
using Hub.Core.Text;
using Hub.Functions.Chat;
using Hub.Functions.Channels;
using Hub.Functions.Channels.SmsGateway;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Privacy;

namespace Hub.Benchmarks;

/// <summary>
/// Each channel's CPU work for one webhook before its first storage call, as its handler does it (the same
/// functions, in the same order): verify the signature, parse, normalise, and for chat the sealing (AES-GCM)
/// and pseudonymising of the turn. Real payload shapes from docs/protocols, Vietnamese text in NFD as phones send it.
/// Storage is measured by the load run (<c>all</c>).
/// </summary>
[MemoryDiagnoser]
public class ChannelPathBenchmarks
{
    private const string Secret = "bench-secret-0123456789abcdef";
    private const string SmsUrl = "https://hub.example.vn/api/channels/twilio-sms/hn-sms";
    private const string VoiceUrl = "https://hub.example.vn/api/channels/twilio-voice/hn-111/incoming";
    private const string ZaloAppId = "360846524940903967";
    private const string Nfd = "Co\u0301 ngu\u031Bo\u031Bi do\u0323a tung a\u0309nh cu\u0309a em le\u0302n ma\u0323ng, em o\u031B\u0309 Qua\u0309ng Nam";

    private readonly DateTimeOffset _now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private byte[] _sms = [], _voice = [], _gateway = [], _messenger = [], _zalo = [];
    private string _smsSig = "", _voiceSig = "", _gatewaySig = "", _gatewayTs = "", _messengerSig = "", _zaloSig = "";
    private BotInbox _inbox = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Twilio SMS: the courier "receiveValid" payload re-addressed to Vietnam (19 fields).
        var sms = new List<KeyValuePair<string, string>>
        {
            new("ToCountry", "VN"), new("ToState", ""), new("SmsMessageSid", "SMe287d7109a5a925f182f0e07fe5b223b"), new("NumMedia", "0"),
            new("ToCity", ""), new("FromZip", ""), new("SmsSid", "SMe287d7109a5a925f182f0e07fe5b223b"), new("FromState", ""),
            new("SmsStatus", "received"), new("FromCity", ""), new("Body", Nfd), new("FromCountry", "VN"), new("To", "+842873001111"),
            new("ToZip", ""), new("NumSegments", "1"), new("MessageSid", "SMe287d7109a5a925f182f0e07fe5b223b"),
            new("AccountSid", "AC0123456789abcdef0123456789abcdef"), new("From", "+84912345678"), new("ApiVersion", "2010-04-01"),
        };
        (_sms, _smsSig) = (Form(sms), TwilioSignature.Compute(Secret, SmsUrl, sms));

        // Twilio Voice: an incoming call to 111 (docs/protocols/twilio.md#voice fields).
        var voice = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", "AC0123456789abcdef0123456789abcdef"), new("ApiVersion", "2010-04-01"), new("CallSid", "CA5f6e7d8c9b0a1f2e3d4c5b6a7980f1e2"),
            new("CallStatus", "ringing"), new("Called", "+842873000111"), new("Caller", "+84912345678"), new("Direction", "inbound"),
            new("From", "+84912345678"), new("FromCountry", "VN"), new("To", "+842873000111"), new("ToCountry", "VN"),
        };
        (_voice, _voiceSig) = (Form(voice), TwilioSignature.Compute(Secret, VoiceUrl, voice));

        _gateway = Encoding.UTF8.GetBytes($$"""{"messageId":"vt-8f14e45fceea167a5a36dedd4bea2543","from":"0912345678","to":"111","text":"{{Nfd}}","carrier":"viettel","receivedAt":"2026-11-22T15:00:00+07:00"}""");
        _gatewayTs = _now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        _gatewaySig = HubSignature.Compute(Secret, _gatewayTs, _gateway);

        // Messenger: one text message event (docs/protocols/messenger.md#payload shape; Meta escapes non-ASCII as \uXXXX).
        _messenger = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            @object = "page",
            entry = new[] { new { id = "1234567890", time = 1_763_800_000_000, messaging = new[] { new { sender = new { id = "6789012345678901" }, recipient = new { id = "1234567890" }, timestamp = 1_763_800_000_000, message = new { mid = "m_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", text = Nfd } } } } },
        }));
        _messengerSig = MetaSignature.Compute(Secret, _messenger);

        // Zalo: user_send_text as in Zalo's documented example.
        var ts = _now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        _zalo = Encoding.UTF8.GetBytes($$"""{"app_id":"{{ZaloAppId}}","sender":{"id":"246845883529197922"},"user_id_by_app":"552177279717587730","recipient":{"id":"388613280878808645"},"event_name":"user_send_text","message":{"text":"{{Nfd}}","msg_id":"96d3cdf3af150460909"},"timestamp":"{{ts}}"}""");
        _zaloSig = ZaloSignature.Compute(ZaloAppId, _zalo, ts, Secret);

        var privacy = new PrivacyServices(Microsoft.Extensions.Options.Options.Create(new PrivacyOptions
        {
            PseudonymKey = Convert.ToBase64String(new byte[32]),
            ContactKeys = { ["b1"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()) },
            ActiveContactKeyId = "b1",
        }));
        _inbox = new BotInbox(null!, privacy, null!, null!, TimeProvider.System);
    }

    private static byte[] Form(List<KeyValuePair<string, string>> form) =>
        Encoding.UTF8.GetBytes(string.Join('&', form.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}".Replace("%20", "+", StringComparison.Ordinal))));

    [Benchmark]
    public string TwilioSms()
    {
        var form = TwilioWebhook.ParseForm(_sms);
        if (!TwilioSignature.IsValid(Secret, SmsUrl, form, _smsSig))
        {
            throw new InvalidOperationException("signature");
        }

        var fields = TwilioWebhook.FirstValues(form);
        var text = VietnameseText.Normalize(fields.GetValueOrDefault("Body"));
        var sender = Msisdn.Normalize(fields.GetValueOrDefault("From"));
        _ = SmsKeywords.Match(text);
        return sender + Triage.Assess(text).Urgency + Provinces.Find(text)?.Code;
    }

    [Benchmark]
    public string TwilioVoiceIncoming()
    {
        var form = TwilioWebhook.ParseForm(_voice);
        if (!TwilioSignature.IsValid(Secret, VoiceUrl, form, _voiceSig))
        {
            throw new InvalidOperationException("signature");
        }

        var fields = TwilioWebhook.FirstValues(form);
        return Msisdn.Normalize(fields.GetValueOrDefault("From")) + fields.GetValueOrDefault("CallSid");
    }

    [Benchmark]
    public string SmsGateway()
    {
        if (HubSignature.Verify([Secret, string.Empty], _gatewayTs, _gatewaySig, _gateway, _now, HubSignature.DefaultWindow) != HubSignatureResult.Valid)
        {
            throw new InvalidOperationException("signature");
        }

        var message = JsonSerializer.Deserialize(_gateway, SmsGatewayJsonContext.Default.SmsGatewayMessage);
        if (SmsGatewayChannel.Validate(message).Count > 0)
        {
            throw new InvalidOperationException("invalid");
        }

        var text = VietnameseText.Normalize(message!.Text);
        var sender = Msisdn.Normalize(message.From);
        _ = SmsKeywords.Match(text);
        return sender + Triage.Assess(text).Urgency + Provinces.Find(text)?.Code;
    }

    [Benchmark]
    public int Messenger()
    {
        if (MetaSignature.Verify(Secret, _messenger, _messengerSig) != WebhookSignatureResult.Valid)
        {
            throw new InvalidOperationException("signature");
        }

        var activities = MessengerParser.Parse(_messenger);
        var sealedTurn = _inbox.Seal("messenger", "fb", activities[0], _now);
        return sealedTurn.SealedActivity!.Length;
    }

    [Benchmark]
    public int Zalo()
    {
        var hook = ZaloParser.Read(_zalo);
        if (ZaloSignature.Verify(ZaloAppId, _zalo, hook.Timestamp ?? string.Empty, Secret, _zaloSig) != WebhookSignatureResult.Valid
            || ZaloParser.TimestampOf(hook) is null || ZaloParser.KindOf(hook) == ZaloEventKind.Ignored)
        {
            throw new InvalidOperationException("signature");
        }

        var sealedTurn = _inbox.Seal("zalo", "zl", ZaloParser.ToActivity(hook)!, _now);
        return sealedTurn.SealedActivity!.Length;
    }
}
