namespace Hub.Core.Privacy;

/// <summary>Vietnamese phone numbers to E.164 (docs/sms-gateway.md): <c>0xxxxxxxxx</c> and <c>84xxxxxxxxx</c> become <c>+84…</c>.</summary>
public static class Msisdn
{
    public static string Normalize(string? number)
    {
        if (string.IsNullOrWhiteSpace(number))
        {
            return string.Empty;
        }

        Span<char> digits = stackalloc char[Math.Min(number.Length, 32)];
        var n = 0;
        var plus = false;
        foreach (var c in number.Trim())
        {
            if (c == '+' && n == 0 && !plus)
            {
                plus = true;
            }
            else if (char.IsAsciiDigit(c) && n < digits.Length)
            {
                digits[n++] = c;
            }
            else if (c is not (' ' or '-' or '.' or '(' or ')'))
            {
                return number.Trim(); // not a phone number (a channel address, a short code with letters)
            }
        }

        var d = new string(digits[..n]);
        if (plus)
        {
            return "+" + d;
        }

        if (d.StartsWith("84", StringComparison.Ordinal) && d.Length is 11 or 12)
        {
            return "+" + d;
        }

        if (d.StartsWith('0') && d.Length is 10 or 11 && !d.StartsWith("00", StringComparison.Ordinal))
        {
            return "+84" + d[1..];
        }

        if (d.StartsWith("00", StringComparison.Ordinal) && d.Length > 4)
        {
            return "+" + d[2..];
        }

        return d; // a short code such as 111 or 8xxx stays as it is
    }
}
