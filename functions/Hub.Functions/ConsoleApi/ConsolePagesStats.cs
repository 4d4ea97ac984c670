using System.Globalization;
using Hub.Core.Statistics;
using Hub.Functions.Cases;
using Hub.Functions.Statistics;
using Hub.OperatorConsole;
using Hub.OperatorConsole.Pages;

namespace Hub.Functions.ConsoleApi;

/// <summary>
/// Thống kê (docs/statistics.md): the page for supervisors (their scope, every number) and analysts (every case, small
/// numbers suppressed, no person), its CSV and XLSX, and the annual report as a printable page and an XLSX. Exports are
/// suppressed for everyone: a file leaves the console. Reading statistics is audited (who read which period).
/// </summary>
public static partial class ConsolePages
{
    private static void MapStatsPages(RouteGroupBuilder pages)
    {
        pages.MapGet("/thong-ke", StatsAsync).WithName("console.page.stats");
        pages.MapGet("/thong-ke/xuat.{format}", StatsExportAsync).WithName("console.page.stats.export");
        pages.MapGet("/thong-ke/bao-cao-nam", AnnualAsync).WithName("console.page.stats.annual");
        pages.MapGet("/thong-ke/bao-cao-nam.xlsx", AnnualXlsxAsync).WithName("console.page.stats.annual.xlsx");
    }

    /// <summary>Whose cases the reader's statistics count, and whether small numbers are hidden from them.</summary>
    internal static (StatsScope Scope, bool Suppress) StatsAccess(Actor actor)
    {
        if (actor.Has(Roles.Supervisor) && !CaseService.SeesAll(actor))
        {
            var teams = actor.Teams.Order(StringComparer.Ordinal).ToList();
            var provinces = teams.Where(t => t.StartsWith("province-", StringComparison.Ordinal)).Select(t => t["province-".Length..]).ToList();
            return (new StatsScope(false, teams, provinces), false);
        }

        return (StatsScope.Everything, !actor.Has(Roles.Supervisor));
    }

