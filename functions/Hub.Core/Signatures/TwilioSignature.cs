using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Signatures;

/// <summary>
/// <c>X-Twilio-Signature</c>, implemented from the wire protocol (channels.md §1.3–1.4; the algorithm of
/// twilio-csharp's RequestValidator): Base64(HMAC-SHA1(AuthToken, url + key1 + value1 + …)) with keys
/// sorted ordinally, accepted for the URL as configured or its port variant.
/// </summary>
public static class TwilioSignature
{
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(parameters);
        var sb = new StringBuilder(url, url.Length + 256);
        // Repeated keys: key+value once per value, values sorted (twilio-node's rule).
        foreach (var p in parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            sb.Append(p.Key).Append(p.Value);
        }

        return Sign(authToken, sb.ToString());
    }

    /// <summary>True when <paramref name="header"/> signs the form for <paramref name="url"/> or its port variant.</summary>
    public static bool IsValid(string authToken, string url, IReadOnlyList<KeyValuePair<string, string>> parameters, string? header)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (string.IsNullOrEmpty(header) || string.IsNullOrEmpty(authToken))
        {
            return false;
        }

        if (Matches(Compute(authToken, url, parameters), header))
        {
            return true;
        }

        var variant = PortVariant(url);
        return variant is not null && Matches(Compute(authToken, variant, parameters), header);
    }

    /// <summary>
    /// JSON-body requests: the signature covers the URL alone (which carries <c>bodySHA256</c>), and the
    /// body must hash to that value (channels.md §1.4).
    /// </summary>
    public static bool IsValidWithBody(string authToken, string url, ReadOnlySpan<byte> body, string? header)
    {
        ArgumentNullException.ThrowIfNull(url);
        var declared = QueryValue(url, "bodySHA256");
        if (declared is null || !IsValid(authToken, url, [], header))
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        var actual = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hash));
        return CryptographicOperations.FixedTimeEquals(actual, Encoding.ASCII.GetBytes(declared));
    }

    /// <summary>
    /// The URL with its explicit port removed, or with the scheme's default port added when it has none.
    /// Done on the string, not <see cref="Uri"/>, because Twilio signs host case and user info as given.
    /// </summary>
    public static string? PortVariant(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return null;
        }

        var scheme = url[..schemeEnd];
        var authStart = schemeEnd + 3;
        var authEnd = url.IndexOfAny(['/', '?', '#'], authStart);
        if (authEnd < 0)
        {
            authEnd = url.Length;
        }

        var authority = url[authStart..authEnd];
        var hostStart = authority.LastIndexOf('@') + 1;
        var bracket = authority.LastIndexOf(']');
        var colon = authority.LastIndexOf(':');
        var hasPort = colon >= hostStart && colon > bracket;
        string newAuthority;
        if (hasPort)
        {
            newAuthority = authority[..colon];
        }
        else
        {
            var defaultPort = scheme.ToUpperInvariant() switch
            {
                "HTTPS" => "443",
                "HTTP" => "80",
                _ => null,
            };
            if (defaultPort is null)
            {
                return null;
            }

            newAuthority = authority + ":" + defaultPort;
        }

        return string.Concat(url.AsSpan(0, authStart), newAuthority, url.AsSpan(authEnd));
    }

    private static string Sign(string authToken, string data)
    {
#pragma warning disable CA5350 // HMAC-SHA1 is what Twilio signs with; we verify, we do not choose.
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data));
#pragma warning restore CA5350
        return Convert.ToBase64String(mac);
    }

    private static bool Matches(string expected, string header) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.UTF8.GetBytes(header.Trim()));

    private static string? QueryValue(string url, string name)
    {
        var q = url.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return null;
        }

        foreach (var part in url[(q + 1)..].Split('&'))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && string.Equals(part[..eq], name, StringComparison.Ordinal))
            {
                return Uri.UnescapeDataString(part[(eq + 1)..]);
            }
        }

        return null;
    }
}
