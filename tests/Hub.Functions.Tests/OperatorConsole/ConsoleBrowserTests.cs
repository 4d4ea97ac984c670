using System.Net;
using System.Text.RegularExpressions;
using Hub.Bots.Dialog;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Functions.Media;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hub.Functions.Tests.OperatorConsole;

/// <summary>
/// The operator console in Debian's Chromium: what a counsellor, a supervisor, a liaison and an administrator see and
/// do, each screen checked with axe-core (0 serious or critical) at 1366×768 and 390×844, with its screenshots
/// written under artifacts/console/. No page may load anything from another host.
/// </summary>
[Collection(ConsoleBrowserGroup.Name)]
public sealed partial class ConsoleBrowserTests(ConsoleBrowserFixture hub) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        hub.ForeignRequests.ShouldBeEmpty("the console loads nothing from any other host");
        return Task.CompletedTask;
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task Counsellor_SeesAnSmsArriveWithoutReload_ClaimsNotesAndClosesIt()
    {
        var page = await hub.SignInAsync("demo.counsellor");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Hàng chờ");
        await ScreenAsync(page, "queue");
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        // A child texts the Đà Nẵng number; the open queue shows it without a reload.
        var sid = ProviderRequests.NewSid();
        using (var sms = await hub.Client.SendAsync(ProviderRequests.Twilio("dn-sms", ProviderRequests.TwilioSms(sid, "Em bị một người lạ dọa tung ảnh lên mạng, em sợ lắm"))))
        {
            sms.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var record = (await hub.WaitForCaseAsync("dn-sms", sid, Wait))!;
        var row = page.Locator($"tr[data-case=\"{record.Id}\"]");
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        (await page.EvaluateAsync<bool>("() => window.__sameDocument === true")).ShouldBeTrue("the row appeared without a reload");
        await Expect(row).ToContainTextAsync("Tin nhắn SMS");
        await Expect(page.Locator(".tile", new() { HasText = "Tin nhắn SMS" })).Not.ToContainTextAsync("không có ai chờ");

        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("h1")).ToContainTextAsync(record.ReferenceCode);
        await Expect(page.Locator("blockquote")).ToContainTextAsync("dọa tung ảnh");
        await ScreenAsync(page, "case");

        await page.GetByRole(AriaRole.Button, new() { Name = "Nhận xử lý" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToHaveTextAsync("Bạn đã nhận xử lý hồ sơ này.");
        await Expect(page.Locator("#owner-title + p")).ToContainTextAsync("Tư vấn viên Đà Nẵng (demo)");

        await page.GetByLabel("Thêm ghi chú").FillAsync("Đã gọi lại cho em, em an toàn.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lưu ghi chú" }).ClickAsync();
        await Expect(page.Locator(".notes")).ToContainTextAsync("Đã gọi lại cho em, em an toàn.");

        await page.Locator("summary", new() { HasText = "Đóng hồ sơ" }).ClickAsync();
        await page.GetByLabel("Lý do đóng").SelectOptionAsync("resolved");
        await page.GetByRole(AriaRole.Button, new() { Name = "Đóng hồ sơ", Exact = true }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToHaveTextAsync("Đã đóng hồ sơ.");
        await Expect(page.Locator(".badges")).ToContainTextAsync("Đã đóng");

        // What the page says is what the case store holds.
        var detail = await hub.CaseService.GetDetailAsync(await hub.ActorAsync("demo.counsellor"), record.Id, CancellationToken.None);
        detail.Summary.Status.ShouldBe(Hub.Core.Cases.CaseStatus.Closed);
        detail.CloseReason.ShouldBe("resolved");
        detail.Notes.Select(n => n.Body).ShouldContain("Đã gọi lại cho em, em an toàn.");
        detail.History.Select(h => h.Action).ShouldBe(["created", "claim", "close"], ignoreOrder: false);
        hub.Logs.AllText.ShouldNotContain("em sợ lắm");
        hub.Logs.AllText.ShouldNotContain("Đã gọi lại cho em");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SmsCase_TheCounsellorAnswersBySms_TheProviderGetsIt_AndItsReceiptShowsWithoutReload()
    {
        var sid = ProviderRequests.NewSid();
        using (var sms = await hub.Client.SendAsync(ProviderRequests.Twilio("dn-sms", ProviderRequests.TwilioSms(sid, "Có người nhắn tin đe doạ em"))))
        {
            sms.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var record = (await hub.WaitForCaseAsync("dn-sms", sid, Wait))!;
        var page = await hub.SignInAsync("demo.counsellor");
        await page.GotoAsync($"/console/cases/{record.Id}");
        await Expect(page.Locator("#sms-title")).ToHaveTextAsync("Trả lời qua SMS");
        await Expect(page.Locator(".sms .flash.info")).ToContainTextAsync("nhận xử lý hồ sơ trước");
        await page.GetByRole(AriaRole.Button, new() { Name = "Nhận xử lý" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToHaveTextAsync("Bạn đã nhận xử lý hồ sơ này.");

        var before = hub.Sms.Received.Count;
        await page.GetByLabel("Tin nhắn gửi người báo").FillAsync("Chào em, 111 đã nhận tin. Em có an toàn không?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Gửi SMS" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToContainTextAsync("Đã xếp tin SMS vào hàng gửi");
        var sent = (await hub.Sms.WaitForAsync(before + 1, Wait))[^1];
        sent.Form["To"].ShouldBe("+84912345678", "the reporter's number, unsealed only for Twilio");
        sent.Form["Body"].ShouldBe("Chào em, 111 đã nhận tin. Em có an toàn không?");
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        await Expect(page.Locator("#sms-lines")).ToContainTextAsync("nhà mạng đã nhận");

        // Twilio's signed status callback: the panel follows it without a reload.
        var callback = sent.Form["StatusCallback"];
        List<KeyValuePair<string, string>> form = [new("MessageSid", Hub.Simulators.SmsSimulator.TwilioSid(sent.Headers["I-Twilio-Idempotency-Token"])), new("MessageStatus", "delivered"), new("AccountSid", TestSecrets.TwilioAccountSid)];
        using var receipt = new HttpRequestMessage(HttpMethod.Post, callback[HubFixture.PublicBaseUrl.Length..]) { Content = new FormUrlEncodedContent(form) };
        receipt.Headers.Add("X-Twilio-Signature", Hub.Core.Signatures.TwilioSignature.Compute(TestSecrets.TwilioAuthToken, callback, form));
        using (var r = await hub.Client.SendAsync(receipt))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        }

        await Expect(page.Locator("#sms-lines")).ToContainTextAsync("đã đến máy người nhận");
        (await page.EvaluateAsync<bool>("() => window.__sameDocument === true")).ShouldBeTrue("the receipt showed without a reload");
        await ScreenAsync(page, "sms-reply");
        hub.Logs.AllText.ShouldNotContain("+84912345678");
        hub.Logs.AllText.ShouldNotContain("Em có an toàn không");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task LiaisonOfAnotherProvince_DoesNotSeeTheCase_ItsOwnProvincesLiaisonDoes()
    {
        var id = await TestCases.WriteAsync(hub.Services, "48");
        var code = (await hub.CaseService.GetDetailAsync(await hub.ActorAsync("demo.supervisor"), id, CancellationToken.None)).Summary.ReferenceCode;

        var hanoi = await hub.SignInAsync("demo.liaison.hn", ConsoleBrowserFixture.Phone);
        await Expect(hanoi.Locator($"tr[data-case=\"{id}\"]")).ToHaveCountAsync(0);
        await hanoi.GotoAsync($"/console?q={code}");
        await Expect(hanoi.Locator("table.queue caption")).ToContainTextAsync("Không có hồ sơ nào");
        var direct = await hanoi.GotoAsync($"/console/cases/{id}");
        direct!.Status.ShouldBe(404, "a case outside the liaison's scope does not exist for them");
        await Expect(hanoi.Locator("h1")).ToHaveTextAsync("Không tìm thấy");
        await ScreenAsync(hanoi, "not-found");

        var danang = await hub.SignInAsync("demo.liaison", ConsoleBrowserFixture.Phone);
        await Expect(danang.Locator($"tr[data-case=\"{id}\"]")).ToBeVisibleAsync();
        await danang.GotoAsync($"/console/cases/{id}");
        await Expect(danang.Locator("h1")).ToContainTextAsync(code);
        await Expect(danang.GetByRole(AriaRole.Button, new() { Name = "Nhận xử lý" })).ToHaveCountAsync(0);
        await ScreenAsync(danang, "case-liaison");

        // The central team sees every case but works only its own: a province's case offers it no action it would be refused.
        var central = await hub.SignInAsync("demo.central");
        await central.GotoAsync($"/console/cases/{id}");
        await Expect(central.Locator("h1")).ToContainTextAsync(code);
        await Expect(central.Locator("#owner-title ~ p.muted")).ToContainTextAsync("chỉ thành viên nhóm này nhận xử lý");
        await Expect(central.Locator("main form[method=post]")).ToHaveCountAsync(0);
        await hanoi.Context.CloseAsync();
        await danang.Context.CloseAsync();
        await central.Context.CloseAsync();

    }

    [Fact]
    public async Task MessengerHandoff_TheCounsellorAnswersTheChild_TheReplyReachesMessenger_TheChildsAnswerShowsUp()
    {
        var psid = ChatFixture.NewUser();
        await PostMessengerAsync(psid, "m1", "Chào");
        await hub.Provider.WaitForRepliesAsync(psid, 3, Wait);
        await PostMessengerAsync(psid, "m2", "Không", BotTexts.PayloadNo);
        await hub.Provider.WaitForRepliesAsync(psid, 4, Wait);
        await PostMessengerAsync(psid, "m3", "bạn cùng lớp lập nhóm anti em, em muốn gặp người thật");
        await hub.Provider.WaitForRepliesAsync(psid, 5, Wait);
        var key = hub.Services.GetRequiredService<Hub.Functions.Privacy.PrivacyServices>().Pseudonymizer.For("conversation", Hub.Bots.Activities.Conversations.IdFor("messenger", ChatFixture.PageId, psid));
        var record = (await hub.WaitForCaseAsync("fb", $"{key}/s1", Wait))!;

        var page = await hub.SignInAsync("demo.counsellor");
        var waiting = page.Locator(".chats li", new() { HasText = record.ReferenceCode });
        await Expect(waiting).ToContainTextAsync("đã chờ");
        await waiting.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("#chat-title")).ToHaveTextAsync("Trò chuyện");
        await page.GetByRole(AriaRole.Button, new() { Name = "Nhận xử lý" }).ClickAsync();
        await Expect(page.Locator("#chat-title")).ToHaveTextAsync("Trò chuyện trên Messenger");

        // A quick reply fills the box (with script on), so the counsellor can change it before sending.
        var quick = page.Locator("form.reply button[name=quick]").First;
        var quickText = (await quick.TextContentAsync())!.Trim();
        await quick.ClickAsync();
        await Expect(page.GetByLabel("Trả lời (gửi qua Messenger)")).ToHaveValueAsync(quickText);
        hub.Provider.RepliesTo(psid).Count.ShouldBe(5, "picking a quick reply sends nothing by itself");

        await page.GetByLabel("Trả lời (gửi qua Messenger)").FillAsync("Chào em, chị là tư vấn viên 111. Em kể chị nghe nhé.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Gửi", Exact = true }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToContainTextAsync("Đã gửi tin trả lời");
        var replies = await hub.Provider.WaitForRepliesAsync(psid, 6, Wait);
        replies[5].Text.ShouldBe("Chào em, chị là tư vấn viên 111. Em kể chị nghe nhé.", "the reply went out through Messenger's Send API");
        await Expect(page.Locator("#chat-lines li.from-counsellor").Last).ToContainTextAsync("đã gửi", new() { Timeout = 30_000 });

        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        await PostMessengerAsync(psid, "m4", "Dạ em chào chị, em sợ lắm");
        await Expect(page.Locator("#chat-lines li.from-child").Last).ToContainTextAsync("Dạ em chào chị, em sợ lắm", new() { Timeout = 30_000 });
        (await page.EvaluateAsync<bool>("() => window.__sameDocument === true")).ShouldBeTrue("the child's answer appeared without a reload");
        await ScreenAsync(page, "chat");

        await page.GetByRole(AriaRole.Button, new() { Name = "Trả lại cho bot" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToContainTextAsync("Đã trả cuộc trò chuyện cho bot");
        hub.Logs.AllText.ShouldNotContain("em sợ lắm");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Evidence_IsBlurredUntilRevealed_AndTheRevealIsInTheAudit()
    {
        var image = Convert.FromBase64String(TestImage);
        var stamp = Guid.NewGuid().ToString("N");
        var storage = hub.Services.GetRequiredService<HubStorage>();
        await hub.Services.GetRequiredService<EvidenceStore>().UploadEncryptedAsync(storage.Evidence, $"t/{stamp}/0.png", image, EvidenceStore.Sha256Hex(image), "image/png", CancellationToken.None);
        var id = await TestCases.WriteAsync(hub.Services, "48", e => e with
        {
            Evidence = [new Evidence { Kind = "image", Blob = $"evidence/t/{stamp}/0.png", Sha256 = EvidenceStore.Sha256Hex(image), ContentType = "image/png", Size = image.Length }],
        });
        var audit = hub.Services.GetRequiredService<AuditLog>();

        var page = await hub.SignInAsync("demo.counsellor");
        await page.GotoAsync($"/console/cases/{id}");
        await Expect(page.Locator(".evidence img")).ToHaveCountAsync(0);
        (await audit.ForCaseAsync(id, CancellationToken.None)).Select(a => a.Action).ShouldNotContain("content.read", "nothing is fetched before the counsellor asks");

        await page.GetByRole(AriaRole.Link, new() { Name = "Xem ảnh (được ghi nhật ký)" }).ClickAsync();
        var img = page.Locator(".evidence img");
        await Expect(img).ToBeVisibleAsync();
        await Eventually.TrueAsync(async () => await img.EvaluateAsync<bool>("i => i.complete && i.naturalWidth === 48"));
        (await img.EvaluateAsync<string>("i => getComputedStyle(i).filter")).ShouldContain("blur");
        await Eventually.TrueAsync(async () => (await audit.ForCaseAsync(id, CancellationToken.None)).Any(a => a.Action == "content.read"));
        await ScreenAsync(page, "evidence");

        await page.GetByText("Bỏ làm mờ").ClickAsync();
        (await img.EvaluateAsync<string>("i => getComputedStyle(i).filter")).ShouldBe("none");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task MissedCall_IsOnTheCallBackList_TheNumberIsRevealedAudited_AndTheOutcomeRecorded()
    {
        var id = await TestCases.WriteAsync(hub.Services, "48", e => e with
        {
            Channel = ReportChannels.Voice111,
            Incident = new Incident { Description = "Cuộc gọi nhỡ: người gọi gác máy khi đang chờ" },
            Signals = new Signals { Urgency = Urgencies.High, Reasons = ["call:missed"] },
        });
        var page = await hub.SignInAsync("demo.counsellor");
        var task = page.Locator(".callbacks li", new() { Has = page.Locator($"a[href^=\"/console/cases/{id}\"]") });
        await Expect(task).ToContainTextAsync("gọi lại");
        (await ConsoleBrowserFixture.SeriousViolationsAsync(page)).ShouldBeEmpty();
        await task.GetByRole(AriaRole.Link).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Nhận xử lý" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Xem số cần gọi lại (được ghi nhật ký)" }).ClickAsync();
        await Expect(page.Locator(".contact")).ToContainTextAsync("+84912345678");
        await ScreenAsync(page, "callback");
        var audit = await hub.Services.GetRequiredService<AuditLog>().ForCaseAsync(id, CancellationToken.None);
        audit.Select(a => a.Action).ShouldContain("contact.reveal");

        await page.GetByLabel("Kết quả gọi lại").SelectOptionAsync("Đã nói chuyện");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lưu kết quả" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToHaveTextAsync("Đã ghi kết quả gọi lại.");
        var detail = await hub.CaseService.GetDetailAsync(await hub.ActorAsync("demo.supervisor"), id, CancellationToken.None);
        detail.Callbacks.ShouldHaveSingleItem().Status.ShouldBe("done");
        detail.Callbacks[0].Outcome.ShouldBe("Đã nói chuyện");
        hub.Logs.AllText.ShouldNotContain("84912345678");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AStaleEdit_ShowsTheOtherPersonsChange_InsteadOfOverwritingIt()
    {
        var id = await TestCases.WriteAsync(hub.Services, "48");
        var page = await hub.SignInAsync("demo.counsellor");
        await page.GotoAsync($"/console/cases/{id}");
        await page.GetByLabel("Thêm ghi chú").FillAsync("Ghi chú viết trên trang cũ");

        // Meanwhile the supervisor takes the case and gives it to the counsellor, with a reason.
        await hub.CaseService.AssignAsync(await hub.ActorAsync("demo.supervisor"), id, "demo.counsellor", "Em nhận giúp chị ca này", CancellationToken.None);

        await page.GetByRole(AriaRole.Button, new() { Name = "Lưu ghi chú" }).ClickAsync();
        var conflict = page.Locator(".conflict");
        await Expect(conflict).ToContainTextAsync("Thay đổi của bạn chưa được lưu");
        await Expect(conflict).ToContainTextAsync("Giám sát viên Đà Nẵng (demo)");
        await Expect(conflict).ToContainTextAsync("Giao việc");
        await ScreenAsync(page, "conflict");
        var detail = await hub.CaseService.GetDetailAsync(await hub.ActorAsync("demo.supervisor"), id, CancellationToken.None);
        detail.Notes.ShouldBeEmpty("the stale note was not written over the newer case");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Counsellor_WorksACase_WithTheKeyboardOnly()
    {
        var id = await TestCases.WriteAsync(hub.Services, "48", e => e with { Signals = new Signals { Urgency = Urgencies.Immediate } });
        var code = (await hub.CaseService.GetDetailAsync(await hub.ActorAsync("demo.supervisor"), id, CancellationToken.None)).Summary.ReferenceCode;
        var page = await hub.SignInAsync("demo.counsellor");

        await page.Keyboard.PressAsync("Tab");
        (await FocusedTextAsync(page)).ShouldBe("Bỏ qua, đến nội dung chính", "the first stop skips the navigation");
        await TabToAsync(page, code);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("h1")).ToContainTextAsync(code);
        await TabToAsync(page, "Nhận xử lý");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(".flash.ok")).ToHaveTextAsync("Bạn đã nhận xử lý hồ sơ này.");
        await TabToAsync(page, "Đóng hồ sơ");
        await page.Keyboard.PressAsync("Enter"); // opens the details
        await TabToAsync(page, "Đóng hồ sơ", "BUTTON");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(".flash.ok")).ToHaveTextAsync("Đã đóng hồ sơ.");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Supervisor_SeesOverdueCasesAndWorkload_AndReassigns()
    {
        var id = await TestCases.WriteAsync(hub.Services, "48", e => e with { ReceivedAt = TimeProvider.System.GetUtcNow().AddDays(-3) });
        var page = await hub.SignInAsync("demo.supervisor");
        await page.GetByRole(AriaRole.Link, new() { Name = "Giám sát" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Giám sát");
        var row = page.Locator("tr.overdue", new() { Has = page.Locator($"a[href=\"/console/cases/{id}\"]") });
        await Expect(row).ToBeVisibleAsync();
        await ScreenAsync(page, "supervisor");
        await row.Locator("select").SelectOptionAsync("demo.counsellor");
        await row.GetByRole(AriaRole.Button, new() { Name = "Giao" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToHaveTextAsync("Đã giao hồ sơ.");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/console/supervisor"));
        var detail = await hub.CaseService.GetDetailAsync(await hub.ActorAsync("demo.supervisor"), id, CancellationToken.None);
        detail.UserNames[detail.Summary.OwnerId!.Value].ShouldBe("Tư vấn viên Đà Nẵng (demo)");
        await Expect(page.Locator("#workload-title + table")).ToContainTextAsync("Tư vấn viên Đà Nẵng (demo)");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_SeesUsers_AndDisablesOne_CounsellorsCannotOpenTheAdminPage()
    {
        var login = "tam" + Guid.NewGuid().ToString("N")[..6];
        await hub.People.AddUserAsync(Actor.Console("test"), login, "Cán bộ thử", ["province-48"], [Roles.Counsellor], null, null, CancellationToken.None);
        var page = await hub.SignInAsync("demo.admin");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/console/admin$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Người dùng");
        await ScreenAsync(page, "admin");
        var row = page.Locator("tr", new() { Has = page.Locator($"th:text-is(\"{login}\")") });
        await row.Locator("summary").ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Khoá tài khoản" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToContainTextAsync("Đã khoá tài khoản");
        (await hub.People.FindUserAsync(login, CancellationToken.None))!.Active.ShouldBeFalse();

        var counsellor = await hub.SignInAsync("demo.counsellor");
        var refused = await counsellor.GotoAsync("/console/admin");
        refused!.Status.ShouldBe(403);
        await Expect(counsellor.Locator("h1")).ToHaveTextAsync("Không có quyền");
        await page.Context.CloseAsync();
        await counsellor.Context.CloseAsync();
    }

    /// <summary>Screenshots at both sizes and axe-core at both: no serious or critical violation, listed if any.</summary>
    private static async Task ScreenAsync(IPage page, string name)
    {
        var violations = await ConsoleBrowserFixture.CheckScreenAsync(page, name);
        violations.ShouldBeEmpty(string.Join("\n", violations));
    }

    private async Task PostMessengerAsync(string psid, string mid, string text, string? quickReply = null)
    {
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, mid, text, quickReply, timestamp: TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds())));
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static Task<string> FocusedTextAsync(IPage page) =>
        page.EvaluateAsync<string>("() => (document.activeElement.innerText || document.activeElement.value || '').trim()");

    /// <summary>Presses Tab until the focused element's text is <paramref name="text"/> (and, if given, it is a <paramref name="tag"/>).</summary>
    private static async Task TabToAsync(IPage page, string text, string? tag = null)
    {
        for (var i = 0; i < 200; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var (focused, name) = (await FocusedTextAsync(page), await page.EvaluateAsync<string>("() => document.activeElement.tagName"));
            if (focused == text && (tag is null || name == tag))
            {
                return;
            }
        }

        throw new InvalidOperationException($"'{text}' is not reachable with the Tab key");
    }

    /// <summary>A 48×48 PNG (two-colour squares), standing in for a screenshot a child sent.</summary>
    private const string TestImage = "iVBORw0KGgoAAAANSUhEUgAAADAAAAAwCAIAAADYYG7QAAAAUElEQVR42u3XsQ0AIAgEQMZhHMdxRMZyBCUx2lzy9XMdEDlrmxq5za2eAAICAgICaoJeDjvpAQICAgIC6oJseyAgICAgf5nzAwgICAjoK2gBgQr0pj3iIloAAAAASUVORK5CYII=";
}

[CollectionDefinition(Name)]
public sealed class ConsoleBrowserGroup : ICollectionFixture<ConsoleBrowserFixture>
{
    public const string Name = "console in a browser";
}
