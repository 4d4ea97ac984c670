using System.Net.Http.Headers;
using System.Text;
using Hub.Core.Signatures;
using Hub.Functions.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Hub.Functions.Channels.Twilio;

/// <summary>A Twilio form webhook after its signature verified: the decoded fields, first value per name.</summary>
public sealed record TwilioForm(IReadOnlyDictionary<string, string> Fields)
{
    public string? this[string name] => Fields.GetValueOrDefault(name);
}

/// <summary>
/// What every Twilio webhook (SMS and Voice) does first: require a form body, parse it untrimmed, and verify
/// <c>X-Twilio-Signature</c> against the public URL (channels.md §1.3) before anything is interpreted.
/// </summary>
public static class TwilioWebhook
{
    public const string SignatureHeader = "X-Twilio-Signature";

    /// <summary>The verified form, or the 4xx to answer.</summary>
    public static async Task<(TwilioForm? Form, IResult? Error)> ReadVerifiedAsync(ChannelRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (!IsForm(req.Http.Request.ContentType))
        {
            return (null, Problems.UnsupportedMediaType("application/x-www-form-urlencoded"));
        }

        List<KeyValuePair<string, string>> form;
        try
        {
            form = await ParseFormAsync(req.Body);
        }
        catch (InvalidDataException)
        {
            return (null, Problems.BadRequest("The form body could not be parsed."));
        }

        var signature = req.Http.Request.Headers[SignatureHeader].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            return (null, Problems.Unauthorized($"{SignatureHeader} is missing."));
        }

        var url = req.PublicUrl(req.Http.RequestServices.GetRequiredService<IOptions<HubOptions>>().Value);
        if (!TwilioSignature.IsValid(req.Options.AuthToken!, url, form, signature))
        {
            return (null, Problems.Forbidden($"{SignatureHeader} does not verify."));
        }

        var fields = form.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        return (new TwilioForm(fields), null);
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

    public static AuthenticationHeaderValue? BasicAuth(ChannelOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return string.IsNullOrEmpty(o.AccountSid) ? null
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.AccountSid}:{o.AuthToken}")));
    }

    private static bool IsForm(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var mt)
        && string.Equals(mt.MediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
}
