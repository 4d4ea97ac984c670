using Hub.Core.Text;

namespace Hub.Functions.Channels;

public enum SmsKeyword
{
    None,
    Stop,
    Start,
    Help,
}

/// <summary>
/// Carrier-style keywords, matched only when they are the whole message (accent-folded). A child who
/// writes "giúp em với" is asking for help, not for the HELP text: only the exact words below are keywords.
/// </summary>
public static class SmsKeywords
{
    private static readonly Dictionary<string, SmsKeyword> Words = new(StringComparer.Ordinal)
    {
        ["stop"] = SmsKeyword.Stop,
        ["stopall"] = SmsKeyword.Stop,
        ["unsubscribe"] = SmsKeyword.Stop,
        ["cancel"] = SmsKeyword.Stop,
        ["end"] = SmsKeyword.Stop,
        ["quit"] = SmsKeyword.Stop,
        ["huy"] = SmsKeyword.Stop,
        ["tu choi"] = SmsKeyword.Stop,
        ["start"] = SmsKeyword.Start,
        ["unstop"] = SmsKeyword.Start,
        ["yes"] = SmsKeyword.Start,
        ["help"] = SmsKeyword.Help,
        ["info"] = SmsKeyword.Help,
        ["tro giup"] = SmsKeyword.Help,
        ["huong dan"] = SmsKeyword.Help,
    };

    public const string HelpText = "Tổng đài 111 bảo vệ trẻ em, miễn phí 24/7. Nhắn nội dung để báo.";

    public static SmsKeyword Match(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 20)
        {
            return SmsKeyword.None;
        }

        var key = string.Join(' ', VietnameseText.Fold(text).Split([' ', '.', '!', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return Words.GetValueOrDefault(key, SmsKeyword.None);
    }
}
