using System.Globalization;
using Hub.Core.Statistics;
using Hub.Core.Taxonomy;

namespace Hub.OperatorConsole;

/// <summary>One cell: its text as shown (a count, "&lt;5", a share, a time), and its number for a spreadsheet (null: text only, or hidden).</summary>
public sealed record StatsCell(string Text, double? Number = null);

/// <summary>One table of the statistics: the page shows it, the CSV and XLSX exports carry it, cell for cell.</summary>
public sealed record StatsTable(string Id, string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<StatsCell>> Rows, string? Note = null);

/// <summary>
/// The statistics as tables, in Vietnamese, built once for the page and both exports so they cannot disagree
/// (docs/statistics.md). With <c>suppress</c> (analysts' views and every export) small numbers are protected: a count of
/// 1 to 4 is "&lt;5", each column's complementary cells hide too (its total is published), a share is shown only over 5 or
/// more, a time only from 5 or more measurements; work per person never appears.
/// </summary>
public static class StatsTables
{
    public static IReadOnlyList<StatsTable> Build(Dashboard d, bool suppress, bool people)
    {
        ArgumentNullException.ThrowIfNull(d);
        var t = new List<StatsTable>();
        var i = d.Indicators;
        t.Add(new StatsTable("chi-so", "Chỉ số của chương trình (Quyết định 830/QĐ-TTg)", ["Chỉ số", "Đạt", "Tổng", "Tỷ lệ"],
        [
            ShareRow("Trẻ em bị xâm hại được hỗ trợ, can thiệp", i.ChildVictimsSupported, suppress),
            ShareRow("Đối tượng vi phạm bị phản ánh được xử lý", i.ViolatorsHandled, suppress),
        ], "Định nghĩa: docs/statistics.md#indicators. Hỗ trợ: có người nhận hoặc trả lời, đã can thiệp, hoặc nơi nhận chuyển tuyến đã nhận/đã xong. Xử lý: hồ sơ đã đóng có lý do, đã chuyển công an hoặc cơ quan quản lý, hoặc nền tảng đã gỡ."));

        t.Add(Counts("tong-quan", "Tổng quan", "Mục", [("Vụ việc", d.Cases), ("Báo cáo (kể cả bổ sung)", d.Reports)], suppress, total: false));

        var prov = d.Provinces;
        var pc = Mask(prov.Select(p => p.Cases), suppress);
        var pv = Mask(prov.Select(p => p.ChildVictimCases), suppress);
        var ps = Mask(prov.Select(p => p.Supported), suppress);
        var provinceRows = prov.Select((p, k) => (IReadOnlyList<StatsCell>)
        [
            new(Vi.Province(p.Province == "unknown" ? null : p.Province)),
            Cell(p.Cases, pc[k]), Cell(p.ChildVictimCases, pv[k]), Cell(p.Supported, ps[k]),
            Rate(p.Support, suppress && (pv[k] || p.ChildVictimCases < SmallNumbers.Threshold)),
        ]).ToList();
        provinceRows.Add([new("Tổng"), Total(prov.Sum(p => p.Cases), suppress), Total(prov.Sum(p => p.ChildVictimCases), suppress), Total(prov.Sum(p => p.Supported), suppress), Rate(i.ChildVictimsSupported, suppress && i.ChildVictimsSupported.Of < SmallNumbers.Threshold)]);
        t.Add(new StatsTable("tinh", "Theo tỉnh, thành (tỷ lệ được hỗ trợ thấp nhất trước)", ["Tỉnh, thành", "Vụ việc", "Có trẻ là nạn nhân", "Được hỗ trợ", "Tỷ lệ hỗ trợ"], provinceRows));

        t.Add(Counts("kenh", "Theo kênh", "Kênh", d.Breakdowns[StatsDimension.Channel].Select(c => (Vi.Channel(c.Key), c.N)), suppress));
        var cats = d.Breakdowns[StatsDimension.Category];
        var cm = Mask(cats.Select(c => c.N), suppress);
        var catRows = cats.Select((c, k) =>
        {
            var (chi, ncmec) = Categories.Schemes.TryGetValue(c.Key, out var s) ? s : ("–", "–");
            return (IReadOnlyList<StatsCell>)[new(c.Key == "unclassified" ? "Chưa phân loại" : Vi.Category(c.Key)), new(c.Key), new(chi), new(ncmec), Cell(c.N, cm[k])];
        }).ToList();
        t.Add(new StatsTable("loai", "Theo loại vụ việc (mỗi vụ việc được đếm ở mỗi loại của nó)", ["Loại", "Mã", "CHI", "NCMEC", "Vụ việc"], catRows));
        t.Add(Counts("muc-khan", "Theo mức khẩn", "Mức khẩn", d.Breakdowns[StatsDimension.Urgency].Select(c => (Vi.Urgency(c.Key), c.N)), suppress));
        t.Add(Counts("nguoi-bao", "Theo người báo", "Người báo", d.Breakdowns[StatsDimension.ReporterRole].Select(c => (Vi.Reporter(c.Key), c.N)), suppress));
        t.Add(Counts("do-tuoi", "Theo độ tuổi người báo", "Độ tuổi", d.Breakdowns[StatsDimension.AgeBand].Select(c => (Vi.AgeBand(c.Key), c.N)), suppress));

        var tl = d.Timeliness;
        var op = d.Operations;
        t.Add(new StatsTable("thoi-gian", "Thời gian xử lý", ["Bước", "Số lần đo", "Trung vị", "90 % trong vòng", "Đúng hạn"],
        [
            DurationRow("Từ khi nhận đến phản hồi đầu tiên", tl.FirstResponse, suppress),
            DurationRow("Từ khi nhận đến lần chuyển tuyến đầu tiên", tl.FirstReferral, suppress),
            DurationRow("Nơi nhận xác nhận chuyển tuyến", tl.ReferralAcknowledgement, suppress),
            DurationRow("Gọi lại cuộc gọi nhỡ", op.CallbackTime, suppress),
            DurationRow("Người trả lời sau khi chatbot chuyển", op.HandoffWait, suppress),
        ]));
        t.Add(Counts("phan-bo", "Phân bố thời gian phản hồi đầu tiên", "Khoảng thời gian", tl.ResponseDistribution.Select(c => (Bucket(c.Key), c.N)), suppress));
        t.Add(Counts("hien-tai", "Hiện tại", "Mục", [("Chờ phản hồi", tl.AwaitingResponse), ("Quá hạn phản hồi", tl.ResponseOverdueNow), ("Quá hạn can thiệp 12 giờ", tl.InterventionOverdueNow), ("Gọi lại quá hạn", op.CallbacksOverdueNow)], suppress, total: false));
        t.Add(Counts("12-gio", "Hạn can thiệp 12 giờ (Nghị định 56/2017, Điều 26.3)", "Kết quả", [("Đạt", tl.InterventionMet), ("Trễ hoặc chưa có", tl.InterventionMissed), ("Còn trong hạn", tl.InterventionPending)], suppress));

        var o = d.Outcomes;
        t.Add(Counts("dong", "Lý do đóng hồ sơ", "Lý do", o.CloseReasons.Select(c => (Vi.CloseReason(c.Key), c.N)), suppress));
        t.Add(Counts("chuyen-tuyen", "Chuyển tuyến theo trạng thái", "Trạng thái", o.ReferralStates.Select(c => (Vi.ReferralState(c.Key), c.N)), suppress));
        t.Add(Counts("ket-qua", "Kết quả chuyển tuyến", "Kết quả", o.ReferralOutcomes.Select(c => (Vi.ReferralOutcome(c.Key), c.N)), suppress));
        var tr = Mask(o.Takedowns.Select(x => x.Requested), suppress);
        var tc = Mask(o.Takedowns.Select(x => x.Confirmed), suppress);
        var tm = Mask(o.Takedowns.Select(x => x.Removed), suppress);
        t.Add(new StatsTable("go-bo", "Yêu cầu gỡ nội dung theo nền tảng", ["Nền tảng", "Đã yêu cầu", "Đã xác nhận", "Đã gỡ", "Thời gian gỡ (trung vị)", "90 % trong vòng"],
            [.. o.Takedowns.Select((x, k) => (IReadOnlyList<StatsCell>)[new(x.Platform), Cell(x.Requested, tr[k]), Cell(x.Confirmed, tc[k]), Cell(x.Removed, tm[k]), Time(x.P50RemovalSeconds, suppress && x.Removed < SmallNumbers.Threshold), Time(x.P90RemovalSeconds, suppress && x.Removed < SmallNumbers.Threshold)])]));
        t.Add(Counts("tu-lieu", "Trùng tư liệu xâm hại đã biết (vụ việc, theo ngân hàng mã băm)", "Ngân hàng", o.KnownMaterialByBank.Select(c => (c.Key, c.N)), suppress, totalValue: o.KnownMaterialCases));

        t.Add(Counts("van-hanh", "Vận hành", "Mục",
        [
            ("Cuộc gọi nhỡ cần gọi lại", op.CallbacksCreated), ("Đã gọi lại", op.CallbacksDone),
            ("Cuộc trò chuyện chuyển cho người", op.Handoffs), ("Được người trả lời", op.HandoffsAnswered),
            ("Người báo nhiều lần", op.RepeatReporters), ("Vụ việc của người báo nhiều lần", op.RepeatReporterCases),
        ], suppress, total: false));
        var wc = Mask(op.Teams.Select(x => x.Cases), suppress);
        var wd = Mask(op.Teams.Select(x => x.Closed), suppress);
        var wo = Mask(op.Teams.Select(x => x.Open), suppress);
        t.Add(new StatsTable("nhom", "Công việc theo nhóm", ["Nhóm", "Vụ việc", "Đã đóng", "Đang mở"],
            [.. op.Teams.Select((x, k) => (IReadOnlyList<StatsCell>)[new(Vi.Team(x.Team)), Cell(x.Cases, wc[k]), Cell(x.Closed, wd[k]), Cell(x.Open, wo[k])])]));
        if (people && !suppress)
        {
            t.Add(new StatsTable("nguoi", "Công việc theo người (chỉ giám sát viên xem)", ["Người", "Đang giữ", "Đã đóng"],
                [.. op.People.Select(x => (IReadOnlyList<StatsCell>)[new(x.Name), Cell(x.Open, false), Cell(x.Closed, false)])]));
        }

        return t;
    }

