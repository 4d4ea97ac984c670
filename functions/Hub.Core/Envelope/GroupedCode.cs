using System.Text;

namespace Hub.Core.Envelope;

/// <summary>
/// Codes people read aloud and type on a phone: the leading bits of a MAC in Crockford base32 (no I, L, O, U), in two
/// groups joined by a dash; typed back loosely (any case, O for 0, I or L for 1, spaces and dashes anywhere).
/// The reference code (<c>7K2Q-9XHM</c>) and the web form's status secret (<c>ABCDE-12345</c>) are two of them.
/// </summary>
internal static class GroupedCode
{
    /// <summary>The first <c>2 × <paramref name="group"/></c> base32 digits of <paramref name="mac"/> (big-endian), as <c>group-group</c>.</summary>
    public static string From(ReadOnlySpan<byte> mac, int group)
    {
        var digits = group * 2;
        var bytes = (digits * 5 + 7) / 8;
        ulong v = 0;
        for (var i = 0; i < bytes; i++)
        {
            v = (v << 8) | mac[i];
        }

        // The digits are the low 5 × digits bits of those bytes (for the reference code, exactly its 5 bytes).
        Span<char> chars = stackalloc char[digits + 1];
        var pos = digits;
        for (var i = 0; i < digits; i++)
        {
            if (pos == group)
            {
                chars[pos--] = '-';
            }

            chars[pos--] = ReportId.Crockford[(int)(v & 31)];
            v >>= 5;
        }

        return new string(chars);
    }

    /// <summary>Canonical form of a code typed loosely; null when it cannot be one of <c>2 × <paramref name="group"/></c> digits.</summary>
    public static string? Parse(string? typed, int group)
    {
        if (string.IsNullOrWhiteSpace(typed) || typed.Length > 4 * group * 2)
        {
            return null;
        }

        var sb = new StringBuilder((group * 2) + 1);
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

        return sb.Length == group * 2 ? sb.Insert(group, '-').ToString() : null;
    }
}
