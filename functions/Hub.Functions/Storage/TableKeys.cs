using System.Text;

namespace Hub.Functions.Storage;

/// <summary>
/// Table PartitionKey/RowKey values must not contain <c>/ \ # ?</c> or control characters and are at most
/// 1 KiB. Provider ids are not ours to trust, so they are percent-escaped (reversibly) before use as keys.
/// </summary>
public static class TableKeys
{
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!NeedsEscape(value))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (IsForbidden(c) || c == '%')
            {
                sb.Append('%').Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static bool NeedsEscape(string value)
    {
        foreach (var c in value)
        {
            if (IsForbidden(c) || c == '%')
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsForbidden(char c) => c is '/' or '\\' or '#' or '?' || char.IsControl(c) || char.IsSurrogate(c);
}
