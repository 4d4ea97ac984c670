using Hub.Core.Envelope;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Hub.Functions.Tests.OperatorConsole;

/// <summary>
/// Thống kê in Debian's Chromium (docs/statistics.md): Đà Nẵng's supervisor filters a year of the province's cases and
/// sees the indicators, the chart and every table; the central analyst sees the same period across the country with
/// small numbers hidden; both screens pass axe-core at a desk and on a phone, print, and load nothing from another
/// host. The cases are received in 2018, a year no other test of the fixture uses.
/// </summary>
[Collection(ConsoleBrowserGroup.Name)]
public sealed class StatsBrowserTests(ConsoleBrowserFixture hub) : IAsyncLifetime
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ConsoleBrowserFixture, Task> Seeded = [];

    public Task InitializeAsync()
    {
        lock (Seeded)
        {
            return Seeded.GetValue(hub, SeedAsync);
        }
    }

    public Task DisposeAsync()
    {
        hub.ForeignRequests.ShouldBeEmpty("the console loads nothing from any other host");
        return Task.CompletedTask;
    }

    /// <summary>Đà Nẵng: 24 cases through 2018, two a month (18 by the web form, 6 by SMS: the second of each even month); Hà Nội: 3 Zalo cases in June and Hồ Chí Minh 2 in July, small numbers that hide each other.</summary>
    private static async Task SeedAsync(ConsoleBrowserFixture hub)
    {
        async Task One(string province, string channel, DateTimeOffset received) =>
            await TestCases.WriteAsync(hub.Services, province, e => e with { Id = ReportId.New(new FakeTimeProvider(received)), ReceivedAt = received, Channel = channel, ChannelInstance = channel + "-stats" });

        for (var month = 1; month <= 12; month++)
        {
            await One("48", ReportChannels.Web, new DateTimeOffset(2018, month, 3, 2, 0, 0, TimeSpan.Zero));
            await One("48", month % 2 == 0 ? ReportChannels.Sms : ReportChannels.Web, new DateTimeOffset(2018, month, 17, 9, 30, 0, TimeSpan.Zero));
        }

        for (var i = 0; i < 3; i++)
        {
            await One("01", ReportChannels.Zalo, new DateTimeOffset(2018, 6, 10 + i, 4, 0, 0, TimeSpan.Zero));
        }

        for (var i = 0; i < 2; i++)
        {
            await One("79", ReportChannels.Zalo, new DateTimeOffset(2018, 7, 10 + i, 4, 0, 0, TimeSpan.Zero));
        }
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task Supervisor_FiltersAYear_AndSeesTheProvince()
    {
        var page = await hub.SignInAsync("demo.supervisor"); // Đà Nẵng
        await page.GetByRole(AriaRole.Link, new() { Name = "Thống kê" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Thống kê", Level = 1 })).ToBeVisibleAsync();
        await page.GetByLabel("Từ ngày").FillAsync("2018-01-01");
        await page.GetByLabel("Đến ngày").FillAsync("2018-12-31");
        await page.GetByRole(AriaRole.Button, new() { Name = "Xem" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Vụ việc theo tháng" })).ToBeVisibleAsync();
        await Expect(page.Locator("section[aria-labelledby=series-title] rect.bar")).ToHaveCountAsync(12);
        var overview = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Tổng quan", Exact = true }) });
        await Expect(overview.GetByRole(AriaRole.Row, new() { Name = "Vụ việc" })).ToContainTextAsync("24");
        var channels = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Theo kênh" }) });
        await Expect(channels.GetByRole(AriaRole.Row, new() { Name = "Biểu mẫu web" })).ToContainTextAsync("18");
        await Expect(channels.GetByRole(AriaRole.Row, new() { Name = "Tin nhắn SMS" })).ToContainTextAsync("6");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Công việc theo người" })).ToBeVisibleAsync();

        var violations = await ConsoleBrowserFixture.CheckScreenAsync(page, "stats");
        violations.ShouldBeEmpty(string.Join("\n", violations));
        await page.EmulateMediaAsync(new() { Media = Microsoft.Playwright.Media.Print });
        await Expect(page.Locator("form.filters")).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Analyst_SeesTheCountry_WithSmallNumbersHidden_AndTheAnnualReport()
    {
        var page = await hub.SignInAsync("demo.analyst");
        await page.GotoAsync("/console/thong-ke?from=2018-01-01&to=2018-12-31");
        var provinces = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Theo tỉnh, thành" }) });
        await Expect(provinces.GetByRole(AriaRole.Row, new() { Name = "Đà Nẵng" })).ToContainTextAsync("24");
        await Expect(provinces.GetByRole(AriaRole.Row, new() { Name = "Hà Nội" })).ToContainTextAsync("<5");
        await Expect(provinces.GetByRole(AriaRole.Row, new() { Name = "Hồ Chí Minh" })).ToContainTextAsync("<5");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Công việc theo người" })).ToHaveCountAsync(0);
        var violations = await ConsoleBrowserFixture.CheckScreenAsync(page, "stats-analyst");
        violations.ShouldBeEmpty(string.Join("\n", violations));

        await page.GetByRole(AriaRole.Link, new() { Name = "Báo cáo năm 2018" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Báo cáo năm 2018", Level = 1 })).ToBeVisibleAsync();
        var annual = await ConsoleBrowserFixture.CheckScreenAsync(page, "stats-annual");
        annual.ShouldBeEmpty(string.Join("\n", annual));
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Tải bản Excel (XLSX)" }).ClickAsync());
        download.SuggestedFilename.ShouldBe("bao-cao-nam-2018.xlsx");
        await page.Context.CloseAsync();
    }
}
