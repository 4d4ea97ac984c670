using System.Net.Http.Headers;
using System.Text;
using Hub.Core.Envelope;
using Hub.Core.Privacy;
using Hub.Core.Signatures;
using Hub.Core.Text;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Hub.Functions.Channels.TwilioSms;

/// <summary>
/// Twilio Programmable Messaging inbound webhook, <c>POST /api/channels/twilio-sms/{instance}</c>.
/// Request format: twilio.com/docs/messaging/guides/webhook-request (channels.md §1). Replies in TwiML.
/// </summary>
public static class TwilioSmsChannel
{
    public const string FunctionName = "TwilioSms";

    /// <summary>Twilio media is served from api.twilio.com and redirected to its CDN/S3 (channels.md §1.1).</summary>
    public static readonly string[] DefaultMediaHosts = ["api.twilio.com", "*.twiliocdn.com", "s3-external-1.amazonaws.com"];

    public static IEndpointRouteBuilder MapTwilioSms(this IEndpointRouteBuilder app)
    {
        app.MapChannelWebhook(ChannelTypes.TwilioSms, FunctionName, HandleAsync);
        return app;
    }

    private static async Task<IResult> HandleAsync(ChannelRequest req, CancellationToken ct)
    {
        var services = req.Http.RequestServices;
        if (!IsForm(req.Http.Request.ContentType))
        {
            return Problems.UnsupportedMediaType("application/x-www-form-urlencoded");
        }

        List<KeyValuePair<string, string>> form;
        try
        {
            form = await ParseFormAsync(req.Body);
        }
        catch (InvalidDataException)
        {
            return Problems.BadRequest("The form body could not be parsed.");
        }

        // Signature first: nothing from the form is interpreted or stored before it verifies.
        var signature = req.Http.Request.Headers["X-Twilio-Signature"].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            return Problems.Unauthorized("X-Twilio-Signature is missing.");
        }

        var url = req.PublicUrl(services.GetRequiredService<IOptions<HubOptions>>().Value);
        if (!TwilioSignature.IsValid(req.Options.AuthToken!, url, form, signature))
        {
            return Problems.Forbidden("X-Twilio-Signature does not verify.");
        }

        var fields = form.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
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

        var result = await services.GetRequiredService<IntakeService>().AcceptAsync(
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
                MediaPolicy = new MediaPolicy(
                    req.Options.MediaHosts.Count > 0 ? req.Options.MediaHosts : DefaultMediaHosts,
                    req.Options.MaxMediaBytes,
                    BasicAuth(req.Options),
                    req.Options.AllowPrivateMediaHosts),
                ProvinceCode = req.Options.Province,
            },
            ct);

        return Twiml.Result(Twiml.Message(SmsReplies.For(req.Options, result.ReferenceCode, result.Urgency)));
    }

    internal static async Task<List<KeyValuePair<string, string>>> ParseFormAsync(byte[] body)
    {
        // FormReader keeps values untrimmed and decodes + and %XX exactly as Twilio's signer expects.
        using var reader = new FormReader(new MemoryStream(body, writable: false), Encoding.UTF8)
        {
            ValueCountLimit = 1024,
            KeyLengthLimit = 256,
            ValueLengthLimit = 64 * 1024,
        };
        var result = new List<KeyValuePair<string, string>>();
        Dictionary<string, StringValues> parsed = await reader.ReadFormAsync();
        foreach (var (key, values) in parsed)
        {
            foreach (var v in values)
            {
                result.Add(new(key, v ?? string.Empty));
            }
        }

        return result;
    }

    private static List<MediaReference> ParseMedia(Dictionary<string, string> fields, ChannelOptions options, Dictionary<string, string[]> errors)
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

    private static AuthenticationHeaderValue? BasicAuth(ChannelOptions o) =>
        string.IsNullOrEmpty(o.AccountSid) ? null
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.AccountSid}:{o.AuthToken}")));

    private static string? Required(Dictionary<string, string> fields, string name, Dictionary<string, string[]> errors)
    {
        if (fields.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v))
        {
            return v;
        }

        errors[name] = ["is required"];
        return null;
    }

    private static bool IsForm(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var mt)
        && string.Equals(mt.MediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
}
