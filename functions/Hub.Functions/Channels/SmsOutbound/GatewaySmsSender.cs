using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hub.Core.Signatures;
using Hub.Functions.Channels.SmsGateway;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.SmsOutbound;

/// <summary>
/// The outbound ("MT") half of the hub's gateway contract (docs/sms-gateway.md#replies): a JSON POST to the instance's
/// <c>SendUrl</c>, signed like the inbound one (<c>X-Hub-Timestamp</c>, <c>X-Hub-Signature: v1=…</c>, the instance's
/// <c>Secret</c>); <c>messageId</c> is the hub's reply id and the gateway's idempotency key, so a retry never sends twice.
/// </summary>
public sealed class GatewaySmsSender(
    IHttpClientFactory http, Polly.Registry.ResiliencePipelineProvider<string> pipelines, IOptions<HubOptions> hub, TimeProvider time) : ISmsSender
{
    public string ChannelType => SmsGatewayDescriptor.TypeName;

    public string? CannotSend(ChannelOptions options) =>
        string.IsNullOrEmpty(options?.SendUrl) ? "no-send-url" : null;

    public string StatusUrl(string publicBaseUrl, string instance, string replyId) =>
        $"{publicBaseUrl.TrimEnd('/')}/api/channels/{SmsGatewayDescriptor.TypeName}/{Uri.EscapeDataString(instance)}/status";

    public async Task<SmsSendResult> SendAsync(SmsOutgoing message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new GatewaySend(message.ReplyId, message.To, message.From, message.Text, message.StatusUrl), SmsOutboundJsonContext.Default.GatewaySend);
        var o = hub.Value.Sms;
        var answer = await SmsHttp.SendAsync(
            http.CreateClient(SmsHttp.HttpClientName),
            pipelines.GetPipeline<HttpResponseMessage>(Resilience.SmsSend),
            () =>
            {
                var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                var request = new HttpRequestMessage(HttpMethod.Post, message.Options.SendUrl) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add(HubSignature.TimestampHeader, timestamp);
                request.Headers.Add(HubSignature.SignatureHeader, HubSignature.Compute(message.Options.Secret!, timestamp, body));
                return request;
            },
            o.SendTimeout,
            time,
            ct);
        string? id = null;
        if (answer.Kind == SmsSendKind.Accepted && answer.Body is { Length: > 0 } json)
        {
            try
            {
                id = JsonSerializer.Deserialize(json, SmsOutboundJsonContext.Default.GatewayAccepted)?.GatewayMessageId;
            }
            catch (JsonException)
            {
                // The 2xx is what counts; the gateway's own id is optional.
            }
        }

        return new SmsSendResult(answer.Kind, answer.Attempts, id is { Length: <= 128 } ? id : null, answer.Error, answer.RetryAfter);
    }
}

/// <summary>The hub's request to a gateway's send endpoint.</summary>
public sealed record GatewaySend(string MessageId, string To, string? From, string Text, string StatusUrl);

/// <summary>A gateway's 2xx answer: its own id for the message, optionally.</summary>
public sealed record GatewayAccepted(string? GatewayMessageId);

/// <summary>A gateway's delivery receipt (<c>POST …/sms-gateway/{instance}/status</c>).</summary>
public sealed record GatewayReceipt(string? MessageId, string? Status, string? Error, DateTimeOffset? At);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GatewaySend))]
[JsonSerializable(typeof(GatewayAccepted))]
[JsonSerializable(typeof(GatewayReceipt))]
[JsonSerializable(typeof(SmsReplyMessage))]
[JsonSerializable(typeof(TwilioMessageCreated))]
[JsonSerializable(typeof(ReceiptRecorded))]
internal sealed partial class SmsOutboundJsonContext : JsonSerializerContext;
