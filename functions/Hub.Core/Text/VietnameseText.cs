using System.Globalization;
using System.Text;

namespace Hub.Core.Text;

/// <summary>
/// Vietnamese text rules (docs/protocols/vietnamese-text.md#nfc): store NFC, compare ordinally, and match on an
/// accent-folded key so "toi bi doa" finds "tôi bị dọa" whatever form (NFC/NFD) the keyboard produced.
/// </summary>
public static class VietnameseText
{
    /// <summary>NFC with control characters (other than tab and newlines) removed.</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        text = ReplaceInvalidCodePoints(text);
        var nfc = text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        if (!nfc.AsSpan().ContainsAnyInRange('\0', '\u001F') && !nfc.Contains('\u007F', StringComparison.Ordinal))
        {
            return nfc;
        }

        var sb = new StringBuilder(nfc.Length);
        foreach (var c in nfc)
        {
            if (!char.IsControl(c) || c is '\n' or '\r' or '\t')
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>Accent-free lower-case key for matching: NFD, drop combining marks, đ→d.</summary>
    public static string Fold(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var nfd = ReplaceInvalidCodePoints(text).Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(nfd.Length);
        foreach (var c in nfd)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            sb.Append(c switch
            {
                'đ' or 'Đ' => 'd',
                _ => char.ToLowerInvariant(c),
            });
        }

        return sb.ToString();
    }

    /// <summary>
    /// Code points that are not text make .NET's normalisation throw: a lone UTF-16 surrogate (a JSON
    /// <c>"\ud800"</c>, an emoji cut in half) and the noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF, and the last
    /// two of every plane). They become U+FFFD, as invalid UTF-8 already does, so a child's broken emoji can never
    /// turn a report into a 500 that the provider retries forever (found by the fuzz suite).
    /// </summary>
    public static string ReplaceInvalidCodePoints(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') && !text.AsSpan().ContainsAnyInRange('\uFDD0', '\uFDEF')
            && !text.Contains('\uFFFE', StringComparison.Ordinal) && !text.Contains('\uFFFF', StringComparison.Ordinal))
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                if ((char.ConvertToUtf32(chars[i], chars[i + 1]) & 0xFFFE) == 0xFFFE)
                {
                    chars[i] = '\uFFFD';
                    chars[i + 1] = '\uFFFD';
                }

                i++;
            }
            else if (char.IsSurrogate(chars[i]) || chars[i] is '\uFFFE' or '\uFFFF' or (>= '\uFDD0' and <= '\uFDEF'))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }

    /// <summary>
    /// False when Unicode normalisation is a no-op (globalization-invariant mode or missing ICU):
    /// the hub refuses to start then, because NFC storage and accent-insensitive matching would silently break.
    /// </summary>
    public static bool NormalizationWorks() =>
        string.Equals("e\u0302\u0301".Normalize(NormalizationForm.FormC), "\u1EBF", StringComparison.Ordinal);
}
