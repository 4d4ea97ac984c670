namespace Hub.Bots.Dialog;

/// <summary>
/// Everything the bot says, in short Vietnamese written for a child: one idea per message, "mình" for the bot
/// and "bạn" for the child (kind for a 10-year-old, not childish for a parent). Kept in one place so a
/// counsellor can review the wording without reading code.
/// </summary>
public static class BotTexts
{
    public const string Greeting = "Chào bạn, mình là trợ lý của Tổng đài 111 – Tổng đài quốc gia bảo vệ trẻ em. Bạn có thể kể cho mình nghe điều đã xảy ra.";
    public const string Privacy = "Mình chỉ lưu những gì bạn kể để người lớn có trách nhiệm giúp bạn. Bạn không cần nói tên thật.";
    public const string AskDanger = "Bạn có đang gặp nguy hiểm ngay lúc này không?";
    public const string AskDangerAgain = "Bạn trả lời Có hoặc Không giúp mình nhé: bạn có đang gặp nguy hiểm ngay lúc này không?";
    public const string DangerNow = "Hãy gọi ngay 111 (miễn phí, cả ngày lẫn đêm). Nếu có người đang làm hại bạn, gọi 113. Mình đã báo cho tư vấn viên, mã của bạn là {code}.";
    public const string OfferPerson = "Bạn muốn nói chuyện với người thật, hay kể tiếp cho mình?";
    public const string AskWhat = "Chuyện gì đã xảy ra? Bạn chọn một ý, hoặc tự kể bằng lời của mình nhé.";
    public const string AskWho = "Chuyện này xảy ra với ai?";
    public const string AskAgeSelf = "Bạn bao nhiêu tuổi?";
    public const string AskAgeOther = "Người đó bao nhiêu tuổi?";
    public const string AskWhere = "Bạn đang ở tỉnh, thành phố nào? Bạn gõ tên hoặc chọn bên dưới.";
    public const string AskWhereAgain = "Mình chưa nhận ra tên đó. Bạn gõ lại tên tỉnh (ví dụ: Nghệ An), hoặc chọn Bỏ qua.";
    public const string AskEvidence = "Nếu có, bạn gửi cho mình đường link hoặc ảnh chụp màn hình. Gửi xong thì bấm Xong.";
    public const string EvidenceReceived = "Mình đã nhận được. Bạn gửi thêm, hoặc bấm Xong.";
    public const string Summary = "Cảm ơn bạn đã tin mình. Mình đã ghi lại: {summary}. Mã báo cáo của bạn là {code}. Tư vấn viên 111 sẽ xem và giúp bạn.";
    public const string AnythingElse = "Bạn còn muốn kể gì thêm không?";
    public const string Goodbye = "Cảm ơn bạn. Khi cần, bạn cứ nhắn cho mình hoặc gọi 111 nhé. Bạn không có lỗi gì cả.";
    public const string TellMore = "Bạn kể thêm đi, mình đang nghe. Kể xong thì bấm Xong.";
    public const string FollowUpSaved = "Mình đã ghi thêm vào báo cáo, mã {code}. Cảm ơn bạn.";
    public const string Handoff = "Mình đã chuyển cho tư vấn viên của Tổng đài 111, họ sẽ nhắn cho bạn sớm. Nếu đang nguy hiểm, hãy gọi ngay 111. Mã của bạn là {code}.";
    public const string IdleSaved = "Mình đã lưu những gì bạn kể (mã {code}). Khi cần, bạn cứ nhắn lại hoặc gọi 111 nhé.";
    public const string NotUnderstood = "Mình chưa hiểu ý bạn. Bạn chọn một ý bên dưới, hoặc gõ \"gặp người thật\" để nói chuyện với tư vấn viên.";

    public const string PayloadYes = "YES";
    public const string PayloadNo = "NO";
    public const string PayloadHandoff = "HANDOFF";
    public const string PayloadDone = "DONE";
    public const string PayloadSkip = "SKIP";
    public const string PayloadContinue = "CONTINUE";

    public static readonly Choice Person = new("Gặp người thật", PayloadHandoff);

    public static readonly Choice[] DangerChoices = [new("Có, mình đang sợ", PayloadYes), new("Không", PayloadNo), Person];

    public static readonly Choice[] AfterDanger = [Person, new("Kể tiếp", PayloadContinue)];

    /// <summary>What-happened choices, each mapped to a hub taxonomy code (docs/taxonomy.md#categories), in a child's words.</summary>
    public static readonly (Choice Choice, string Category)[] WhatChoices =
    [
        (new("Bị dọa tung ảnh", "CAT:OCSEA.SEXTORTION"), "OCSEA.SEXTORTION"),
        (new("Người lạ gạ gẫm", "CAT:OCSEA.GROOMING"), "OCSEA.GROOMING"),
        (new("Ảnh bị phát tán", "CAT:OCSEA.SELF_GENERATED"), "OCSEA.SELF_GENERATED"),
        (new("Bị bắt nạt", "CAT:ONLINE.BULLYING"), "ONLINE.BULLYING"),
        (new("Bị lừa đảo", "CAT:ONLINE.FRAUD"), "ONLINE.FRAUD"),
        (new("Bị đánh, bạo lực", "CAT:VIOL.PHYSICAL"), "VIOL.PHYSICAL"),
        (new("Bị xâm hại", "CAT:VIOL.SEXUAL"), "VIOL.SEXUAL"),
        (new("Muốn làm đau mình", "CAT:WELLBEING.SELF_HARM"), "WELLBEING.SELF_HARM"),
        (new("Chuyện khác", "CAT:OTHER"), "OTHER"),
    ];

    public static readonly (Choice Choice, string Victim)[] WhoChoices =
    [
        (new("Với mình", "WHO:self"), "self"),
        (new("Với bạn của mình", "WHO:friend"), "friend"),
        (new("Người khác", "WHO:other"), "other"),
    ];

    public static readonly (Choice Choice, string Band)[] AgeChoices =
    [
        (new("Dưới 10", "AGE:under-10"), "under-10"),
        (new("10–13", "AGE:10-13"), "10-13"),
        (new("14–15", "AGE:14-15"), "14-15"),
        (new("16–17", "AGE:16-17"), "16-17"),
        (new("18 trở lên", "AGE:adult"), "adult"),
        (new("Không muốn nói", "AGE:unknown"), "unknown"),
    ];

    /// <summary>The most populous units as shortcuts; any of the 34 (or a pre-2025 name) can be typed.</summary>
    public static readonly (Choice Choice, string Code)[] WhereChoices =
    [
        (new("Hà Nội", "PROV:01"), "01"),
        (new("TP. Hồ Chí Minh", "PROV:79"), "79"),
        (new("Đà Nẵng", "PROV:48"), "48"),
        (new("Hải Phòng", "PROV:31"), "31"),
        (new("Bỏ qua", PayloadSkip), string.Empty),
    ];

    public static readonly Choice[] EvidenceChoices = [new("Xong", PayloadDone), new("Không có", PayloadSkip)];

    public static readonly Choice[] AnythingElseChoices = [new("Không, cảm ơn", PayloadNo), new("Có", PayloadYes), Person];
}
