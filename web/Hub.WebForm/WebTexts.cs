using Hub.Bots.Dialog;
using Hub.Core.Taxonomy;

namespace Hub.WebForm;

/// <summary>One choice of a radio group, a checkbox list or a select: the value posted and the words shown.</summary>
public sealed record Choice(string Value, string Label);

/// <summary>
/// The form's choices in a child's words. "What happened" and the age bands are the chatbot's own
/// (<see cref="BotTexts"/>), so a report reads the same whichever channel it came through.
/// </summary>
public static class WebTexts
{
    public const string Self = "self";
    public const string OtherChild = "other-child";
    public const string Parent = "parent";
    public const string Teacher = "teacher";
    public const string Other = "other";

    public static readonly IReadOnlyList<Choice> Who =
    [
        new(Self, "Em kể chuyện của chính em"),
        new(OtherChild, "Em kể chuyện của một bạn khác"),
        new(Parent, "Tôi là cha mẹ hoặc người thân của trẻ"),
        new(Teacher, "Tôi là thầy cô giáo"),
        new(Other, "Người khác"),
    ];

    public static readonly IReadOnlyList<Choice> What = BotTexts.WhatChoices.Select(c => new Choice(c.Category, c.Choice.Title)).ToList();

    public static readonly IReadOnlyList<Choice> Ages = BotTexts.AgeChoices.Select(c => new Choice(c.Band, c.Choice.Title)).ToList();

    public static readonly IReadOnlyList<Choice> Platforms =
    [
        new(string.Empty, "Chọn nơi xảy ra (không bắt buộc)"),
        new("facebook", "Facebook"),
        new("messenger", "Messenger"),
        new("zalo", "Zalo"),
        new("tiktok", "TikTok"),
        new("youtube", "YouTube"),
        new("instagram", "Instagram"),
        new("telegram", "Telegram"),
        new("discord", "Discord"),
        new("game", "Trò chơi trực tuyến"),
        new("website", "Một trang web"),
        new("other", "Nơi khác"),
    ];

    public static readonly IReadOnlyList<Choice> ContactKinds =
    [
        new("phone", "Số điện thoại"),
        new("zalo", "Số Zalo"),
        new("email", "Email"),
    ];

    /// <summary>The 34 provincial units' names, offered as suggestions; a pre-2025 name typed instead is accepted too.</summary>
    public static readonly IReadOnlyList<string> ProvinceNames = Provinces.All.Select(p => p.Name).ToList();

    public static string LabelOf(IReadOnlyList<Choice> choices, string? value) =>
        choices.FirstOrDefault(c => string.Equals(c.Value, value, StringComparison.Ordinal))?.Label ?? string.Empty;
}
