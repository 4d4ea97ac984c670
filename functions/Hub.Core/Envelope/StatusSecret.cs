using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Envelope;

/// <summary>
/// The web form's status secret: HMAC(key, reference code), 50 bits in Crockford base32 as <c>XXXXX-XXXXX</c>. The hub
/// stores nothing for it (so a spooled report, and a double submit, show the same secret), and nobody without the key
/// can compute one: together with the rate limit on lookups, guessing is out of reach.
/// </summary>
public static class StatusSecret
{
    public static string For(ReadOnlySpan<byte> key, string referenceCode)
    {
        ArgumentNullException.ThrowIfNull(referenceCode);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("web-status\n" + referenceCode), mac);
        ulong v = 0;
        for (var i = 0; i < 7; i++)
        {
            v = (v << 8) | mac[i];
        }

        Span<char> chars = stackalloc char[11];
        var pos = 10;
        for (var i = 0; i < 10; i++)
        {
            if (pos == 5)
            {
                chars[pos--] = '-';
            }

            chars[pos--] = ReportId.Crockford[(int)(v & 31)];
            v >>= 5;
        }

        return new string(chars);
    }

    /// <summary>Canonical form of a secret a person typed: upper case, O→0, I/L→1, spaces and dashes ignored; null if it cannot be one.</summary>
    public static string? Parse(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed) || typed.Length > 40)
        {
            return null;
        }

        var sb = new StringBuilder(11);
        foreach (var c in typed.Trim().ToUpperInvariant())
        {
            var d = c switch { 'O' => '0', 'I' or 'L' => '1', _ => c };
            if (ReportId.Crockford.Contains(d, StringComparison.Ordinal))
            {
                sb.Append(d);
            }
            else if (c is not ('-' or ' '))
            {
                return null;
            }
        }

        return sb.Length == 10 ? sb.Insert(5, '-').ToString() : null;
    }

    /// <summary>Whether <paramref name="typed"/> is the secret of <paramref name="referenceCode"/>, compared in constant time.</summary>
    public static bool Matches(ReadOnlySpan<byte> key, string referenceCode, string? typed) =>
        Parse(typed) is { } secret && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(secret), Encoding.ASCII.GetBytes(For(key, referenceCode)));
}
