using System.Text;
using BenchmarkDotNet.Attributes;
using Hub.Core.Privacy;
using Hub.Core.Signatures;
using Hub.Core.Taxonomy;
using Hub.Core.Text;
using Hub.Functions.Channels;
using Hub.Functions.Channels.TwilioSms;

namespace Hub.Benchmarks;

/// <summary>
/// The CPU work a Twilio SMS webhook does before storage: parse the form, verify X-Twilio-Signature,
/// normalise text (NFC) and number (E.164), keyword and triage rules. Storage is measured by the load run.
/// </summary>
[MemoryDiagnoser]
public class TwilioSmsPathBenchmarks
{
    private const string Token = "bench-auth-token-0123456789";
    private const string Url = "https://hub.example.vn/api/channels/twilio-sms/hn-sms";
    private byte[] _body = [];
    private string _signature = string.Empty;
    private List<KeyValuePair<string, string>> _form = [];
    private string _nfc = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        // The courier "receiveValid" payload, re-addressed to Vietnam, with a typical Vietnamese text in NFD.
        _form =
        [
            new("ToCountry", "VN"), new("ToState", string.Empty), new("SmsMessageSid", "SMe287d7109a5a925f182f0e07fe5b223b"), new("NumMedia", "0"),
            new("ToCity", string.Empty), new("FromZip", string.Empty), new("SmsSid", "SMe287d7109a5a925f182f0e07fe5b223b"), new("FromState", string.Empty),
            new("SmsStatus", "received"), new("FromCity", string.Empty), new("Body", "Co\u0301 ngu\u031Bo\u031Bi do\u0323a tung a\u0309nh cu\u0309a em le\u0302n ma\u0323ng, em o\u031B\u0309 Qua\u0309ng Nam"),
            new("FromCountry", "VN"), new("To", "+842873001111"), new("ToZip", string.Empty), new("NumSegments", "1"),
            new("MessageSid", "SMe287d7109a5a925f182f0e07fe5b223b"), new("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            new("From", "+84912345678"), new("ApiVersion", "2010-04-01"),
        ];
        _body = Encoding.UTF8.GetBytes(string.Join('&', _form.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")));
        _signature = TwilioSignature.Compute(Token, Url, _form);
        _nfc = VietnameseText.Normalize(_form[10].Value);
    }

    [Benchmark]
    public bool VerifyOnly() => TwilioSignature.IsValid(Token, Url, _form, _signature);

    [Benchmark]
    public List<KeyValuePair<string, string>> ParseOnly() => Hub.Functions.Channels.Twilio.TwilioWebhook.ParseForm(_body);

    [Benchmark]
    public string NormaliseOnly() => VietnameseText.Normalize(_form[10].Value);

    [Benchmark]
    public string TriageOnly() => Triage.Assess(_nfc).Urgency;

    [Benchmark]
    public string? ProvinceOnly() => Provinces.Find(_nfc)?.Code;

    [Benchmark(Baseline = true)]
    public string VerifyParseNormalise()
    {
        var form = Hub.Functions.Channels.Twilio.TwilioWebhook.ParseForm(_body);
        if (!TwilioSignature.IsValid(Token, Url, form, _signature))
        {
            throw new InvalidOperationException("signature");
        }

        string? body = null, from = null;
        foreach (var (k, v) in form)
        {
            if (k == "Body")
            {
                body = v;
            }
            else if (k == "From")
            {
                from = v;
            }
        }

        var text = VietnameseText.Normalize(body);
        _ = SmsKeywords.Match(text);
        var triage = Triage.Assess(text);
        return Msisdn.Normalize(from) + triage.Urgency;
    }
}