    /// <summary>The time-to-first-response bucket in words.</summary>
    public static string Bucket(string key) => key switch
    {
        "<15m" => "Dưới 15 phút",
        "15m-1h" => "15 phút – 1 giờ",
        "1h-4h" => "1 – 4 giờ",
        "4h-12h" => "4 – 12 giờ",
        "12h-24h" => "12 – 24 giờ",
        ">24h" => "Trên 24 giờ",
        _ => "Chưa phản hồi",
    };

    /// <summary>A share as Vietnamese write it: "75,0 %".</summary>
    public static string Percent(double rate) => (rate * 100).ToString("0.0", Vi.Culture) + " %";

    /// <summary>A duration in words: "25 phút", "2 giờ 5 phút", "3 ngày 4 giờ".</summary>
    public static string Duration(long seconds)
    {
        var d = TimeSpan.FromSeconds(seconds);
        return d.TotalMinutes < 1 ? $"{seconds} giây"
            : d.TotalHours < 1 ? $"{(int)d.TotalMinutes} phút"
            : d.TotalDays < 1 ? $"{(int)d.TotalHours} giờ {d.Minutes} phút"
            : $"{(int)d.TotalDays} ngày {d.Hours} giờ";
    }

    private static bool[] Mask(IEnumerable<long> counts, bool suppress)
    {
        var list = counts.ToList();
        return suppress ? SmallNumbers.Mask(list) : new bool[list.Count];
    }

