using System.Text.Json;
using System.Text.Json.Serialization;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Channels.TwilioSms;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.SmsOutbound;

/// <summary>
/// Twilio's Messages API (docs/protocols/twilio.md#sms): <c>POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json</c>
/// with Basic auth and the form fields <c>To</c>, <c>From</c> (the number the reporter wrote to) or
/// <c>MessagingServiceSid</c>, <c>Body</c> and <c>StatusCallback</c> (the reply's id in its query, signed by Twilio like
/// every webhook). A 5xx on a POST is ambiguous (it may have been sent), so every attempt carries
/// <c>I-Twilio-Idempotency-Token</c> with the reply's id.
/// </summary>
public sealed class TwilioSmsSender(
    IHttpClientFactory http, Polly.Registry.ResiliencePipelineProvider<string> pipelines, IOptions<HubOptions> hub, TimeProvider time) : ISmsSender
{
    public const string IdempotencyHeader = "I-Twilio-Idempotency-Token";

    public string ChannelType => TwilioSmsDescriptor.TypeName;

    public string? CannotSend(ChannelOptions options) =>
        string.IsNullOrEmpty(options?.AccountSid) ? "no-account-sid" : null;

    public string StatusUrl(string publicBaseUrl, string instance, string replyId) =>
        $"{publicBaseUrl.TrimEnd('/')}/api/channels/{TwilioSmsDescriptor.TypeName}/{Uri.EscapeDataString(instance)}/status?reply={Uri.EscapeDataString(replyId)}";

    public async Task<SmsSendResult> SendAsync(SmsOutgoing message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var o = message.Options;
        var url = $"{o.TwilioApiBaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(o.AccountSid!)}/Messages.json";
        var fields = new List<KeyValuePair<string, string>> { new("To", message.To), new("Body", message.Text), new("StatusCallback", message.StatusUrl) };
        if (!string.IsNullOrEmpty(o.MessagingServiceSid))
        {
            fields.Add(new("MessagingServiceSid", o.MessagingServiceSid));
        }
        else if (message.From is { Length: > 0 } from)
        {
            fields.Add(new("From", from));
        }

        var answer = await SmsHttp.SendAsync(
            http.CreateClient(SmsHttp.HttpClientName),
            pipelines.GetPipeline<HttpResponseMessage>(Resilience.SmsSend),
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
                request.Headers.Authorization = TwilioWebhook.BasicAuth(o);
                request.Headers.Add(IdempotencyHeader, message.ReplyId);
                return request;
            },
            hub.Value.Sms.SendTimeout,
            time,
            ct);
        TwilioMessageCreated? parsed = null;
        if (answer.Body is { Length: > 0 } json && json.TrimStart().StartsWith('{'))
        {
            try
            {
                parsed = JsonSerializer.Deserialize(json, SmsOutboundJsonContext.Default.TwilioMessageCreated);
            }
            catch (JsonException)
            {
                // Classified by status alone.
            }
        }

        // Twilio's error bodies carry a code and a message; the message can quote the number, so only the code is kept.
        var error = answer.Kind == SmsSendKind.Accepted ? null : parsed?.Code is { } code ? $"{answer.Error}, Twilio error {code}" : answer.Error;
        return new SmsSendResult(answer.Kind, answer.Attempts, parsed?.Sid is { Length: <= 64 } sid ? sid : null, error, answer.RetryAfter);
    }
}

/// <summary>The fields of Twilio's Message resource (201) or error body (4xx/5xx) that the hub reads.</summary>
public sealed record TwilioMessageCreated
{
    [JsonPropertyName("sid")]
    public string? Sid { get; init; }

    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("code")]
    public int? Code { get; init; }
}
