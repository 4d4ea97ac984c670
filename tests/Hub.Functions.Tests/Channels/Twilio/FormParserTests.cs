using System.Text;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Hub.Functions.Tests.Channels.Twilio;

/// <summary>
/// The hub's own form parser (span-based, synchronous: the Twilio webhooks' hot path) against ASP.NET Core's
/// FormReader, which it replaced: the same pairs, or the same refusal, on real Twilio bodies and on 20,000 hostile
/// ones. The signature is computed over these values, so any difference would reject genuine Twilio requests.
/// </summary>
public sealed class FormParserTests
{
    private static (List<KeyValuePair<string, string>>? Pairs, bool Refused) Reference(byte[] body)
    {
        try
        {
            using var reader = new FormReader(new MemoryStream(body, writable: false), Encoding.UTF8)
            {
                ValueCountLimit = TwilioWebhook.FormValueCountLimit,
                KeyLengthLimit = TwilioWebhook.FormKeyLengthLimit,
                ValueLengthLimit = TwilioWebhook.FormValueLengthLimit,
            };
            var pairs = new List<KeyValuePair<string, string>>();
            foreach (var (key, values) in reader.ReadForm())
            {
                foreach (var v in values)
                {
                    pairs.Add(new(key, v ?? string.Empty));
                }
            }

            return (pairs, false);
        }
        catch (InvalidDataException)
        {
            return (null, true);
        }
    }

    private static (List<KeyValuePair<string, string>>? Pairs, bool Refused) Ours(byte[] body)
    {
        try
        {
            return (TwilioWebhook.ParseForm(body), false);
        }
        catch (InvalidDataException)
        {
            return (null, true);
        }
    }

    private static string Canonical(List<KeyValuePair<string, string>>? pairs) =>
        pairs is null ? "<refused>" : string.Join("\n", pairs.Select(p => $"{p.Key}\u0001{p.Value}").Order(StringComparer.Ordinal));

    private static void ShouldAgree(byte[] body, string label)
    {
        var expected = Reference(body);
        var actual = Ours(body);
        actual.Refused.ShouldBe(expected.Refused, label);
        Canonical(actual.Pairs).ShouldBe(Canonical(expected.Pairs), label);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a=1")]
    [InlineData("a=1&b=2&a=3")]
    [InlineData("a&b=1")]
    [InlineData("x=1&trailing")]
    [InlineData("=1&a=")]
    [InlineData("a==b&&c=d&")]
    [InlineData("Body=Xin+ch%C3%A0o%2C+em+c%E1%BA%A7n+gi%C3%BAp&From=%2B84912345678")]
    [InlineData("bad=%ZZ%4&pct=%&half=%C3&plus=a+b%2Bc")]
    [InlineData("k%3D=v%26w&%20sp%20=+")]
    public void ParseForm_Cases_SameAsFormReader(string body) => ShouldAgree(Encoding.UTF8.GetBytes(body), body);

    [Fact]
    public async Task ParseForm_TwilioPayloads_SameAsFormReader()
    {
        foreach (var sid in new[] { "SMe287d7109a5a925f182f0e07fe5b223b", ProviderRequests.NewSid() })
        {
            var form = ProviderRequests.TwilioSms(sid, "Có người dọa tung ảnh của em lên mạng, em ở Quảng Nam & Đà Nẵng = 100%+");
            var body = await new FormUrlEncodedContent(form).ReadAsByteArrayAsync();
            ShouldAgree(body, sid);
            TwilioWebhook.ParseForm(body).ShouldBe(form, ignoreOrder: true);
        }
    }

    [Fact]
    public void ParseForm_LimitsRefusedLikeFormReader()
    {
        ShouldAgree(Encoding.ASCII.GetBytes(new string('k', TwilioWebhook.FormKeyLengthLimit + 1) + "=1"), "long key");
        ShouldAgree(Encoding.ASCII.GetBytes(new string('k', TwilioWebhook.FormKeyLengthLimit) + "=1"), "key at the limit");
        ShouldAgree(Encoding.ASCII.GetBytes("v=" + new string('x', TwilioWebhook.FormValueLengthLimit + 1)), "long value");
        ShouldAgree(Encoding.ASCII.GetBytes(string.Join('&', Enumerable.Range(0, TwilioWebhook.FormValueCountLimit + 1).Select(i => $"k{i}=v"))), "too many");
        ShouldAgree(Encoding.ASCII.GetBytes(string.Join('&', Enumerable.Range(0, TwilioWebhook.FormValueCountLimit).Select(i => $"k{i}=v"))), "at the count limit");
        ShouldAgree(Encoding.ASCII.GetBytes(new string('k', TwilioWebhook.FormKeyLengthLimit + 1)), "long trailing word");
    }

    [Fact]
    public void ParseForm_20000HostileBodies_SameAsFormReader()
    {
        var h = new Hostile(830, ["http://127.0.0.1/x"]);
        var seed = Encoding.UTF8.GetBytes("ToCountry=VN&SmsMessageSid=SM1&NumMedia=1&Body=Xin+ch%C3%A0o&From=%2B84912345678&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fx");
        var alphabet = "=&%+abcXYZ019 \u00e0\u1ea7\ud83d\ude00".ToCharArray();
        for (var i = 0; i < 20_000; i++)
        {
            byte[] body = (i % 3) switch
            {
                0 => h.Corrupt(seed),
                1 => Encoding.UTF8.GetBytes(new string(Enumerable.Range(0, h.Next(80)).Select(_ => alphabet[h.Next(alphabet.Length)]).ToArray())),
                _ => Encoding.UTF8.GetBytes($"{h.OddString()}={h.OddString()}&Body={Uri.EscapeDataString(h.OddString())}%{h.Next(256):X}"),
            };
            ShouldAgree(body, $"case {i}: {Convert.ToBase64String(body.AsSpan(0, Math.Min(body.Length, 200)))}");
        }
    }
}
