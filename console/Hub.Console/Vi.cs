using System.Globalization;
using Hub.Core.Taxonomy;

namespace Hub.OperatorConsole;

/// <summary>
/// Every word the console shows, in Vietnamese: the API's codes (channels, statuses, urgencies, reasons, roles)
/// become labels here and nowhere else; times are shown in Asia/Ho_Chi_Minh, as "3 phút trước" beside the clock time.
/// </summary>
public static class Vi
{
    public static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("vi-VN");

    /// <summary>Vietnam has one time zone and no daylight saving; the fixed offset is the fallback where tzdata is missing.</summary>
    public static readonly TimeZoneInfo Zone = FindZone();

    private static TimeZoneInfo FindZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh");
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.CreateCustomTimeZone("Asia/Ho_Chi_Minh", TimeSpan.FromHours(7), "Giờ Việt Nam", "ICT");
        }
    }

    public static string Channel(string? code) => code switch
    {
        "voice-111" => "Cuộc gọi 111",
        "sms" => "Tin nhắn SMS",
        "zalo" => "Zalo",
        "messenger" => "Messenger",
        "platform" => "Nền tảng",
        "web" => "Biểu mẫu web",
        _ => code ?? "—",
    };

    public static string Status(string? code) => code switch
    {
        "new" => "Mới",
        "open" => "Đang xử lý",
        "referred" => "Đã chuyển cơ quan",
        "closed" => "Đã đóng",
        "reopened" => "Mở lại",
        _ => code ?? "—",
    };

    public static readonly IReadOnlyList<string> Statuses = ["new", "open", "referred", "reopened", "closed"];

    public static string Urgency(string? code) => code switch
    {
        "immediate" => "Khẩn cấp",
        "high" => "Cao",
        "normal" => "Bình thường",
        "low" => "Thấp",
        _ => code ?? "—",
    };

    public static readonly IReadOnlyList<string> Urgencies = ["immediate", "high", "normal", "low"];

    public static string CloseReason(string? code) => code?.Split(':', 2)[0] switch
    {
        "resolved" => "Đã giải quyết",
        "referred-and-done" => "Đã chuyển và hoàn tất",
        "no-contact-possible" => "Không liên lạc được",
        "not-child-protection" => "Không thuộc bảo vệ trẻ em",
        "duplicate" => "Trùng lặp",
        "prank" => "Quấy rối, đùa",
        "other" => "Lý do khác",
        _ => code ?? "—",
    };

    public static string Role(string? code) => code switch
    {
        "counsellor" => "Tư vấn viên",
        "supervisor" => "Giám sát viên",
        "liaison" => "Cán bộ liên lạc",
        "analyst" => "Chuyên viên thống kê",
        "admin" => "Quản trị viên",
        "hash-curator" => "Cán bộ thẩm định tư liệu",
        "service" => "Hệ thống",
        _ => code ?? "—",
    };

    public static readonly IReadOnlyList<string> Roles = ["counsellor", "supervisor", "liaison", "analyst", "admin", "hash-curator"];

    /// <summary>The industry classification of confirmed abuse material (A: before puberty, B: pubescent; 1: a sex act, 2: lascivious exhibition).</summary>
    public static string MaterialClass(string? code) => code switch
    {
        "csam-a1" => "A1 – trẻ chưa dậy thì, hành vi tình dục",
        "csam-a2" => "A2 – trẻ chưa dậy thì, phô bày khiêu dâm",
        "csam-b1" => "B1 – trẻ tuổi dậy thì, hành vi tình dục",
        "csam-b2" => "B2 – trẻ tuổi dậy thì, phô bày khiêu dâm",
        _ => code ?? "—",
    };

    public static readonly IReadOnlyList<string> MaterialClasses = ["csam-a1", "csam-a2", "csam-b1", "csam-b2"];

    public static string Reporter(string? role) => role switch
    {
        "child" => "Trẻ em tự báo",
        "parent" => "Cha mẹ, người thân",
        "teacher" => "Giáo viên",
        "other-adult" => "Người lớn khác",
        "platform" => "Nền tảng",
        _ => "Không rõ",
    };

    public static string AgeBand(string? band) => band switch
    {
        "under-10" => "dưới 10 tuổi",
        "10-13" => "10–13 tuổi",
        "14-15" => "14–15 tuổi",
        "16-17" => "16–17 tuổi",
        "adult" => "người lớn",
        _ => "không rõ tuổi",
    };

    public static string Action(string action) => action switch
    {
        "created" => "Tạo hồ sơ",
        "claim" => "Nhận xử lý",
        "assign" => "Giao việc",
        "release" => "Trả về hàng chờ",
        "refer" => "Chuyển cơ quan",
        "referral-done" => "Cơ quan đã xử lý xong",
        "close" => "Đóng hồ sơ",
        "reopen" => "Mở lại",
        "transfer-requested" => "Đề nghị chuyển nhóm",
        "transfer-accepted" => "Nhận chuyển nhóm",
        "transfer-rejected" => "Từ chối chuyển nhóm",
        "reclassified" => "Phân loại lại",
        "reporter-blocked" => "Chặn người báo",
        "sms-reply" => "Trả lời qua SMS",
        "referral-sent" => "Chuyển tuyến",
        "referral-acknowledged" => "Đơn vị nhận đã xác nhận",
        "referral-accepted" => "Đơn vị nhận đã tiếp nhận",
        "referral-rejected" => "Đơn vị nhận từ chối",
        "referral-revoked" => "Thu hồi chuyển tuyến",
        "takedown-requested" => "Yêu cầu nền tảng gỡ nội dung",
        "takedown-delivered" => "Nền tảng đã nhận yêu cầu gỡ",
        "takedown-failed" => "Không gửi được yêu cầu gỡ tới nền tảng",
        "takedown-confirmed" => "Nền tảng trả lời yêu cầu gỡ",
        "referral-webhook-delivered" => "Đã báo tới hệ thống của đơn vị nhận",
        "referral-webhook-failed" => "Không báo được tới hệ thống của đơn vị nhận",
        _ => action,
    };

    /// <summary>A referral's state, in words.</summary>
    public static string ReferralState(string state) => state switch
    {
        "sent" => "Đã gửi, chờ xác nhận",
        "acknowledged" => "Đã xác nhận",
        "accepted" => "Đã tiếp nhận",
        "rejected" => "Bị từ chối",
        "done" => "Đã xử lý xong",
        "revoked" => "Đã thu hồi",
        _ => state,
    };

    /// <summary>What the receiver did (<see cref="Hub.Core.Cases.ReferralOutcomes"/>).</summary>
    public static string ReferralOutcome(string? outcome) => outcome switch
    {
        null => "—",
        "intervened" => "Đã can thiệp",
        "child-safe" => "Trẻ đã an toàn",
        "not-confirmed" => "Không xác minh được",
        "transferred" => "Đã chuyển đơn vị khác",
        "content-removed" => "Nội dung đã bị gỡ",
        "other" => "Khác",
        _ => outcome,
    };

    public static string Sharing(string sharing) => sharing == "with-evidence" ? "Tóm tắt và chứng cứ" : "Chỉ tóm tắt";

    public static string Webhook(string state) => state switch
    {
        "queued" => "đang báo tới hệ thống của đơn vị",
        "delivered" => "đã báo tới hệ thống của đơn vị",
        "failed" => "không báo được tới hệ thống của đơn vị",
        _ => "đơn vị làm việc trên bàn làm việc",
    };

    /// <summary>The moves a referral's receiver makes, as buttons say them.</summary>
    public static string ReferralMove(string state) => state switch
    {
        "acknowledged" => "Xác nhận đã nhận",
        "accepted" => "Tiếp nhận xử lý",
        "rejected" => "Từ chối",
        "done" => "Ghi kết quả xử lý",
        "revoked" => "Thu hồi",
        _ => state,
    };

    public static string LinkKind(string kind) => kind switch
    {
        "duplicate" => "trùng lặp",
        "related" => "liên quan",
        "same-child" => "cùng một trẻ",
        "same-offender" => "cùng đối tượng",
        _ => kind,
    };

    public static readonly IReadOnlyList<string> LinkKinds = ["related", "duplicate", "same-child", "same-offender"];

    public static string Category(string code) => Categories.All.TryGetValue(code, out var name) ? name : code;

    public static string Province(string? code) => Provinces.ByCodeOrNull(code)?.Name ?? (code is null ? "Chưa rõ tỉnh/thành" : code);

    /// <summary>The routing rule that chose the case's team (docs/routing.md), in words.</summary>
    public static string RoutingRule(string? rule) => rule switch
    {
        null => "Không quy tắc định tuyến nào khớp: hồ sơ về Tổng đài 111 (trung ương).",
        "before-routing" => "Hồ sơ được tạo trước khi có quy tắc định tuyến.",
        "online-sexual-crime" => "Xâm hại tình dục trẻ em qua mạng, có tỉnh/thành: nhóm của tỉnh, đề xuất công an và A05.",
        "known-material" => "Trùng với tư liệu xâm hại đã biết, có tỉnh/thành: nhóm của tỉnh, đề xuất công an và A05.",
        "online-sexual-crime-no-province" => "Xâm hại tình dục trẻ em qua mạng, chưa rõ tỉnh/thành: Tổng đài 111, đề xuất A05.",
        "known-material-no-province" => "Trùng với tư liệu xâm hại đã biết, chưa rõ tỉnh/thành: Tổng đài 111, đề xuất A05.",
        "trafficking-or-contact-abuse" => "Mua bán, bóc lột, xâm hại trực tiếp hoặc trẻ mất tích: nhóm của tỉnh, đề xuất công an.",
        "harmful-content" => "Nội dung độc hại: nhóm của tỉnh, đề xuất Bộ VHTTDL gỡ bỏ.",
        "harmful-content-no-province" => "Nội dung độc hại, chưa rõ tỉnh/thành: Tổng đài 111, đề xuất Bộ VHTTDL gỡ bỏ.",
        "not-a-case" => "Hỏi thông tin hoặc không phải vụ việc: Tổng đài 111.",
        "province" => "Có tỉnh/thành: nhóm bảo vệ trẻ em của tỉnh phụ trách.",
        "no-province" => "Chưa rõ tỉnh/thành: Tổng đài 111 (trung ương).",
        _ => "Quy tắc " + rule + ".",
    };

    /// <summary>An agency a referral can go to (docs/routing.md), by its identifier.</summary>
    public static string Agency(string id) => id switch
    {
        "agency-a05" => "A05 — Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (Bộ Công an)",
        "agency-mcst-broadcasting" => "Cục Phát thanh, truyền hình và thông tin điện tử (Bộ Văn hoá, Thể thao và Du lịch)",
        "agency-criminal-police" => "Cục Cảnh sát hình sự (Bộ Công an)",
        "agency-moet" => "Bộ Giáo dục và Đào tạo",
        _ when id.StartsWith("police-", StringComparison.Ordinal) => "Công an " + Province(id["police-".Length..]),
        _ => Team(id),
    };

    public static string Team(string? team) => team switch
    {
        null => "—",
        "central-111" => "Tổng đài 111 (trung ương)",
        _ when team.StartsWith("province-", StringComparison.Ordinal) => "Nhóm " + Province(team["province-".Length..]),
        _ when team.StartsWith("police-", StringComparison.Ordinal) || team.StartsWith("agency-", StringComparison.Ordinal) => Agency(team),
        _ => team,
    };

    public static string Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone).ToString("HH:mm dd/MM/yyyy", Culture);

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>"3 phút trước", "còn 2 giờ 5 phút": what a counsellor reads at a glance (the script keeps it current).</summary>
    public static string Relative(DateTimeOffset at, DateTimeOffset now)
    {
        var d = now - at;
        var future = d < TimeSpan.Zero;
        var text = Span(future ? -d : d);
        return text is null ? "vừa xong" : future ? "còn " + text : text + " trước";
    }

    /// <summary>How long, in the largest two units; null under a minute.</summary>
    public static string? Span(TimeSpan d)
    {
        if (d < TimeSpan.FromMinutes(1))
        {
            return null;
        }

        if (d < TimeSpan.FromHours(1))
        {
            return $"{(int)d.TotalMinutes} phút";
        }

        if (d < TimeSpan.FromDays(1))
        {
            return d.Minutes == 0 ? $"{(int)d.TotalHours} giờ" : $"{(int)d.TotalHours} giờ {d.Minutes} phút";
        }

        return d.Hours == 0 ? $"{(int)d.TotalDays} ngày" : $"{(int)d.TotalDays} ngày {d.Hours} giờ";
    }

    public static string Count(int n) => n.ToString("N0", Culture);

    public static string Bytes(long? n) => n switch
    {
        null => "—",
        < 1024 => $"{n} B",
        < 1024 * 1024 => (n.Value / 1024.0).ToString("0.#", Culture) + " KB",
        _ => (n.Value / 1024.0 / 1024.0).ToString("0.#", Culture) + " MB",
    };

    public static string EvidenceKind(string kind) => kind switch
    {
        "image" => "Ảnh",
        "audio" => "Ghi âm",
        "video" => "Video",
        "transcript" => "Hội thoại",
        "link" => "Đường dẫn",
        _ => "Tệp",
    };

    public static string Speaker(string from) => from switch
    {
        "user" or "child" => "Trẻ",
        "bot" => "Bot",
        "counsellor" => "Tư vấn viên",
        _ => from,
    };

    public static string Delivery(string state) => state switch
    {
        "queued" => "đang gửi",
        "sent" => "đã gửi",
        "not-sent" => "không gửi được",
        _ => state,
    };

    /// <summary>An SMS reply's state, in the counsellor's words.</summary>
    public static string SmsStatus(string status) => status switch
    {
        "queued" => "đang chờ gửi",
        "sending" => "đang gửi",
        "accepted" => "nhà mạng đã nhận",
        "sent" => "đã gửi đi",
        "delivered" => "đã đến máy người nhận",
        "undelivered" => "không đến được máy",
        "failed" => "không gửi được",
        _ => status,
    };

    /// <summary>Why an SMS reply cannot be sent now, from the API's code.</summary>
    public static string WhyNotSms(string? why) => why switch
    {
        null => string.Empty,
        "no-sms-contact" => "người báo không để lại số điện thoại.",
        "not-owner" => "chỉ người đang xử lý hồ sơ (hoặc giám sát viên của nhóm) mới trả lời người báo. Hãy nhận xử lý hồ sơ trước.",
        "closed" => "hồ sơ đã đóng; mở lại hồ sơ để trả lời.",
        "opted-out" => "người báo đã nhắn STOP (từ chối nhận tin). Không gửi thêm tin nhắn.",
        "unknown-instance" or "channel-cannot-send" => "kênh SMS này không còn được cấu hình để gửi tin.",
        "no-send-url" or "no-account-sid" => "kênh SMS này chưa được cấu hình để gửi tin trả lời (liên hệ quản trị).",
        _ => why,
    };

    /// <summary>Why a person's reply cannot go out, from the API's reason (English, for integrators) to the counsellor's words.</summary>
    public static string WhyNotReply(string? why) => why switch
    {
        null => string.Empty,
        _ when why.Contains("window", StringComparison.Ordinal) => "đã quá thời hạn nhà cung cấp cho phép trả lời sau tin nhắn cuối của trẻ.",
        _ when why.Contains("bot holds", StringComparison.Ordinal) => "bot đang giữ cuộc trò chuyện.",
        _ when why.Contains("no address", StringComparison.Ordinal) => "cuộc trò chuyện không có địa chỉ để gửi.",
        _ => why,
    };

    /// <summary>A chat line as shown: the bot's transcript keeps the reference-code placeholder its sender fills in when sending.</summary>
    public static string LineText(string text) => text.Replace("{code}", "‹mã báo cáo›", StringComparison.Ordinal);
}
