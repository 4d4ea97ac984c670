using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Envelope;

/// <summary>
/// The short code a reporter quotes (e.g. <c>7K2Q-9XHM</c>): 40 bits of a keyed HMAC of the dedup key,
/// in Crockford base32 (no I, L, O, U: easy to read aloud and type on a phone keypad).
/// Deterministic on purpose: a provider's retried delivery of the same message gets the same code.
/// </summary>
public static class ReferenceCode
{
    public static string For(ReadOnlySpan<byte> key, string dedupKey)
    {
        ArgumentNullException.ThrowIfNull(dedupKey);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("ref-code\n" + dedupKey), mac);
        ulong v = 0;
        for (var i = 0; i < 5; i++)
        {
            v = (v << 8) | mac[i];
        }

        Span<char> chars = stackalloc char[9];
        var pos = 8;
        for (var i = 0; i < 8; i++)
        {
            if (pos == 4)
            {
                chars[pos--] = '-';
            }

            chars[pos--] = ReportId.Crockford[(int)(v & 31)];
            v >>= 5;
        }

        return new string(chars);
    }

    /// <summary>Canonical form of a code a person typed: upper case, O→0, I/L→1, dash restored.</summary>
    public static string? Parse(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed))
        {
            return null;
        }

        var sb = new StringBuilder(9);
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

        return sb.Length == 8 ? sb.Insert(4, '-').ToString() : null;
    }
}
