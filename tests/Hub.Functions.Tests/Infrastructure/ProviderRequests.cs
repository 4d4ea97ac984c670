using System.Globalization;
using System.Text;
using Hub.Core.Signatures;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>Builds provider requests signed exactly as the providers sign them.</summary>
public static class ProviderRequests
{
    /// <summary>A real Twilio inbound SMS (nyaruka/courier handlers/twiml receiveValid), re-addressed to Vietnam.</summary>
    public static List<KeyValuePair<string, string>> TwilioSms(string messageSid, string body, string from = "+84912345678", string to = "+842873001111") =>
    [
        new("ToCountry", "VN"), new("ToState", string.Empty), new("SmsMessageSid", messageSid), new("NumMedia", "0"),
        new("ToCity", string.Empty), new("FromZip", string.Empty), new("SmsSid", messageSid), new("FromState", string.Empty),
        new("SmsStatus", "received"), new("FromCity", string.Empty), new("Body", body), new("FromCountry", "VN"),
        new("To", to), new("ToZip", string.Empty), new("NumSegments", "1"), new("MessageSid", messageSid),
        new("AccountSid", TestSecrets.TwilioAccountSid), new("From", from), new("ApiVersion", "2010-04-01"),
    ];

    public static string NewSid(string prefix = "SM") => prefix + Guid.NewGuid().ToString("N");

    public static HttpRequestMessage Twilio(string instance, IEnumerable<KeyValuePair<string, string>> form, string? signature = null, string? signedUrl = null, string token = TestSecrets.TwilioAuthToken)
    {
        var list = form.ToList();
        var path = $"/api/channels/twilio-sms/{instance}";
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(list) };
        signature ??= TwilioSignature.Compute(token, signedUrl ?? HubFixture.PublicBaseUrl + path, list);
        if (signature.Length > 0)
        {
            request.Headers.Add("X-Twilio-Signature", signature);
        }

        return request;
    }

    public static HttpRequestMessage Gateway(string instance, string json, DateTimeOffset now, string secret = TestSecrets.GatewaySecret, string? signature = null, long? timestamp = null)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var ts = (timestamp ?? now.ToUnixTimeSeconds()).ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/sms-gateway/{instance}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(HubSignature.TimestampHeader, ts);
        request.Headers.Add(HubSignature.SignatureHeader, signature ?? HubSignature.Compute(secret, ts, body));
        return request;
    }

    public static string GatewayJson(string messageId, string text, string from = "0912345678") =>
        $$"""{"messageId":"{{messageId}}","from":"{{from}}","to":"111","text":"{{text}}","carrier":"viettel","receivedAt":"2026-11-22T08:00:00+07:00"}""";
}
