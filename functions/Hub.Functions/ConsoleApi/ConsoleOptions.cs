namespace Hub.Functions.ConsoleApi;

/// <summary><c>Hub:Console</c>: what the operator console offers beyond the API.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Hub:Console";

    /// <summary>Canned answers a counsellor can pick in a live chat, in Vietnamese, short and kind.</summary>
    public static readonly IReadOnlyList<string> DefaultQuickReplies =
    [
        "Chào em, anh/chị là tư vấn viên của Tổng đài 111. Em có an toàn không?",
        "Cảm ơn em đã tin tưởng kể cho anh/chị. Đây không phải lỗi của em.",
        "Em có thể kể thêm chuyện xảy ra khi nào và ở đâu không?",
        "Nếu em đang gặp nguy hiểm ngay lúc này, hãy gọi 111 (miễn phí, 24/7).",
        "Em đừng xoá tin nhắn hay gửi thêm ảnh cho người đó nhé. Hãy chụp màn hình và giữ lại.",
        "Anh/chị vẫn đang ở đây. Em cứ từ từ nhắn nhé.",
    ];

    /// <summary>Configured canned answers (an array replaces the defaults entirely); empty: the defaults.</summary>
    public string[]? QuickReplies { get; set; }

    public IReadOnlyList<string> Replies => QuickReplies is { Length: > 0 } configured ? configured : DefaultQuickReplies;
}
