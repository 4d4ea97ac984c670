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
        return GroupedCode.From(mac, 4);
    }

    /// <summary>Canonical form of a code a person typed: upper case, O→0, I/L→1, dash restored.</summary>
    public static string? Parse(string? typed) => GroupedCode.Parse(typed, 4);
}
