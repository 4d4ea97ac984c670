using System.Text.Json;
using Hub.Core.Signatures;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Channels.SmsGateway;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Channels.TwilioSms;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.SmsOutbound;

/// <summary>
/// Delivery receipts for SMS replies: a gateway's signed JSON (<c>POST /api/channels/sms-gateway/{instance}/status</c>,
/// the inbound scheme and window) and Twilio's status callback (<c>POST /api/channels/twilio-sms/{instance}/status?reply=…</c>,
/// <c>X-Twilio-Signature</c> over the URL the hub gave it). A receipt only moves a reply forward; a replay changes nothing.
/// </summary>
public static class SmsReceipts
{
    public const string GatewayFunctionName = "SmsGatewayStatus";
    public const string TwilioFunctionName = "TwilioSmsStatus";

    /// <summary>The gateway contract's receipt statuses.</summary>
    public static readonly IReadOnlyList<string> GatewayStatuses = [SmsReplyStates.Sent, SmsReplyStates.Delivered, SmsReplyStates.Undelivered, SmsReplyStates.Failed];

    public static IEndpointRouteBuilder MapSmsReceipts(this IEndpointRouteBuilder app)
    {
        app.MapChannelWebhook(SmsGatewayDescriptor.TypeName, GatewayFunctionName, GatewayAsync, "/status");
        app.MapChannelWebhook(TwilioSmsDescriptor.TypeName, TwilioFunctionName, TwilioAsync, "/status");
        return app;
    }

    /// <summary>Twilio's <c>MessageStatus</c> as the hub's reply state (null for one the hub does not track).</summary>
    public static string? FromTwilio(string? status) => status switch
    {
        "queued" or "accepted" or "scheduled" or "sending" => SmsReplyStates.Accepted,
        "sent" => SmsReplyStates.Sent,
        "delivered" or "read" => SmsReplyStates.Delivered,
        "undelivered" => SmsReplyStates.Undelivered,
        "failed" or "canceled" => SmsReplyStates.Failed,
        _ => null,
    };

    private static async Task<IResult> GatewayAsync(ChannelRequest req, CancellationToken ct)
    {
        var services = req.Http.RequestServices;
        if (SmsGatewayChannel.VerifySignature(req) is { } refused)
        {
            return refused;
        }

        if (!Problems.IsJson(req.Http.Request))
        {
            return Problems.UnsupportedMediaType("application/json");
        }

        GatewayReceipt? receipt;
        try
        {
            receipt = JsonSerializer.Deserialize(req.Body, SmsOutboundJsonContext.Default.GatewayReceipt);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest($"The body is not valid JSON for a delivery receipt ({ex.Path ?? "$"}).");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (receipt is null)
        {
            errors["$"] = ["a JSON object is required"];
        }
        else
        {
            if (string.IsNullOrWhiteSpace(receipt.MessageId) || receipt.MessageId.Length > 128)
            {
                errors["$.messageId"] = ["is required: the hub's messageId from the send request"];
            }

            if (receipt.Status is null || !GatewayStatuses.Contains(receipt.Status))
            {
                errors["$.status"] = ["is required and must be one of: " + string.Join(", ", GatewayStatuses)];
            }

            if (receipt.Error is { Length: > 200 })
            {
                errors["$.error"] = ["must be at most 200 characters"];
            }
        }

        if (errors.Count > 0)
        {
            return Problems.BadRequest("The receipt is missing required fields.", errors);
        }

        return await RecordAsync(services, req.Instance, receipt!.MessageId!, receipt.Status!, null, receipt.Error, ct);
    }

    private static async Task<IResult> TwilioAsync(ChannelRequest req, CancellationToken ct)
    {
        var services = req.Http.RequestServices;
        var hub = services.GetRequiredService<IOptions<HubOptions>>().Value;
        var url = hub.PublicBaseUrl.TrimEnd('/') + req.Http.Request.PathBase + req.Http.Request.Path + req.Http.Request.QueryString;
        var (form, error) = TwilioWebhook.ReadVerified(req, url);
        if (form is null)
        {
            return error!;
        }

        var replyId = req.Http.Request.Query["reply"].ToString();
        if (replyId.Length is 0 or > 128 || form["MessageSid"] is not { Length: > 0 and <= 64 } sid)
        {
            return Problems.BadRequest("A status callback needs ?reply= (the URL the hub gave Twilio) and MessageSid.");
        }

        if (FromTwilio(form["MessageStatus"]) is not { } status)
        {
            return Results.NoContent(); // a status the hub does not track (e.g. "receiving"): nothing to record
        }

        var code = form["ErrorCode"] is { Length: > 0 and <= 10 } c && c.All(char.IsAsciiDigit) ? "Twilio error " + c : null;
        return await RecordAsync(services, req.Instance, replyId, status, sid, status is SmsReplyStates.Failed or SmsReplyStates.Undelivered ? code : null, ct);
    }

    private static async Task<IResult> RecordAsync(IServiceProvider services, string instance, string replyId, string status, string? providerId, string? error, CancellationToken ct)
    {
        try
        {
            var (exists, moved) = await services.GetRequiredService<SmsOutbox>().ReceiptAsync(instance, replyId, status, providerId, error, ct);
            return exists
                ? Results.Json(new ReceiptRecorded(moved ? "recorded" : "unchanged"), SmsOutboundJsonContext.Default.ReceiptRecorded)
                : Problems.NotFound("No reply with this messageId was sent through this instance.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException && CaseDatabase.IsUnavailable(ex))
        {
            return Problems.Unavailable(30);
        }
    }
}

/// <summary>The answer to a receipt: <c>recorded</c>, or <c>unchanged</c> (a replay, or a state the reply has passed).</summary>
public sealed record ReceiptRecorded(string Status);
