using System.Net;
using Hub.Functions.Tests.Hashing;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hub.Functions.Tests.OperatorConsole;

/// <summary>
/// A hash curator in Debian's Chromium (docs/hash-bank.md#curators): the 111 curator opens a web-form screenshot,
/// confirms it as abuse material with its classification, and from then on the page shows its hashes and who confirmed
/// it, and no image. The screen passes axe-core and loads nothing from another host.
/// </summary>
[Collection(ConsoleBrowserGroup.Name)]
public sealed class CuratorBrowserTests(ConsoleBrowserFixture hub) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        hub.ForeignRequests.ShouldBeEmpty("the console loads nothing from any other host");
        return Task.CompletedTask;
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task Curator_ConfirmsAScreenshot_AndThePageHidesIt()
    {
        var kase = await WebForms.ReportWithScreenshotAsync(hub, CuratorTests.UniquePng(), "Có người gửi ảnh này vào nhóm lớp em");

        var curator = await hub.SignInAsync("demo.curator");
        await curator.GotoAsync($"/console/cases/{kase.Id}");
        await curator.GetByRole(AriaRole.Link, new() { Name = "Xem ảnh (được ghi nhật ký)" }).ClickAsync();
        await Expect(curator.Locator(".blurbox img")).ToBeVisibleAsync();
        await curator.Locator("details.curate summary").ClickAsync();
        await curator.GetByLabel("Phân loại tư liệu").SelectOptionAsync("csam-b1");
        var violations = await ConsoleBrowserFixture.CheckScreenAsync(curator, "case-curate");
        violations.ShouldBeEmpty(string.Join("\n", violations));
        await curator.GetByRole(AriaRole.Button, new() { Name = "Xác nhận và đưa vào ngân hàng" }).ClickAsync();

        await Expect(curator.Locator(".flash.ok")).ToContainTextAsync("Đã xác nhận là tư liệu xâm hại trẻ em");
        await Expect(curator.Locator(".known-material")).ToContainTextAsync("B1 – trẻ tuổi dậy thì, hành vi tình dục");
        await Expect(curator.Locator(".known-material")).ToContainTextAsync("do Cán bộ thẩm định tư liệu Tổng đài 111 (demo) thẩm định");
        await Expect(curator.Locator("img")).ToHaveCountAsync(0);
        await Expect(curator.GetByRole(AriaRole.Link, new() { Name = "Xem ảnh (được ghi nhật ký)" })).ToHaveCountAsync(0);
        var direct = await curator.GotoAsync($"/api/console/v1/cases/{kase.Id}/evidence/1");
        direct!.Status.ShouldBe(404);
        await curator.Context.CloseAsync();
    }
}