    private static StatsCell Cell(long n, bool hidden) =>
        hidden ? new(SmallNumbers.Hidden) : new(n.ToString("N0", Vi.Culture), n);

    private static StatsCell Total(long n, bool suppress) => Cell(n, suppress && !SmallNumbers.Shown(n));

    private static StatsCell Rate(Share s, bool hidden) =>
        hidden || s.Rate is not { } r ? new("—") : new(Percent(r), Math.Round(r, 4));

    private static StatsCell Time(long? seconds, bool hidden) =>
        hidden || seconds is not { } s ? new("—") : new(Duration(s), Math.Round(s / 60.0, 1));

    private static IReadOnlyList<StatsCell> ShareRow(string label, Share s, bool suppress)
    {
        var part = suppress && !SmallNumbers.Shown(s.Part);
        var of = suppress && !SmallNumbers.Shown(s.Of);
        var gap = suppress && !SmallNumbers.Shown(s.Of - s.Part); // the rest would be read off the two counts
        return [new(label), Cell(s.Part, part || gap), Cell(s.Of, of), Rate(s, suppress && s.Of < SmallNumbers.Threshold)];
    }

    private static IReadOnlyList<StatsCell> DurationRow(string label, Durations d, bool suppress)
    {
        var few = suppress && d.Measured < SmallNumbers.Threshold;
        return [new(label), Cell(d.Measured, suppress && !SmallNumbers.Shown(d.Measured)), Time(d.P50Seconds, few), Time(d.P90Seconds, few),
            d.OnTime is { } s ? Rate(s, suppress && s.Of < SmallNumbers.Threshold) : new("—")];
    }

    private static StatsTable Counts(string id, string title, string keyTitle, IEnumerable<(string Label, long N)> rows, bool suppress, bool total = true, long? totalValue = null)
    {
        var list = rows.ToList();
        // rows whose totals are not published (an overview of unrelated counts) hide each small count alone
        var mask = total ? Mask(list.Select(r => r.N), suppress) : [.. list.Select(r => suppress && !SmallNumbers.Shown(r.N))];
        var cells = list.Select((r, k) => (IReadOnlyList<StatsCell>)[new(r.Label), Cell(r.N, mask[k])]).ToList();
        if (total)
        {
            cells.Add([new("Tổng"), Total(totalValue ?? list.Sum(r => r.N), suppress)]);
        }

        return new StatsTable(id, title, [keyTitle, "Số lượng"], cells);
    }

    internal static string Invariant(double n) => n.ToString(CultureInfo.InvariantCulture);
}
