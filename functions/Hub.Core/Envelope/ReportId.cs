using System.Security.Cryptography;

namespace Hub.Core.Envelope;

/// <summary>
/// ULIDs (48-bit millisecond time + 80 random bits, Crockford base32): ids sort by receipt time,
/// which keeps table scans and queue listings in arrival order without a coordinator.
/// </summary>
public static class ReportId
{
    internal const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string New(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Span<byte> bytes = stackalloc byte[16];
        var ms = (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(ms & 0xFF);
            ms >>= 8;
        }

        RandomNumberGenerator.Fill(bytes[6..]);
        return Encode(bytes);
    }

    /// <summary>The receipt time encoded in a ULID, or null when the text is not one.</summary>
    public static DateTimeOffset? TimeOf(string ulid)
    {
        if (ulid is not { Length: 26 })
        {
            return null;
        }

        ulong ms = 0;
        for (var i = 0; i < 10; i++)
        {
            var v = Crockford.IndexOf(char.ToUpperInvariant(ulid[i]), StringComparison.Ordinal);
            if (v < 0)
            {
                return null;
            }

            ms = (ms << 5) | (uint)v;
        }

        // 48 bits can exceed year 9999 (a hostile id, found by the fuzz suite): not a ULID this hub made.
        return ms <= (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : null;
    }

    private static string Encode(ReadOnlySpan<byte> b)
    {
        // 128 bits -> 26 chars; the first char carries the top 3 bits.
        UInt128 value = 0;
        foreach (var x in b)
        {
            value = (value << 8) | x;
        }

        Span<char> chars = stackalloc char[26];
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Crockford[(int)(value & 31)];
            value >>= 5;
        }

        return new string(chars);
    }
}
