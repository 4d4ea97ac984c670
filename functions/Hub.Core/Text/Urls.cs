using System.Text.RegularExpressions;

namespace Hub.Core.Text;

/// <summary>The links a reporter wrote, wherever they wrote them (an SMS, a chat message): one rule for every channel.</summary>
public static partial class Urls
{
    public const int MaxPerReport = 20;

    /// <summary>http(s) links in <paramref name="text"/>, trailing punctuation trimmed, distinct, in order, at most <see cref="MaxPerReport"/>.</summary>
    public static IReadOnlyList<string> Extract(string? text) =>
        string.IsNullOrEmpty(text)
            ? []
            : UrlPattern().Matches(text)
                .Select(m => m.Value.TrimEnd('.', ',', ')', ';', '!', '?'))
                .Where(u => u.Length > "https://".Length + 2)
                .Distinct(StringComparer.Ordinal)
                .Take(MaxPerReport)
                .ToList();

    // Bounded: a hostile text cannot make matching slow (timeout), nor a link longer than 2 KB.
    [GeneratedRegex(@"\bhttps?://[^\s<>""']{3,2000}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex UrlPattern();
}
