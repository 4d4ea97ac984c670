using System.Net;
using System.Text.Json;
using Hub.Bots.Dialog;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Chat;

/// <summary>
/// Scripted conversations through the real webhook endpoints with signed payloads; the bot's replies are
/// captured by the loopback provider simulator and the final envelope is read from the case the processor made.
/// </summary>
public sealed class ChatConversationTests(ChatFixture hub) : IClassFixture<ChatFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Messenger_CompleteFlow_BecomesOneReportWithEverythingTheChildSaid()
    {
        var psid = ChatFixture.NewUser();
        hub.Provider.CdnFiles["shot.png"] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4];
        var n = 0;
        async Task<IReadOnlyList<Hub.Simulators.SimulatedReply>> Say(string? text, string? payload = null, string? attachment = null, int expectReplies = 1)
        {
            var before = hub.Provider.RepliesTo(psid).Count;
            using var response = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, $"m_{psid}_{++n}", text, payload, attachment, 1_763_800_000_000 + n)));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var all = await hub.Provider.WaitForRepliesAsync(psid, before + expectReplies, Wait);
            all.Count.ShouldBe(before + expectReplies);
            return all.Skip(before).ToList();
        }

        var opening = await Say("Xin chào", expectReplies: 3);
        opening[0].Text.ShouldBe(BotTexts.Greeting);
        opening[1].Text.ShouldBe(BotTexts.Privacy);
        opening[2].Text.ShouldBe(BotTexts.AskDanger);
        opening[2].QuickReplies.ShouldContain("Gặp người thật");

        (await Say("Không", BotTexts.PayloadNo))[0].Text.ShouldBe(BotTexts.AskWhat);
        (await Say("Bị dọa tung ảnh", "CAT:OCSEA.SEXTORTION"))[0].Text.ShouldBe(BotTexts.AskWho);
        (await Say("Với mình", "WHO:self"))[0].Text.ShouldBe(BotTexts.AskAgeSelf);
        (await Say("14–15", "AGE:14-15"))[0].Text.ShouldBe(BotTexts.AskWhere);
        (await Say("em o Binh Duong"))[0].Text.ShouldBe(BotTexts.AskEvidence); // pre-2025 province, no accents
        (await Say(null, attachment: hub.Provider.BaseUrl + "/cdn/shot.png"))[0].Text.ShouldBe(BotTexts.EvidenceReceived);
        (await Say("link nè https://tiktok.com/@ke_xau/video/1"))[0].Text.ShouldBe(BotTexts.EvidenceReceived);
        var closing = await Say("Xong", BotTexts.PayloadDone, expectReplies: 2);
        closing[1].Text.ShouldBe(BotTexts.AnythingElse);

        var key = hub.ConversationKey("messenger", ChatFixture.PageId, psid);
        using var envelope = await hub.WaitForChatReportAsync("fb", key, 1);
        envelope.ShouldNotBeNull();
        var json = envelope.RootElement.GetRawText();
        SchemaValidator.Errors(json).ShouldBeEmpty();
        var e = envelope.RootElement;
        closing[0].Text.ShouldContain(e.GetProperty("referenceCode").GetString()!);
        closing[0].Text.ShouldContain("Hồ Chí Minh");
        e.GetProperty("channel").GetString().ShouldBe("messenger");
        e.GetProperty("source").GetProperty("providerAccount").GetString().ShouldBe(ChatFixture.PageId);
        e.GetProperty("source").GetProperty("conversationId").GetString().ShouldBe(key);
        e.GetProperty("incident").GetProperty("categories").EnumerateArray().Select(x => x.GetString()).ShouldContain("OCSEA.SEXTORTION");
        e.GetProperty("incident").GetProperty("victim").GetString().ShouldBe("self");
        e.GetProperty("incident").GetProperty("urls").EnumerateArray().Select(x => x.GetString()).ShouldContain("https://tiktok.com/@ke_xau/video/1");
        e.GetProperty("reporter").GetProperty("ageBand").GetString().ShouldBe("14-15");
        e.GetProperty("reporter").GetProperty("role").GetString().ShouldBe("child");
        e.GetProperty("location").GetProperty("provinceCode").GetString().ShouldBe("79");
        e.GetProperty("location").GetProperty("basis").GetString().ShouldBe("reporter");
        e.GetProperty("signals").GetProperty("urgency").GetString().ShouldBe("high");
        var evidence = e.GetProperty("evidence").EnumerateArray().ToList();
        evidence.Select(x => x.GetProperty("kind").GetString()).ShouldBe(["transcript", "image"], ignoreOrder: true);
        evidence.ShouldAllBe(x => x.GetProperty("sha256").GetString()!.Length == 64);
        evidence.Single(x => x.GetProperty("kind").GetString() == "image").GetProperty("size").GetInt64().ShouldBe(8);
        json.IndexOf(psid, StringComparison.Ordinal).ShouldBe(-1, json[Math.Max(0, json.IndexOf(psid, StringComparison.Ordinal) - 200)..]); // the PSID is pseudonymised and encrypted, never stored as is
    }

    [Fact]
    public async Task Zalo_DangerPath_UnaccentedText_EmitsAnImmediateReportAtOnce()
    {
        var user = ChatFixture.NewUser();
        var now = TimeProvider.System.GetUtcNow();
        using (var r = await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(user, $"z{user}1", "cuu em voi, co nguoi doa tung anh cua em", now))))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var opening = await hub.Provider.WaitForRepliesAsync(user, 3, Wait);
        opening.Count.ShouldBe(3);
        opening[2].Text.ShouldStartWith(BotTexts.AskDanger);
        opening[2].Text.ShouldContain("1. Có, mình đang sợ"); // Zalo: quick replies as a numbered list

        // The child answers with the number; the same webhook is delivered twice (a Zalo retry).
        var yes = ChatFixture.ZaloText(user, $"z{user}2", "1", now.AddSeconds(5));
        for (var i = 0; i < 2; i++)
        {
            using var r = await hub.Client.SendAsync(ChatFixture.Zalo(yes));
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var replies = await hub.Provider.WaitForRepliesAsync(user, 5, Wait);
        replies[3].Text.ShouldContain("gọi ngay 111");
        replies[4].Text.ShouldBe(BotTexts.OfferPerson + "\n1. Gặp người thật\n2. Kể tiếp\n(Bạn trả lời bằng số hoặc bằng lời nhé)");

        var key = hub.ConversationKey("zalo", ChatFixture.OaId, user);
        using var envelope = await hub.WaitForChatReportAsync("zl", key, 1);
        envelope.ShouldNotBeNull();
        var e = envelope.RootElement;
        SchemaValidator.Errors(e.GetRawText()).ShouldBeEmpty();
        e.GetProperty("channel").GetString().ShouldBe("zalo");
        e.GetProperty("signals").GetProperty("urgency").GetString().ShouldBe("immediate");
        e.GetProperty("signals").GetProperty("reasons").EnumerateArray().Select(x => x.GetString()).ShouldContain("chat:danger-confirmed");
        e.GetProperty("incident").GetProperty("description").GetString().ShouldBe("cuu em voi, co nguoi doa tung anh cua em");
        e.GetProperty("incident").GetProperty("categories").EnumerateArray().Select(x => x.GetString()).ShouldContain("OCSEA.SEXTORTION");
        e.GetProperty("location").GetProperty("provinceCode").GetString().ShouldBe("40"); // the provincial OA's province
        replies[3].Text.ShouldContain(e.GetProperty("referenceCode").GetString()!);

        // The duplicate delivery made neither a second turn nor a second report.
        await Task.Delay(500);
        hub.Provider.RepliesTo(user).Count.ShouldBe(5);
        (await hub.WaitForCaseAsync("zl", $"{key}/s2", TimeSpan.FromMilliseconds(200))).ShouldBeNull();
    }

    [Fact]
    public async Task Messenger_Handoff_EmitsFlaggedReportAndTheBotFallsSilent()
    {
        var psid = ChatFixture.NewUser();
        await PostMessenger(psid, "m1", "Chào");
        (await hub.Provider.WaitForRepliesAsync(psid, 3, Wait)).Count.ShouldBe(3);
        await PostMessenger(psid, "m2", "Không", BotTexts.PayloadNo);
        (await hub.Provider.WaitForRepliesAsync(psid, 4, Wait)).Count.ShouldBe(4);
        await PostMessenger(psid, "m3", "bạn cùng lớp lập nhóm anti em, em muốn gặp người thật");
        var replies = await hub.Provider.WaitForRepliesAsync(psid, 5, Wait);
        replies[4].Text.ShouldStartWith("Mình đã chuyển cho tư vấn viên");

        var key = hub.ConversationKey("messenger", ChatFixture.PageId, psid);
        using var envelope = await hub.WaitForChatReportAsync("fb", key, 1);
        envelope.ShouldNotBeNull();
        envelope.RootElement.GetProperty("signals").GetProperty("handoff").GetBoolean().ShouldBeTrue();
        envelope.RootElement.GetProperty("incident").GetProperty("categories").EnumerateArray().Select(x => x.GetString()).ShouldContain("ONLINE.BULLYING");

        // While an operator holds the conversation the bot records but does not answer.
        await PostMessenger(psid, "m4", "anh chị ơi em đang chờ");
        await WaitUntilAsync(() => TranscriptHasAsync(key, "đang chờ"));
        await Task.Delay(300);
        hub.Provider.RepliesTo(psid).Count.ShouldBe(5);
        (await hub.ConversationRowAsync(key))!.GetBoolean("Handoff").ShouldBe(true);
    }

    [Fact]
    public async Task Zalo_NfdInputAndAttachment_AreNormalisedAndStored()
    {
        var user = ChatFixture.NewUser();
        hub.Provider.CdnFiles["z.png"] = [1, 2, 3];
        var at = TimeProvider.System.GetUtcNow();
        async Task Send(string id, string text, string? image = null)
        {
            at = at.AddSeconds(1);
            using var r = await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(user, id, text, at, image is null ? "user_send_text" : "user_send_image", image)));
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await Send("a1", "xin chao");
        (await hub.Provider.WaitForRepliesAsync(user, 3, Wait)).Count.ShouldBe(3);
        await Send("a2", "khong");
        (await hub.Provider.WaitForRepliesAsync(user, 4, Wait)).Count.ShouldBe(4);
        await Send("a3", "có người lạ dụ dỗ em gửi ảnh".Normalize(System.Text.NormalizationForm.FormD));
        (await hub.Provider.WaitForRepliesAsync(user, 5, Wait))[4].Text.ShouldStartWith(BotTexts.AskWho);
        await Send("a4", "2");
        (await hub.Provider.WaitForRepliesAsync(user, 6, Wait))[5].Text.ShouldStartWith(BotTexts.AskAgeOther);
        await Send("a5", "12 tuoi");
        (await hub.Provider.WaitForRepliesAsync(user, 7, Wait)).Count.ShouldBe(7);
        await Send("a6", "bo qua");
        (await hub.Provider.WaitForRepliesAsync(user, 8, Wait)).Count.ShouldBe(8);
        await Send("a7", string.Empty, hub.Provider.BaseUrl + "/cdn/z.png");
        (await hub.Provider.WaitForRepliesAsync(user, 9, Wait))[8].Text.ShouldStartWith(BotTexts.EvidenceReceived);
        await Send("a8", "xong");
        (await hub.Provider.WaitForRepliesAsync(user, 11, Wait)).Count.ShouldBe(11);

        using var envelope = await hub.WaitForChatReportAsync("zl", hub.ConversationKey("zalo", ChatFixture.OaId, user), 1);
        envelope.ShouldNotBeNull();
        var e = envelope.RootElement;
        SchemaValidator.Errors(e.GetRawText()).ShouldBeEmpty();
        var description = e.GetProperty("incident").GetProperty("description").GetString()!;
        description.ShouldBe("có người lạ dụ dỗ em gửi ảnh");
        description.IsNormalized(System.Text.NormalizationForm.FormC).ShouldBeTrue();
        e.GetProperty("incident").GetProperty("categories").EnumerateArray().Select(x => x.GetString()).ShouldContain("OCSEA.GROOMING");
        e.GetProperty("incident").GetProperty("victim").GetString().ShouldBe("friend");
        e.GetProperty("reporter").GetProperty("ageBand").GetString().ShouldBe("10-13");
        e.GetProperty("evidence").EnumerateArray().Count(x => x.GetProperty("kind").GetString() == "image" && x.TryGetProperty("blob", out _)).ShouldBe(1);
    }

    [Fact]
    public async Task Messenger_DuplicateDeliveries_MakeOneTurn()
    {
        var psid = ChatFixture.NewUser();
        var body = ChatFixture.MessengerText(psid, "dup-1", "chào bạn");
        for (var i = 0; i < 3; i++)
        {
            using var r = await hub.Client.SendAsync(ChatFixture.Messenger(body));
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await hub.Provider.WaitForRepliesAsync(psid, 3, Wait)).Count.ShouldBe(3);
        await Task.Delay(700);
        hub.Provider.RepliesTo(psid).Count.ShouldBe(3);
    }

    private async Task PostMessenger(string psid, string mid, string text, string? payload = null)
    {
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, $"{psid}-{mid}", text, payload)));
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task<bool> TranscriptHasAsync(string key, string words)
    {
        var c = await hub.Services.GetRequiredService<Hub.Functions.Chat.ConversationStore>().LoadAsync(key, CancellationToken.None);
        return c.State.Step == Steps.HandedOff && c.State.Transcript.Exists(l => l.From == "child" && l.Text.Contains(words, StringComparison.Ordinal));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTimeOffsetClock.Elapsed(Wait);
        while (!await condition())
        {
            deadline.IsExpired.ShouldBeFalse("condition not met in time");
            await Task.Delay(50);
        }
    }
}
