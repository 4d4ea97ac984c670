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
        return GroupedCode.From(mac, 5);
    }

    /// <summary>Canonical form of a secret a person typed: upper case, O→0, I/L→1, spaces and dashes ignored; null if it cannot be one.</summary>
    public static string? Parse(string? typed) => GroupedCode.Parse(typed, 5);

    /// <summary>Whether <paramref name="typed"/> is the secret of <paramref name="referenceCode"/>, compared in constant time.</summary>
    public static bool Matches(ReadOnlySpan<byte> key, string referenceCode, string? typed) =>
        Parse(typed) is { } secret && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(secret), Encoding.ASCII.GetBytes(For(key, referenceCode)));
}
