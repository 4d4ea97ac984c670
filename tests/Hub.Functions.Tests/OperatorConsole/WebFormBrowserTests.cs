using System.Text.RegularExpressions;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hub.Functions.Tests.OperatorConsole;

/// <summary>
/// The public form in Debian's Chromium: a phone (390×844) on a slow network sends a report with a screenshot, gets
/// its code, checks its status, and the case is in the province's queue in the console; the same with JavaScript
/// off; the whole form by keyboard alone; axe-core on the form, the receipt, the status page and an error page.
/// </summary>
[Collection(ConsoleBrowserGroup.Name)]
public sealed partial class WebFormBrowserTests(ConsoleBrowserFixture hub) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        hub.ForeignRequests.ShouldBeEmpty("the form loads nothing from any other host");
        return Task.CompletedTask;
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task Phone_SlowNetwork_SendWithScreenshotThenStatusThenTheConsoleQueue()
    {
        var page = await hub.NewPageAsync(ConsoleBrowserFixture.Phone);
        // A cheap phone on a weak 3G signal: 400 ms round trips, 400 kbit/s down, 4× slower CPU.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object> { ["offline"] = false, ["latency"] = 400, ["downloadThroughput"] = 50_000, ["uploadThroughput"] = 50_000 });
        await cdp.SendAsync("Emulation.setCPUThrottlingRate", new Dictionary<string, object> { ["rate"] = 4 });

        await page.GotoAsync("/bao-cao");
        var loaded = await page.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd");
        var bytes = await page.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].transferSize + performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, 0)");
        Console.WriteLine($"web form on a throttled phone: DOMContentLoaded at {loaded:0} ms, {bytes:0} bytes transferred");
        await Expect(page.Locator("header.danger a[href='tel:111']")).ToHaveTextAsync("Gọi 111 ngay");
        (await ConsoleBrowserFixture.CheckScreenAsync(page, "form", "web-form")).ShouldBeEmpty();

        await page.GetByLabel("Em kể chuyện của chính em").CheckAsync();
        await page.GetByLabel("Bị dọa tung ảnh").CheckAsync();
        await page.GetByLabel("Kể lại bằng lời của em").FillAsync("Một người lạ trên TikTok dọa tung ảnh của em nếu em không gửi thêm.");
        await page.GetByLabel("Ứng dụng hoặc trang web").SelectOptionAsync("tiktok");
        await page.GetByLabel("Đường link (mỗi dòng một link)").FillAsync("https://www.tiktok.com/@ke.xau");
        await page.GetByLabel("14–15").CheckAsync();
        await page.GetByLabel("Tỉnh, thành phố nơi bạn nhỏ sống").FillAsync("Quảng Nam");
        await page.Locator("#f-screenshots").SetInputFilesAsync(new FilePayload { Name = "tin-nhan.jpg", MimeType = "image/jpeg", Buffer = WebForms.JpegWithExifGps(120, 80) });
        await Expect(page.Locator("#f-screenshots-status")).ToContainTextAsync("Đã chọn 1 ảnh");
        await page.GetByRole(AriaRole.Button, new() { Name = "Gửi báo cáo" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Chúng tôi đã nhận được báo cáo của em", new() { Timeout = 60_000 });
        var code = await page.Locator("#reference-code").InnerTextAsync();
        var secret = await page.Locator("#status-secret").InnerTextAsync();
        code.ShouldMatch("^[0-9A-Z]{4}-[0-9A-Z]{4}$");
        await Expect(page.Locator("main")).ToContainTextAsync("Đã nhận 1 ảnh");
        (await ConsoleBrowserFixture.CheckScreenAsync(page, "receipt", "web-form")).ShouldBeEmpty();

        await page.GetByRole(AriaRole.Link, new() { Name = "Xem tình trạng báo cáo" }).First.ClickAsync();
        await page.GetByLabel("Mã báo cáo").FillAsync(code);
        await page.GetByLabel("Mã bí mật").FillAsync(secret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Xem tình trạng" }).ClickAsync();
        await Expect(page.Locator(".result")).ToContainTextAsync("Đã nhận");
        (await ConsoleBrowserFixture.CheckScreenAsync(page, "status", "web-form")).ShouldBeEmpty();

        // The report is one case, with its screenshot, in Đà Nẵng's queue (Quảng Nam is part of it since July 2025).
        var record = await Eventually.ValueAsync(() => hub.Cases.FindByReferenceCodeAsync(code, CancellationToken.None));
        record.TeamId.ShouldBe("province-48");
        record.Envelope.ShouldContain("\"kind\": \"image\"");
        var console = await hub.SignInAsync("demo.counsellor");
        var row = console.Locator($"tr[data-case=\"{record.Id}\"]");
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(row).ToContainTextAsync("Biểu mẫu web");

        // Routed on creation (docs/routing.md): sextortion with a province proposes the provincial police and A05.
        await row.GetByRole(AriaRole.Link).ClickAsync();
        var routing = console.Locator("section[aria-labelledby=routing-title]");
        await Expect(routing).ToContainTextAsync("Công an Đà Nẵng");
        await Expect(routing).ToContainTextAsync("A05");
        await routing.GetByRole(AriaRole.Link, new() { Name = "Xem bảng quy tắc định tuyến" }).ClickAsync();
        await Expect(console.Locator("h1")).ToHaveTextAsync("Quy tắc định tuyến");
        await Expect(console.Locator("tbody tr")).ToHaveCountAsync(Hub.Core.Routing.Router.Defaults.Count);
        (await ConsoleBrowserFixture.CheckScreenAsync(console, "routing")).ShouldBeEmpty();
        await console.Context.CloseAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task JavaScriptOff_TheSameFormWorks()
    {
        var page = await hub.NewPageAsync(ConsoleBrowserFixture.Phone, javaScript: false);
        await page.GotoAsync("/report");
        await page.GetByLabel("Tôi là cha mẹ hoặc người thân của trẻ").CheckAsync();
        await page.GetByLabel("Bị bắt nạt").CheckAsync();
        await page.GetByLabel("Em đang gặp nguy hiểm ngay lúc này").CheckAsync();
        await page.GetByLabel("Tỉnh, thành phố nơi bạn nhỏ sống").FillAsync("Đà Nẵng");
        await page.Locator("#f-screenshots").SetInputFilesAsync(new FilePayload { Name = "a.png", MimeType = "image/png", Buffer = WebForms.Png(200, 400) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Gửi báo cáo" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Chúng tôi đã nhận được báo cáo của em");
        await Expect(page.Locator("p.alert")).ToContainTextAsync("gọi 111 ngay"); // danger: the receipt says to call
        var code = await page.Locator("#reference-code").InnerTextAsync();
        var record = await Eventually.ValueAsync(() => hub.Cases.FindByReferenceCodeAsync(code, CancellationToken.None));
        record.Envelope.ShouldContain("\"urgency\": \"immediate\"");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Errors_ShownBesideTheirFieldsAndListedFirst_Accessible()
    {
        var page = await hub.NewPageAsync(ConsoleBrowserFixture.Phone);
        await page.GotoAsync("/bao-cao");
        await page.GetByLabel("Kể lại bằng lời của em").FillAsync("Em muốn kể nhưng quên chọn người viết");
        await page.GetByLabel("Có, hãy liên hệ lại với em").CheckAsync();
        await page.GetByLabel("Số điện thoại, số Zalo hoặc email").FillAsync("12ab");
        await page.GetByRole(AriaRole.Button, new() { Name = "Gửi báo cáo" }).ClickAsync();
        await Expect(page.Locator("#errors h2")).ToHaveTextAsync("Còn 3 chỗ cần sửa");
        await Expect(page.Locator("#errors")).ToBeFocusedAsync(); // the script moves focus to the list of what to fix
        await Expect(page.GetByLabel("Kể lại bằng lời của em")).ToHaveValueAsync("Em muốn kể nhưng quên chọn người viết");
        await Expect(page.GetByLabel("Số điện thoại, số Zalo hoặc email")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByLabel("Số điện thoại, số Zalo hoặc email")).ToHaveAccessibleDescriptionAsync(new Regex("Số điện thoại chưa đúng"));
        await page.Locator("#errors a[href='#f-who']").ClickAsync();
        (await ConsoleBrowserFixture.CheckScreenAsync(page, "errors", "web-form")).ShouldBeEmpty();

        await page.GotoAsync("/bao-cao/in");
        (await ConsoleBrowserFixture.CheckScreenAsync(page, "poster", "web-form")).ShouldBeEmpty();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task KeyboardOnly_TheWholeFormIsFilledAndSent()
    {
        var page = await hub.NewPageAsync(ConsoleBrowserFixture.Phone);
        await page.GotoAsync("/bao-cao");
        var keys = page.Keyboard;

        await TabToAsync(page, "f-danger");
        await keys.PressAsync("Space");
        await TabToAsync(page, "f-who-self"); // a radio group is one tab stop; arrows choose within it
        await keys.PressAsync("ArrowDown");
        await TabToAsync(page, "f-what-0");
        await keys.PressAsync("Space");
        await TabToAsync(page, "f-details");
        await keys.TypeAsync("Bạn em bị dọa trên Zalo");
        await TabToAsync(page, "f-platform");
        await keys.PressAsync("ArrowDown");
        await keys.PressAsync("ArrowDown");
        await keys.PressAsync("ArrowDown");
        await TabToAsync(page, "f-links");
        await keys.TypeAsync("https://zalo.me/g/abcdef");
        await TabToAsync(page, "f-province");
        await keys.TypeAsync("Hà Nội");
        await TabToAsync(page, "send");
        await keys.PressAsync("Enter");

        await Expect(page.Locator("h1")).ToHaveTextAsync("Chúng tôi đã nhận được báo cáo của em");
        var code = await page.Locator("#reference-code").InnerTextAsync();
        var record = await Eventually.ValueAsync(() => hub.Cases.FindByReferenceCodeAsync(code, CancellationToken.None));
        record.Envelope.ShouldContain("\"victim\": \"friend\"");
        record.Envelope.ShouldContain("https://zalo.me/g/abcdef");
        record.Envelope.ShouldContain("\"provinceCode\": \"01\"");
        record.Envelope.ShouldContain("OCSEA.SEXTORTION");
        record.Envelope.ShouldContain("Nơi xảy ra: Zalo");
        await page.Context.CloseAsync();
    }

    /// <summary>Tabs forward until the element with <paramref name="id"/> has focus, failing if it is never reached (in document order).</summary>
    private static async Task TabToAsync(IPage page, string id)
    {
        for (var i = 0; i < 60; i++)
        {
            if (await page.EvaluateAsync<string?>("() => document.activeElement && document.activeElement.id") == id)
            {
                return;
            }

            await page.Keyboard.PressAsync("Tab");
        }

        throw new ShouldAssertException($"#{id} is not reachable with the Tab key");
    }
}
