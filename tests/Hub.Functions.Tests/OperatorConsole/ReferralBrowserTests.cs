using System.Text.RegularExpressions;
using Hub.Core.Envelope;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Playwright;
using UglyToad.PdfPig;

namespace Hub.Functions.Tests.OperatorConsole;

/// <summary>
/// Referrals in Debian's Chromium (docs/referrals.md): the Đà Nẵng counsellor refers a sextortion case to the police
/// the routing proposed; the Đà Nẵng police liaison acknowledges, accepts and records the outcome on their own pages;
/// Hà Nội's police finds nothing; the case is printed as Form 01 with Chromium's print-to-PDF and the PDF's text read
/// back. Each screen passes axe-core (0 serious or critical) and loads nothing from another host.
/// </summary>
[Collection(ConsoleBrowserGroup.Name)]
public sealed class ReferralBrowserTests(ConsoleBrowserFixture hub) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        hub.ForeignRequests.ShouldBeEmpty("the console loads nothing from any other host");
        return Task.CompletedTask;
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static async Task ScreenAsync(IPage page, string name)
    {
        var violations = await ConsoleBrowserFixture.CheckScreenAsync(page, name);
        violations.ShouldBeEmpty(string.Join("\n", violations));
    }

    [Fact]
    public async Task Counsellor_RefersToThePolice_TheLiaisonAcceptsAndRecordsTheOutcome_AndForm01PrintsToPdf()
    {
        const string Description = "Có người lạ dọa tung ảnh nhạy cảm của em lên mạng nếu em không gửi thêm ảnh";
        var id = await TestCases.WriteAsync(hub.Services, "48", e => e with
        {
            Incident = new Incident { Description = Description, Categories = ["OCSEA.SEXTORTION"], Urls = ["https://social.example/u/ke-la"], ReportedAccounts = ["@ke-la"] },
            Signals = new Signals { Urgency = Urgencies.High, Reasons = [] },
        });

        var counsellor = await hub.SignInAsync("demo.counsellor");
        await counsellor.GotoAsync($"/console/cases/{id}");
        var code = (await counsellor.Locator("h1 .code").TextContentAsync())!.Trim();
        await counsellor.GetByRole(AriaRole.Button, new() { Name = "Nhận xử lý" }).ClickAsync();
        await Expect(counsellor.Locator("#refer-team")).ToBeVisibleAsync();
        await Expect(counsellor.Locator("#refer-team optgroup[label='Đề xuất theo định tuyến'] option")).ToHaveCountAsync(2);
        await counsellor.Locator("#refer-team").SelectOptionAsync("police-48");
        await counsellor.GetByLabel("Nội dung chuyển (đơn vị nhận sẽ đọc)").FillAsync("Trẻ 14 tuổi bị tống tiền bằng ảnh; đề nghị xác minh tài khoản @ke-la");
        await counsellor.GetByLabel("Người báo đã đồng ý chuyển thông tin").CheckAsync();
        await ScreenAsync(counsellor, "case-refer");
        await counsellor.GetByRole(AriaRole.Button, new() { Name = "Gửi chuyển tuyến" }).ClickAsync();
        await Expect(counsellor.Locator(".flash.ok")).ToContainTextAsync("Đã gửi chuyển tuyến");
        await Expect(counsellor.Locator("li.referral")).ToContainTextAsync("Đã gửi, chờ xác nhận");
        var rid = (await counsellor.Locator("li.referral").GetAttributeAsync("data-referral"))!;

        // Another province's police: the referral does not exist for them.
        var hanoi = await hub.SignInAsync("demo.police.hn", ConsoleBrowserFixture.Phone);
        var direct = await hanoi.GotoAsync($"/console/referrals/{rid}");
        direct!.Status.ShouldBe(404);
        await hanoi.GotoAsync("/console/referrals");
        await Expect(hanoi.Locator("main")).ToContainTextAsync("Không có chuyển tuyến nào");

        // Đà Nẵng's police: the inbox, what is shared (a summary: no description), then acknowledge → accept → outcome.
        var police = await hub.SignInAsync("demo.police", ConsoleBrowserFixture.Phone);
        await police.GotoAsync("/console/referrals");
        await ScreenAsync(police, "referrals-inbox");
        await police.GetByRole(AriaRole.Link, new() { Name = code }).ClickAsync();
        await Expect(police.Locator("h1")).ToContainTextAsync(code);
        await Expect(police.Locator("main")).ToContainTextAsync("chỉ chia sẻ tóm tắt");
        await Expect(police.Locator("main")).Not.ToContainTextAsync(Description);
        await ScreenAsync(police, "referral-liaison");
        await police.GetByRole(AriaRole.Button, new() { Name = "Xác nhận đã nhận" }).ClickAsync();
        await Expect(police.Locator(".flash.ok")).ToContainTextAsync("Đã xác nhận");
        await police.GetByRole(AriaRole.Button, new() { Name = "Tiếp nhận xử lý" }).ClickAsync();
        await Expect(police.Locator(".flash.ok")).ToContainTextAsync("Đã tiếp nhận");
        await police.GetByLabel("Kết quả", new() { Exact = true }).SelectOptionAsync("child-safe");
        await police.GetByLabel("Ghi chú kết quả").FillAsync("Đã làm việc với gia đình; tài khoản đã bị khóa");
        await police.GetByRole(AriaRole.Button, new() { Name = "Ghi kết quả xử lý" }).ClickAsync();
        await Expect(police.Locator(".flash.ok")).ToContainTextAsync("Đã ghi kết quả");
        await Expect(police.Locator(".badges")).ToContainTextAsync("Đã xử lý xong");

        await counsellor.ReloadAsync();
        await Expect(counsellor.Locator("li.referral")).ToContainTextAsync("Đã xử lý xong");
        await Expect(counsellor.Locator("li.referral")).ToContainTextAsync("Trẻ đã an toàn: Đã làm việc với gia đình; tài khoản đã bị khóa");
        await Expect(counsellor.Locator(".badges")).ToContainTextAsync("Đang xử lý");

        // Form 01, printed by Chromium to PDF: the case's facts are in the PDF's text; what the hub does not hold is blank.
        await counsellor.GetByRole(AriaRole.Link, new() { Name = "In phiếu Mẫu số 01 (Nghị định 56/2017)" }).ClickAsync();
        await counsellor.WaitForURLAsync(new Regex("/mau-01$"));
        await ScreenAsync(counsellor, "form-01");
        var pdf = await counsellor.PdfAsync(new PagePdfOptions { Format = "A4", PrintBackground = true });
        using var document = PdfDocument.Open(pdf);
        var text = string.Join("\n", document.GetPages().Select(p => p.Text)).Normalize(System.Text.NormalizationForm.FormC);
        var compact = Regex.Replace(text, @"\s+", string.Empty);
        foreach (var expected in new[] { "Mẫu số 01", "Nghị định số 56/2017/NĐ-CP", code, Description, "Công an Đà Nẵng", "@ke-la", "https://social.example/u/ke-la", "Tư vấn viên Đà Nẵng (demo)" })
        {
            compact.ShouldContain(Regex.Replace(expected, @"\s+", string.Empty), Case.Sensitive, $"the PDF's text has \"{expected}\"");
        }

        compact.ShouldNotContain("+8491", Case.Sensitive, "the reporter's number is never printed");
        await counsellor.Context.CloseAsync();
        await police.Context.CloseAsync();
        await hanoi.Context.CloseAsync();
    }
}
