using System.Globalization;
using System.Text;

namespace Hub.Core.Text;

/// <summary>
/// Vietnamese text rules (channels.md §6.1): store NFC, compare ordinally, and match on an
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

        var nfd = text.Normalize(NormalizationForm.FormD);
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
    /// False when Unicode normalisation is a no-op (globalization-invariant mode or missing ICU):
    /// the hub refuses to start then, because NFC storage and accent-insensitive matching would silently break.
    /// </summary>
    public static bool NormalizationWorks() =>
        string.Equals("e\u0302\u0301".Normalize(NormalizationForm.FormC), "\u1EBF", StringComparison.Ordinal);
}
