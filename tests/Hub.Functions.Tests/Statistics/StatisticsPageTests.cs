using System.Net;
using System.Text;
using Hub.Core.Envelope;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using MiniExcelLibs;

namespace Hub.Functions.Tests.Statistics;

/// <summary>
/// Thống kê over HTTP (docs/statistics.md): a supervisor sees their province's cases with every number, an analyst
/// sees every case with small numbers suppressed and no person, the XLSX and CSV carry the same tables suppressed (the
/// XLSX is opened and its cells checked against a direct SQL count), the annual report prints and downloads, bad input
/// answers a friendly 400, and each read and export is on the audit trail. The cases are received in June 2019, a month
/// no other test of the fixture uses.
/// </summary>
public sealed class StatisticsPageTests(ConsoleFixture hub) : IClassFixture<ConsoleFixture>, IAsyncLifetime
{
    private const string June = "from=2019-06-01&to=2019-06-30";

    /// <summary>The fixture's cases for June 2019, written once for the class (xUnit makes an instance per test).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ConsoleFixture, Task> Seeded = [];

    public Task InitializeAsync()
    {
        lock (Seeded)
        {
            return Seeded.GetValue(hub, SeedAsync);
        }
    }

    /// <summary>
    /// Hà Nội: 7 web, 2 SMS, 6 Messenger (15); Đà Nẵng: 1 Zalo; Hồ Chí Minh: 2 Zalo (18 in all). In Hà Nội's channel
    /// table the 2 SMS is hidden and so is its complement, the 6; across the country the 2 SMS and the 3 Zalo hide each
    /// other, as Đà Nẵng's 1 and Hồ Chí Minh's 2 do in the province table.
    /// </summary>
    private static async Task SeedAsync(ConsoleFixture hub)
    {
        var at = new DateTimeOffset(2019, 6, 15, 3, 0, 0, TimeSpan.Zero);
        var minute = 0;
        async Task Seed(string province, string channel, int n)
        {
            for (var i = 0; i < n; i++)
            {
                var received = at.AddMinutes(minute++);
                await hub.CaseAsync(province, e => e with { Id = ReportId.New(new FakeTimeProvider(received)), ReceivedAt = received, Channel = channel, ChannelInstance = channel + "-stats" });
            }
        }

        await Seed("01", ReportChannels.Web, 7);
        await Seed("01", ReportChannels.Sms, 2);
        await Seed("01", ReportChannels.Messenger, 6);
        await Seed("48", ReportChannels.Zalo, 1);
        await Seed("79", ReportChannels.Zalo, 2);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Section(string html, string title)
    {
        var start = html.IndexOf(">" + title + "</h2>", StringComparison.Ordinal);
        start.ShouldBeGreaterThan(0, title);
        var end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    [Fact]
    public async Task Supervisor_SeesTheirProvince_WithEveryNumber()
    {
        var minh = await hub.SignInAsync("minh"); // supervisor, Hà Nội
        using var page = await minh.GetAsync("/console/thong-ke?" + June);
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        Section(html, "Tổng quan").ShouldContain("<th scope=\"row\">Vụ việc</th><td>15</td>", Case.Sensitive, "Hà Nội's fifteen, not the other provinces' three");
        var channels = Section(html, "Theo kênh");
        channels.ShouldContain("<td>7</td>");
        channels.ShouldContain("<td>6</td>");
        channels.ShouldContain("<td>2</td>", Case.Sensitive, "a supervisor sees small numbers");
        html.ShouldContain("Công việc theo người");
        html.ShouldContain("<svg class=\"chart\"");
        html.ShouldContain("<rect ");
        html.ShouldNotContain("!text", Case.Sensitive, "the chart's labels are SVG text elements");
        html.ShouldContain("<text ");
        (await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM audit a JOIN users u ON u.id = a.user_id WHERE u.login = 'minh' AND a.action = 'statistics.read' AND a.fields = ARRAY['from=2019-06-01&to=2019-06-30']")).ShouldBe(1);
    }

    [Fact]
    public async Task Analyst_SeesEveryCase_SuppressedAndWithoutPeople()
    {
        var an = await hub.SignInAsync("an");
        using (var home = await an.GetAsync("/console"))
        {
            home.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            home.Headers.Location!.OriginalString.ShouldBe("/console/thong-ke");
        }

        using var page = await an.GetAsync("/console/thong-ke?" + June);
        var html = await page.Content.ReadAsStringAsync();
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        Section(html, "Tổng quan").ShouldContain("<th scope=\"row\">Vụ việc</th><td>18</td>");
        var channels = Section(html, "Theo kênh");
        channels.ShouldContain("<td>7</td>");
        channels.ShouldContain("<td>6</td>");
        channels.ShouldContain("<td>&lt;5</td>");
        channels.ShouldNotContain("<td>2</td>");
        channels.ShouldNotContain("<td>3</td>");
        channels.ShouldContain("<th scope=\"row\">Tổng</th><td>18</td>");
        html.ShouldNotContain("Công việc theo người");
        html.ShouldNotContain("/console/cases/", Case.Sensitive, "no case");
    }

    [Fact]
    public async Task TheXlsx_MatchesADirectCount_AndIsSuppressed()
    {
        var minh = await hub.SignInAsync("minh");
        using var file = await minh.GetAsync("/console/thong-ke/xuat.xlsx?" + June);
        file.StatusCode.ShouldBe(HttpStatusCode.OK);
        file.Content.Headers.ContentType!.MediaType.ShouldBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        using var xlsx = new MemoryStream(await file.Content.ReadAsByteArrayAsync());
        var sheets = xlsx.GetSheetNames();
        sheets.ShouldContain("Thông tin");
        sheets.ShouldContain("Chỉ số của chương trình");
        sheets.ShouldContain("Theo tỉnh, thành");

        var overview = xlsx.Query(useHeaderRow: true, sheetName: "Tổng quan").Cast<IDictionary<string, object>>().ToList();
        var direct = await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM cases WHERE province_code = '01' AND received_at >= '2019-05-31T17:00:00Z' AND received_at < '2019-06-30T17:00:00Z'");
        direct.ShouldBe(15);
        overview.Single(r => (string)r["Mục"] == "Vụ việc")["Số lượng"].ShouldBe((double)direct);

        var channels = xlsx.Query(useHeaderRow: true, sheetName: "Theo kênh").Cast<IDictionary<string, object>>().ToDictionary(r => (string)r["Kênh"], r => r["Số lượng"]);
        channels["Biểu mẫu web"].ShouldBe(7d);
        channels["Tin nhắn SMS"].ShouldBe("<5", "an export is suppressed, even a supervisor's");
        channels["Messenger"].ShouldBe("<5", "the complement that keeps the 2 from being got back from the total");
        channels["Tổng"].ShouldBe(15d);
        xlsx.Query(useHeaderRow: true, sheetName: "Thông tin").Cast<IDictionary<string, object>>().ShouldContain(r => (string)r["Mục"] == "Chỉ số 1");
        sheets.ShouldNotContain("Công việc theo người");

        using var csv = await minh.GetAsync("/console/thong-ke/xuat.csv?" + June + "&channel=web");
        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        bytes[..3].ShouldBe(Encoding.UTF8.GetPreamble());
        var text = Encoding.UTF8.GetString(bytes);
        text.ShouldContain("\r\nTheo kênh\r\nKênh,Số lượng\r\nBiểu mẫu web,7\r\nTổng,7\r\n");
        (await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM audit a JOIN users u ON u.id = a.user_id WHERE u.login = 'minh' AND a.action = 'statistics.export'")).ShouldBe(2);
    }

    [Fact]
    public async Task TheAnnualReport_PrintsAndDownloads()
    {
        var an = await hub.SignInAsync("an");
        using var page = await an.GetAsync("/console/thong-ke/bao-cao-nam?nam=2019");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldContain("Báo cáo năm 2019");
        Section(html, "Tổng quan").ShouldContain("<td>18</td>");

        using var file = await an.GetAsync("/console/thong-ke/bao-cao-nam.xlsx?nam=2019");
        file.StatusCode.ShouldBe(HttpStatusCode.OK);
        file.Content.Headers.ContentDisposition!.FileNameStar.ShouldBe("bao-cao-nam-2019.xlsx");
        using var xlsx = new MemoryStream(await file.Content.ReadAsByteArrayAsync());
        var provinces = xlsx.Query(useHeaderRow: true, sheetName: "Theo tỉnh, thành").Cast<IDictionary<string, object>>().ToDictionary(r => (string)r["Tỉnh, thành"], r => r["Vụ việc"]);
        var direct = await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM cases WHERE province_code = '01' AND received_at >= '2018-12-31T17:00:00Z' AND received_at < '2019-12-31T17:00:00Z'");
        provinces["Hà Nội"].ShouldBe((double)direct);
        provinces["Đà Nẵng"].ShouldBe("<5");
        provinces["Hồ Chí Minh"].ShouldBe("<5");
        provinces["Tổng"].ShouldBe(18d);
    }

    [Theory]
    [InlineData("/console/thong-ke?from=2029-13-01&to=2019-06-30", "Ngày không hợp lệ")]
    [InlineData("/console/thong-ke?from=2019-06-30&to=2019-06-01", "Ngày kết thúc phải từ ngày bắt đầu trở đi")]
    [InlineData("/console/thong-ke?province=99", "Không có tỉnh, thành này")]
    [InlineData("/console/thong-ke?channel=fax", "Không có kênh này")]
    [InlineData("/console/thong-ke/xuat.csv?from=2019-06-30&to=2019-06-01", "Ngày kết thúc phải từ ngày bắt đầu trở đi")]
    [InlineData("/console/thong-ke/bao-cao-nam?nam=abc", "Năm không hợp lệ")]
    [InlineData("/console/thong-ke/bao-cao-nam.xlsx?nam=1999", "Năm không hợp lệ")]
    public async Task BadInput_IsAFriendly400(string path, string says)
    {
        var an = await hub.SignInAsync("an");
        using var response = await an.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await response.Content.ReadAsStringAsync()).ShouldContain(says);
    }

    [Fact]
    public async Task AnUnknownFormat_IsNotFound()
    {
        var an = await hub.SignInAsync("an");
        using var response = await an.GetAsync("/console/thong-ke/xuat.pdf?" + June);
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
