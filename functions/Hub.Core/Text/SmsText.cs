namespace Hub.Core.Text;

/// <summary>
/// SMS segment arithmetic (docs/protocols/vietnamese-text.md#sms-segments): GSM-7 160/153, UCS-2 70/67 UTF-16 units.
/// Almost every accented Vietnamese message is UCS-2, so replies are written to fit 70 units.
/// </summary>
public static class SmsText
{
    // GSM 03.38 basic character set (the escape char excluded); extension-table chars cost two septets.
    private const string Gsm7Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Gsm7Extension = "^{}\\[~]|€\f";

    public static bool IsGsm7(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text)
        {
            if (!Gsm7Basic.Contains(c, StringComparison.Ordinal) && !Gsm7Extension.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Number of SMS segments the text costs.</summary>
    public static int Segments(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsGsm7(text))
        {
            var septets = 0;
            foreach (var c in text)
            {
                septets += Gsm7Extension.Contains(c, StringComparison.Ordinal) ? 2 : 1;
            }

            return septets <= 160 ? 1 : (septets + 152) / 153;
        }

        // UCS-2 counts UTF-16 code units (an emoji costs 2).
        return text.Length <= 70 ? 1 : (text.Length + 66) / 67;
    }
}
