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
/// <c>X-Twilio-Signature</c> against the public URL (docs/protocols/twilio.md#signature) before anything is interpreted.
/// </summary>
public static class TwilioWebhook
{
    public const string SignatureHeader = "X-Twilio-Signature";

    /// <summary>The verified form, or the 4xx to answer.</summary>
    public static (TwilioForm? Form, IResult? Error) ReadVerified(ChannelRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        return ReadVerified(req, req.PublicUrl(req.Http.RequestServices.GetRequiredService<IOptions<HubOptions>>().Value));
    }

    /// <summary>The verified form of a request Twilio made to <paramref name="url"/> (a URL the hub gave it, e.g. a status callback), or the 4xx to answer.</summary>
    public static (TwilioForm? Form, IResult? Error) ReadVerified(ChannelRequest req, string url)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (!IsForm(req.Http.Request.ContentType))
        {
            return (null, Problems.UnsupportedMediaType("application/x-www-form-urlencoded"));
        }

        List<KeyValuePair<string, string>> form;
        try
        {
            form = ParseForm(req.Body);
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

        if (!TwilioSignature.IsValid(req.Options.AuthToken!, url, form, signature))
        {
            return (null, Problems.Forbidden($"{SignatureHeader} does not verify."));
        }

        return (new TwilioForm(FirstValues(form)), null);
    }

    /// <summary>The first value of each field (Twilio sends each once; a repeated one is signed, but only its first counts).</summary>
    internal static Dictionary<string, string> FirstValues(List<KeyValuePair<string, string>> form)
    {
        var fields = new Dictionary<string, string>(form.Count, StringComparer.Ordinal);
        foreach (var (k, v) in form)
        {
            fields.TryAdd(k, v);
        }

        return fields;
    }

    internal const int FormValueCountLimit = 1024;
    internal const int FormKeyLengthLimit = 256;
    internal const int FormValueLengthLimit = 64 * 1024;

    /// <summary>
    /// Parses <c>application/x-www-form-urlencoded</c> exactly as ASP.NET Core's <see cref="FormReader"/> does (a
    /// differential test holds it to that over the fuzz corpus): pairs split at '&amp;', each at its first '=';
    /// '+' is a space; %XX is unescaped as by <see cref="Uri.UnescapeDataString(string)"/>; values are not trimmed.
    /// Synchronous and span-based over the buffered body, so a webhook's fields cost one string each and no more.
    /// </summary>
    internal static List<KeyValuePair<string, string>> ParseForm(ReadOnlySpan<byte> body)
    {
        if (body.Length >= 2 && body[0] is 0xEF or 0xFE or 0xFF or 0x00)
        {
            // A byte-order mark makes FormReader's StreamReader switch encoding (UTF-16/32) or drop it (UTF-8).
            // Twilio never sends one; rather than re-implement that detection, such a body takes FormReader itself.
            return ParseWithFormReader(body.ToArray());
        }

        var result = new List<KeyValuePair<string, string>>(Math.Min(body.Count((byte)'&') + 1, FormValueCountLimit + 1));
        while (!body.IsEmpty)
        {
            // The key runs to the first '=' (FormReader reads a key up to '=', across any '&'); the value to the next '&'.
            var eq = body.IndexOf((byte)'=');
            if (eq < 0)
            {
                // A trailing word with no '=': FormReader reads it as a key, finds no value, and drops it.
                if (TooLong(body, FormKeyLengthLimit))
                {
                    throw new InvalidDataException("Form key length limit exceeded.");
                }

                break;
            }

            var rawKey = body[..eq];
            var rest = body[(eq + 1)..];
            var amp = rest.IndexOf((byte)'&');
            var rawValue = amp < 0 ? rest : rest[..amp];
            if (TooLong(rawKey, FormKeyLengthLimit) || TooLong(rawValue, FormValueLengthLimit))
            {
                throw new InvalidDataException("Form key or value length limit exceeded.");
            }

            result.Add(new(Decode(rawKey), Decode(rawValue)));
            if (result.Count > FormValueCountLimit)
            {
                throw new InvalidDataException("Form value count limit exceeded.");
            }

            body = amp < 0 ? [] : rest[(amp + 1)..];
        }

        return result;
    }

    private static List<KeyValuePair<string, string>> ParseWithFormReader(byte[] body)
    {
        using var reader = new FormReader(new MemoryStream(body, writable: false), Encoding.UTF8)
        {
            ValueCountLimit = FormValueCountLimit,
            KeyLengthLimit = FormKeyLengthLimit,
            ValueLengthLimit = FormValueLengthLimit,
        };
        var result = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in reader.ReadForm())
        {
            foreach (var v in values)
            {
                result.Add(new(key, v ?? string.Empty));
            }
        }

        return result;
    }

    /// <summary>FormReader's limits count decoded characters, not bytes (a 3-byte Vietnamese letter is one).</summary>
    private static bool TooLong(ReadOnlySpan<byte> raw, int limit) => raw.Length > limit && Encoding.UTF8.GetCharCount(raw) > limit;

    private static string Decode(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty)
        {
            return string.Empty;
        }

        var text = Encoding.UTF8.GetString(raw);
        if (raw.IndexOfAny((byte)'+', (byte)'%') < 0)
        {
            return text;
        }

        return Uri.UnescapeDataString(text.Replace('+', ' '));
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
