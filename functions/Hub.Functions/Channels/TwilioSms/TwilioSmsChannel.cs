using Hub.Core.Envelope;
using Hub.Core.Privacy;
using Hub.Core.Text;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;

namespace Hub.Functions.Channels.TwilioSms;

/// <summary>
/// Twilio Programmable Messaging inbound webhook, <c>POST /api/channels/twilio-sms/{instance}</c>.
/// Request format: twilio.com/docs/messaging/guides/webhook-request (docs/protocols/twilio.md#sms). Replies in TwiML.
/// </summary>
public static class TwilioSmsChannel
{
    public const string FunctionName = "TwilioSms";

    public static IEndpointRouteBuilder MapTwilioSms(this IEndpointRouteBuilder app)
    {
        app.MapChannelWebhook(TwilioSmsDescriptor.TypeName, FunctionName, HandleAsync);
        return app;
    }

    private static async Task<IResult> HandleAsync(ChannelRequest req, CancellationToken ct)
    {
        var services = req.Http.RequestServices;
        var (form, error) = TwilioWebhook.ReadVerified(req);
        if (form is null)
        {
            return error!;
        }

        var fields = form.Fields;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var messageSid = Required(fields, "MessageSid", errors);
        var from = Required(fields, "From", errors);
        if (messageSid is { Length: > 64 })
        {
            errors["MessageSid"] = ["must be at most 64 characters"];
        }

        var media = ParseMedia(fields, req.Options, errors);
        if (errors.Count > 0)
        {
            return Problems.BadRequest("The Twilio message is missing required fields.", errors);
        }

        var text = VietnameseText.Normalize(fields.GetValueOrDefault("Body"));
        var sender = Msisdn.Normalize(from);
        var keyword = SmsKeywords.Match(text);
        switch (keyword)
        {
            case SmsKeyword.Help:
                return Twiml.Result(Twiml.Message(SmsKeywords.HelpText));
            case SmsKeyword.Stop or SmsKeyword.Start when media.Count == 0:
                await services.GetRequiredService<OptOuts>().RecordAsync(sender, req.Instance, keyword == SmsKeyword.Stop, ct);
                return Twiml.Result(Twiml.Empty()); // Twilio's own opt-out handling answers the sender
        }

        var result = await services.GetRequiredService<IntakeService>().AcceptOrSpoolAsync(
            new IntakeSubmission
            {
                Channel = ReportChannels.Sms,
                ChannelInstance = req.Instance,
                Provider = "twilio",
                ProviderAccount = fields.GetValueOrDefault("To"),
                ProviderMessageId = messageSid!,
                SenderId = sender,
                Text = text,
                RawBody = req.Body,
                RawContentType = req.Http.Request.ContentType,
                Media = media,
                MediaPolicy = services.GetRequiredService<TwilioSmsDescriptor>().MediaPolicy(req.Options),
                ProvinceCode = req.Options.Province,
            },
            ct);

        return Twiml.Result(Twiml.Message(SmsReplies.For(req.Options, result.ReferenceCode, result.Urgency)));
    }

    private static List<MediaReference> ParseMedia(IReadOnlyDictionary<string, string> fields, ChannelOptions options, Dictionary<string, string[]> errors)
    {
        var media = new List<MediaReference>();
        if (!fields.TryGetValue("NumMedia", out var numText) || string.IsNullOrEmpty(numText))
        {
            return media;
        }

        if (!int.TryParse(numText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var num) || num > options.MaxMediaCount)
        {
            errors["NumMedia"] = [$"must be a number from 0 to {options.MaxMediaCount}"];
            return media;
        }

        for (var i = 0; i < num; i++)
        {
            if (fields.TryGetValue($"MediaUrl{i}", out var url) && !string.IsNullOrEmpty(url))
            {
                media.Add(new MediaReference(url, fields.GetValueOrDefault($"MediaContentType{i}")));
            }
            else
            {
                errors[$"MediaUrl{i}"] = ["is missing although NumMedia announces it"];
            }
        }

        return media;
    }

    private static string? Required(IReadOnlyDictionary<string, string> fields, string name, Dictionary<string, string[]> errors)
    {
        if (fields.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v))
        {
            return v;
        }

        errors[name] = ["is required"];
        return null;
    }
}