    /// <summary>The filter from the query string: a Vietnamese period (default the last 30 days), a province code or <c>unknown</c>, a channel.</summary>
    internal static (StatsFilter Filter, string? Problem) StatsFilterOf(HttpContext context, TimeProvider time)
    {
        var q = context.Request.Query;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), Vi.Zone).DateTime);
        var fallback = new StatsFilter(today.AddDays(-29), today);
        DateOnly? Day(string name) => q[name].ToString() is { Length: > 0 } v
            ? DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : DateOnly.MinValue
            : null;
        var from = Day("from") ?? fallback.From;
        var to = Day("to") ?? fallback.To;
        var province = q["province"].ToString() is { Length: > 0 } p ? p : null;
        var channel = q["channel"].ToString() is { Length: > 0 } c ? c : null;
        var problem =
            from == DateOnly.MinValue || to == DateOnly.MinValue ? "Ngày không hợp lệ (dạng năm-tháng-ngày)."
            : to < from ? "Ngày kết thúc phải từ ngày bắt đầu trở đi."
            : to.DayNumber - from.DayNumber > 3660 ? "Khoảng thời gian tối đa là mười năm."
            : province is not null && province != "unknown" && Hub.Core.Taxonomy.Provinces.ByCodeOrNull(province) is null ? "Không có tỉnh, thành này."
            : channel is not null && !StatsModel.Channels.Contains(channel) ? "Không có kênh này."
            : null;
        return problem is null ? (new StatsFilter(from, to, province, channel), null) : (fallback, problem);
    }

    private static string QueryOf(StatsFilter f)
    {
        var parts = new List<string> { "from=" + f.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "to=" + f.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        if (f.Province is { } p)
        {
            parts.Add("province=" + Uri.EscapeDataString(p));
        }

        if (f.Channel is { } c)
        {
            parts.Add("channel=" + Uri.EscapeDataString(c));
        }

        return string.Join("&", parts);
    }

    private static async Task<IResult> StatsAsync(HttpContext context, [AsParameters] PageServices s, CaseStatistics stats)
    {
        var actor = Actor(context);
        var ct = context.RequestAborted;
        var (filter, problem) = StatsFilterOf(context, s.Time);
        var (scope, suppress) = StatsAccess(actor);
        await s.Cases.AuditStatisticsAsync(actor, "statistics.read", QueryOf(filter), ct);
        var current = await stats.DashboardAsync(filter, scope, people: !suppress, ct);
        var days = filter.To.DayNumber - filter.From.DayNumber + 1;
        var previous = await stats.IndicatorsAsync(filter with { From = filter.From.AddDays(-days), To = filter.From.AddDays(-1) }, scope, ct);
        var model = new StatsModel(PageOf(context, "stats"), current, previous, StatsTables.Build(current, suppress, people: !suppress), suppress, QueryOf(filter), problem);
        return Render<StatsPage>(context, new() { ["Model"] = model }, problem is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> StatsExportAsync(string format, HttpContext context, [AsParameters] PageServices s, CaseStatistics stats)
    {
        if (format is not ("csv" or "xlsx"))
        {
            return NotFound(context);
        }

        var actor = Actor(context);
        var ct = context.RequestAborted;
        var (filter, problem) = StatsFilterOf(context, s.Time);
        if (problem is not null)
        {
            return Message(context, PageOf(context, "stats"), StatusCodes.Status400BadRequest, "Không xuất được", problem, "Về trang thống kê", "/console/thong-ke");
        }

        var (scope, _) = StatsAccess(actor);
        await s.Cases.AuditStatisticsAsync(actor, "statistics.export", format + ":" + QueryOf(filter), ct);
        var d = await stats.DashboardAsync(filter, scope, people: false, ct);
        var tables = StatsTables.Build(d, suppress: true, people: false);
        var name = string.Create(CultureInfo.InvariantCulture, $"thong-ke-{filter.From:yyyyMMdd}-{filter.To:yyyyMMdd}");
        context.Response.Headers.CacheControl = "no-store";
        return format == "csv"
            ? Results.File(StatsExports.Csv(tables, Heading(d)), "text/csv; charset=utf-8", name + ".csv")
            : Results.File(StatsExports.Xlsx(tables, Info(d, "Thống kê")), StatsExports.XlsxType, name + ".xlsx");
    }

    private static async Task<(Dashboard? D, int Year, string? Problem)> AnnualOfAsync(HttpContext context, PageServices s, CaseStatistics stats, string audit)
    {
        var actor = Actor(context);
        var thisYear = TimeZoneInfo.ConvertTime(s.Time.GetUtcNow(), Vi.Zone).Year;
        var text = context.Request.Query["nam"].ToString();
        var year = text.Length == 0 ? thisYear : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y >= 2000 && y <= thisYear + 1 ? y : 0;
        if (year == 0)
        {
            return (null, 0, "Năm không hợp lệ.");
        }

        var filter = new StatsFilter(new DateOnly(year, 1, 1), new DateOnly(year, 12, 31));
        var (scope, _) = StatsAccess(actor);
        await s.Cases.AuditStatisticsAsync(actor, audit, QueryOf(filter), context.RequestAborted);
        return (await stats.DashboardAsync(filter, scope, people: false, context.RequestAborted), year, null);
    }

    private static async Task<IResult> AnnualAsync(HttpContext context, [AsParameters] PageServices s, CaseStatistics stats)
    {
        var (d, year, problem) = await AnnualOfAsync(context, s, stats, "statistics.annual");
        if (d is null)
        {
            return Message(context, PageOf(context, "stats"), StatusCodes.Status400BadRequest, "Không có báo cáo", problem!, "Về trang thống kê", "/console/thong-ke");
        }

        var model = new AnnualModel(PageOf(context, "stats"), year, d, StatsTables.Build(d, suppress: true, people: false));
        return Render<AnnualPage>(context, new() { ["Model"] = model }, StatusCodes.Status200OK);
    }

    private static async Task<IResult> AnnualXlsxAsync(HttpContext context, [AsParameters] PageServices s, CaseStatistics stats)
    {
        var (d, year, problem) = await AnnualOfAsync(context, s, stats, "statistics.annual.export");
        if (d is null)
        {
            return Message(context, PageOf(context, "stats"), StatusCodes.Status400BadRequest, "Không có báo cáo", problem!, "Về trang thống kê", "/console/thong-ke");
        }

        context.Response.Headers.CacheControl = "no-store";
        return Results.File(StatsExports.Xlsx(StatsTables.Build(d, suppress: true, people: false), Info(d, AnnualModel.TitleOf(year))), StatsExports.XlsxType, string.Create(CultureInfo.InvariantCulture, $"bao-cao-nam-{year}.xlsx"));
    }

    private static string Heading(Dashboard d) =>
        $"Thống kê vụ việc từ {d.Filter.From:dd/MM/yyyy} đến {d.Filter.To:dd/MM/yyyy} (giờ Việt Nam); số nhỏ hơn 5 hiện là <5";

    private static List<(string, string)> Info(Dashboard d, string title) =>
    [
        ("Báo cáo", title),
        ("Kỳ", $"{d.Filter.From.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture)} – {d.Filter.To.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture)} (giờ Việt Nam)"),
        ("Tỉnh, thành", d.Filter.Province is null ? "Tất cả" : Vi.Province(d.Filter.Province == "unknown" ? null : d.Filter.Province)),
        ("Kênh", d.Filter.Channel is null ? "Tất cả" : Vi.Channel(d.Filter.Channel)),
        ("Tính đến", Vi.Local(d.At)),
        ("Bảo vệ số nhỏ", "Số từ 1 đến 4 hiện là <5; một số ô đi kèm cũng được ẩn để tổng không làm lộ chúng."),
        ("Đếm", "Mỗi vụ việc đếm một lần (bản sửa và báo cáo bổ sung thuộc vụ việc của nó; vụ trùng được gộp vào vụ chính)."),
        ("Chỉ số 1", "Trẻ em bị xâm hại được hỗ trợ, can thiệp: trong các vụ việc có trẻ là nạn nhân (không phải chỉ hỏi thông tin, không đóng vì không thuộc bảo vệ trẻ em, trùng hoặc quấy rối), số vụ có người nhận hoặc trả lời, đã can thiệp, hoặc nơi nhận chuyển tuyến đã nhận hay đã xong."),
        ("Chỉ số 2", "Đối tượng vi phạm bị phản ánh được xử lý: mỗi đường dẫn hoặc tài khoản bị phản ánh trong một vụ việc; được xử lý khi vụ việc đã đóng có lý do, đã chuyển công an hoặc cơ quan quản lý, hoặc nền tảng đã gỡ nội dung."),
    ];
}
