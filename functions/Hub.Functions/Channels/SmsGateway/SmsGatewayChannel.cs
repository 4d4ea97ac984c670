using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Core.Privacy;
using Hub.Core.Signatures;
using Hub.Core.Text;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;

namespace Hub.Functions.Channels.SmsGateway;

/// <summary>
/// Inbound SMS from a Vietnamese carrier gateway, <c>POST /api/channels/sms-gateway/{instance}</c>, signed
/// with the hub scheme (<see cref="HubSignature"/>): 5-minute window, primary and secondary secret.
/// Replies go back through the gateway's own send API, so the response carries the text to send.
/// </summary>
public static class SmsGatewayChannel
{
    public const string FunctionName = "SmsGateway";

    public static IEndpointRouteBuilder MapSmsGateway(this IEndpointRouteBuilder app)
    {
        app.MapChannelWebhook(SmsGatewayDescriptor.TypeName, FunctionName, HandleAsync);
        return app;
    }

    private static async Task<IResult> HandleAsync(ChannelRequest req, CancellationToken ct)
    {
        var services = req.Http.RequestServices;
        if (VerifySignature(req) is { } refused)
        {
            return refused;
        }

        if (!Problems.IsJson(req.Http.Request))
        {
            return Problems.UnsupportedMediaType("application/json");
        }

        SmsGatewayMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(req.Body, SmsGatewayJsonContext.Default.SmsGatewayMessage);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest($"The body is not valid JSON for the gateway contract ({ex.Path ?? "$"}).");
        }

        var errors = Validate(message);
        if (errors.Count > 0)
        {
            return Problems.BadRequest("The message is missing required fields.", errors);
        }

        var text = VietnameseText.Normalize(message!.Text);
        var sender = Msisdn.Normalize(message.From);
        var keyword = SmsKeywords.Match(text);
        if (keyword == SmsKeyword.Help)
        {
            return Results.Json(new SmsGatewayResponse("keyword", null, null, SmsKeywords.HelpText), SmsGatewayJsonContext.Default.SmsGatewayResponse);
        }

        if (keyword is SmsKeyword.Stop or SmsKeyword.Start)
        {
            await services.GetRequiredService<OptOuts>().RecordAsync(sender, req.Instance, keyword == SmsKeyword.Stop, ct);
            return Results.Json(new SmsGatewayResponse("keyword", null, null, null), SmsGatewayJsonContext.Default.SmsGatewayResponse);
        }

        var result = await services.GetRequiredService<IntakeService>().AcceptOrSpoolAsync(
            new IntakeSubmission
            {
                Channel = ReportChannels.Sms,
                ChannelInstance = req.Instance,
                Provider = "sms-gateway",
                ProviderAccount = message.To,
                ProviderMessageId = message.MessageId!,
                Carrier = message.Carrier ?? req.Options.Carrier,
                SenderId = sender,
                Text = text,
                RawBody = req.Body,
                RawContentType = req.Http.Request.ContentType,
                ProvinceCode = req.Options.Province,
            },
            ct);

        return Results.Json(
            new SmsGatewayResponse(result.Duplicate ? "duplicate" : "accepted", result.ReportId, result.ReferenceCode, SmsReplies.For(req.Options, result.ReferenceCode, result.Urgency)),
            SmsGatewayJsonContext.Default.SmsGatewayResponse);
    }

    /// <summary>The hub-signature check every request from a gateway passes first (messages and receipts): null when it verifies, else the 401.</summary>
    internal static IResult? VerifySignature(ChannelRequest req)
    {
        var headers = req.Http.Request.Headers;
        return HubSignature.Verify(
            [req.Options.Secret!, req.Options.SecondarySecret ?? string.Empty],
            headers[HubSignature.TimestampHeader].ToString(),
            headers[HubSignature.SignatureHeader].ToString(),
            req.Body,
            req.Http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(),
            HubSignature.DefaultWindow) switch
        {
            HubSignatureResult.Missing => Problems.Unauthorized("X-Hub-Timestamp and X-Hub-Signature are required."),
            HubSignatureResult.Stale => Problems.Unauthorized("X-Hub-Timestamp is outside the 5-minute window."),
            HubSignatureResult.Malformed or HubSignatureResult.Invalid => Problems.Unauthorized("X-Hub-Signature does not verify."),
            _ => null,
        };
    }

    internal static Dictionary<string, string[]> Validate(SmsGatewayMessage? m)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (m is null)
        {
            errors["$"] = ["a JSON object is required"];
            return errors;
        }

        if (string.IsNullOrWhiteSpace(m.MessageId))
        {
            errors["$.messageId"] = ["is required"];
        }
        else if (m.MessageId.Length > 128)
        {
            errors["$.messageId"] = ["must be at most 128 characters"];
        }

        if (string.IsNullOrWhiteSpace(m.From))
        {
            errors["$.from"] = ["is required"];
        }

        if (string.IsNullOrWhiteSpace(m.To))
        {
            errors["$.to"] = ["is required"];
        }

        if (m.Text is null)
        {
            errors["$.text"] = ["is required (may be empty)"];
        }
        else if (m.Text.Length > 1600)
        {
            errors["$.text"] = ["must be at most 1,600 characters"];
        }

        return errors;
    }
}
