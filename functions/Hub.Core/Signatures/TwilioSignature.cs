using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Signatures;

/// <summary>
/// <c>X-Twilio-Signature</c>, implemented from the wire protocol (docs/protocols/twilio.md#signature and #body-sha256; the algorithm of
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
        Span<byte> mac = stackalloc byte[MacSize];
        Mac(authToken, url, Sorted(parameters.ToArray()), mac);
        return Convert.ToBase64String(mac);
    }

    /// <summary>True when <paramref name="header"/> signs the form for <paramref name="url"/> or its port variant.</summary>
    public static bool IsValid(string authToken, string url, IReadOnlyList<KeyValuePair<string, string>> parameters, string? header)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(parameters);
        if (string.IsNullOrEmpty(header) || string.IsNullOrEmpty(authToken))
        {
            return false;
        }

        // Compared as Base64 text, exactly (as Twilio's libraries do: a non-canonical encoding of the same bytes is
        // refused), in constant time and without allocating.
        var given = header.AsSpan().Trim();
        if (given.Length != Base64Size)
        {
            return false;
        }

        var sorted = new KeyValuePair<string, string>[parameters.Count];
        for (var i = 0; i < sorted.Length; i++)
        {
            sorted[i] = parameters[i];
        }

        Sorted(sorted);
        if (Matches(authToken, url, sorted, given))
        {
            return true;
        }

        var variant = PortVariant(url);
        return variant is not null && Matches(authToken, variant, sorted, given);
    }

    private const int MacSize = 20;
    private const int Base64Size = 28;

    private static bool Matches(string authToken, string url, KeyValuePair<string, string>[] sorted, ReadOnlySpan<char> given)
    {
        Span<byte> mac = stackalloc byte[MacSize];
        Mac(authToken, url, sorted, mac);
        Span<char> expected = stackalloc char[Base64Size];
        return Convert.TryToBase64Chars(mac, expected, out var n) && n == Base64Size
            && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(given));
    }

    /// <summary>Repeated keys: key+value once per value, values sorted (twilio-node's rule).</summary>
    private static KeyValuePair<string, string>[] Sorted(KeyValuePair<string, string>[] parameters)
    {
        Array.Sort(parameters, static (a, b) =>
        {
            var byKey = string.CompareOrdinal(a.Key, b.Key);
            return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
        });
        return parameters;
    }

    /// <summary>
    /// HMAC-SHA1 over url + key1 + value1 + … in UTF-8: the pieces are encoded into one pooled buffer and hashed
    /// one-shot (a fresh incremental HMAC context per request costs more than the hashing itself).
    /// </summary>
    private static void Mac(string authToken, string url, KeyValuePair<string, string>[] sorted, Span<byte> destination)
    {
        var length = Encoding.UTF8.GetByteCount(url);
        foreach (var (k, v) in sorted)
        {
            length += Encoding.UTF8.GetByteCount(k) + Encoding.UTF8.GetByteCount(v);
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        Span<byte> key = stackalloc byte[256];
        byte[]? rentedKey = null;
        try
        {
            var n = Encoding.UTF8.GetBytes(url, buffer);
            foreach (var (k, v) in sorted)
            {
                n += Encoding.UTF8.GetBytes(k, buffer.AsSpan(n));
                n += Encoding.UTF8.GetBytes(v, buffer.AsSpan(n));
            }

            var keyLength = Encoding.UTF8.GetByteCount(authToken);
            if (keyLength > key.Length)
            {
                key = rentedKey = System.Buffers.ArrayPool<byte>.Shared.Rent(keyLength);
            }

            keyLength = Encoding.UTF8.GetBytes(authToken, key);
#pragma warning disable CA5350 // HMAC-SHA1 is what Twilio signs with; we verify, we do not choose.
            HMACSHA1.HashData(key[..keyLength], buffer.AsSpan(0, n), destination);
#pragma warning restore CA5350
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            if (rentedKey is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rentedKey);
            }
        }
    }

    /// <summary>
    /// JSON-body requests: the signature covers the URL alone (which carries <c>bodySHA256</c>), and the
    /// body must hash to that value (docs/protocols/twilio.md#body-sha256).
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
