using System.Net;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using Hub.Bots.Dialog;
using Hub.Functions.Chat;
using Hub.Functions.Channels;
using Hub.Functions.Channels.Zalo;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Tests.Chat;

/// <summary>Outbound provider failures: retried, refreshed, or failed visibly, never silently; token rotation under concurrency.</summary>
public sealed class ChatProviderTests(ChatFixture hub) : IClassFixture<ChatFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Messenger_429ThenSuccess_TheReplyArrives()
    {
        var psid = ChatFixture.NewUser();
        hub.Provider.FailNext("/me/messages", 429, """{"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","code":613}}""", retryAfterSeconds: 0);
        var calls = hub.Provider.SendCalls;
        await PostMessengerAsync(psid, "r1", "chào");
        var replies = await hub.Provider.WaitForRepliesAsync(psid, 3, Wait);
        replies.Count.ShouldBe(3);
        replies[0].Text.ShouldBe(BotTexts.Greeting);
        (hub.Provider.SendCalls - calls).ShouldBe(4); // one refused, three delivered
    }

    [Fact]
    public async Task Messenger_5xxExhausted_TheTurnIsPoisonedWithTheError()
    {
        var psid = ChatFixture.NewUser();
        // SendRetries 1 → two calls per attempt; MaxDequeueCount 2 → two attempts: four failures exhaust it.
        for (var i = 0; i < 4; i++)
        {
            hub.Provider.FailNext("/me/messages", 503, """{"error":{"message":"Service temporarily unavailable","code":2}}""");
        }

        await PostMessengerAsync(psid, "p1", "chào");
        var poisoned = await WaitForPoisonAsync("Send API answered 503");
        poisoned.ShouldNotBeNull();
        poisoned.ShouldContain("\"sourceQueue\":\"bot-turns\"");
        hub.Provider.RepliesTo(psid).ShouldBeEmpty();

        // The conversation kept its state and the unsent replies: nothing the child said is lost.
        var c = await hub.Services.GetRequiredService<ConversationStore>().LoadAsync(hub.ConversationKey("messenger", ChatFixture.PageId, psid), CancellationToken.None);
        c.State.Outbox.Count.ShouldBe(3);
        c.State.Transcript.ShouldContain(l => l.From == "child" && l.Text == "chào");
        hub.Logs.AllText.ShouldContain("Messenger Send API answered 503"); // logged before the move to poison

        // Once the provider is healthy, an operator replays the turn: the replies go out, once.
        (await hub.Services.GetRequiredService<Hub.Functions.Messaging.PoisonMessages>().ReplayAsync([], Hub.Functions.Chat.BotInbox.QueueName, CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(1);
        var replies = await hub.Provider.WaitForRepliesAsync(psid, 3, Wait);
        replies.Select(r => r.Text).ShouldBe([BotTexts.Greeting, BotTexts.Privacy, BotTexts.AskDanger]);
    }

    [Fact]
    public async Task Zalo_ExpiredAccessToken_IsRefreshedAndTheReplySent()
    {
        var user = ChatFixture.NewUser();
        await PostZaloAsync(user, "t1", "xin chao");
        (await hub.Provider.WaitForRepliesAsync(user, 3, Wait)).Count.ShouldBe(3);
        var refreshes = hub.Provider.RefreshCalls;

        hub.Provider.ExpireZaloAccessToken(); // the next send gets -216
        await PostZaloAsync(user, "t2", "khong");
        var replies = await hub.Provider.WaitForRepliesAsync(user, 4, Wait);
        replies.Count.ShouldBe(4);
        replies[3].Text.ShouldStartWith(BotTexts.AskWhat);
        (hub.Provider.RefreshCalls - refreshes).ShouldBe(1);
    }

    [Fact]
    public async Task Zalo_ConcurrentRefreshes_OneProviderCallAndTheNewestPairIsKept()
    {
        var options = hub.Services.GetRequiredService<IOptions<ChannelsOptions>>().Value.Instances["zl"];
        var tokens = hub.Services.GetRequiredService<ZaloTokens>();
        var current = await tokens.GetAccessTokenAsync("zl", options, CancellationToken.None);
        var calls = hub.Provider.RefreshCalls;

        // Four "hub instances" see the same expired token at once.
        var instances = Enumerable.Range(0, 4).Select(_ => ActivatorUtilities.CreateInstance<ZaloTokens>(hub.Services)).ToList();
        var results = await Task.WhenAll(instances.Select(t => t.RefreshAsync("zl", options, current, CancellationToken.None)));

        (hub.Provider.RefreshCalls - calls).ShouldBe(1);
        results.Distinct().ShouldHaveSingleItem().ShouldBe(hub.Provider.ZaloAccessToken);

        // The stored refresh token is the one Zalo will accept next: a further refresh works.
        var again = await tokens.RefreshAsync("zl", options, hub.Provider.ZaloAccessToken, CancellationToken.None);
        again.ShouldBe(hub.Provider.ZaloAccessToken);
        (hub.Provider.RefreshCalls - calls).ShouldBe(2);
    }

    [Fact]
    public async Task ChatSecretsAndTokens_NeverReachTheLogs()
    {
        var psid = ChatFixture.NewUser();
        await PostMessengerAsync(psid, "s1", "chào");
        (await hub.Provider.WaitForRepliesAsync(psid, 3, Wait)).Count.ShouldBe(3);
        var user = ChatFixture.NewUser();
        await PostZaloAsync(user, "s2", "chao");
        (await hub.Provider.WaitForRepliesAsync(user, 3, Wait)).Count.ShouldBe(3);

        var logs = hub.Logs.AllText;
        logs.ShouldNotBeEmpty();
        foreach (var secret in TestSecrets.All.Append(hub.Provider.ZaloAccessToken).Append(hub.Provider.ZaloRefreshToken))
        {
            logs.ShouldNotContain(secret);
        }

        logs.ShouldNotContain(psid);
        logs.ShouldNotContain(user);
    }

    [Fact]
    public async Task BotTurnFunction_PayloadMode_RunsATurnAndPoisonsAnUnusableMessage()
    {
        // The Functions host's queue trigger, as a custom handler receives it (docs/protocols/functions-host.md#queue).
        var psid = ChatFixture.NewUser();
        var activity = Hub.Bots.Messenger.MessengerParser.Parse(System.Text.Encoding.UTF8.GetBytes(ChatFixture.MessengerText(psid, $"{psid}-f1", "chào")))[0];
        var turn = hub.Services.GetRequiredService<BotInbox>().Seal("messenger", "fb", activity, TimeProvider.System.GetUtcNow());
        var message = JsonSerializer.Serialize(turn, BotHostJsonContext.Default.BotTurnMessage);
        using (var ok = await hub.Client.PostAsync("/BotTurn", Invocation(message)))
        {
            ok.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await ok.Content.ReadAsStringAsync()).ShouldContain("3 replies sent");
        }

        hub.Provider.RepliesTo(psid).Count.ShouldBe(3);

        using (var bad = await hub.Client.PostAsync("/BotTurn", Invocation("""{"kind":"activity","channelType":"messenger","instance":"nope","conversationKey":"k"}""")))
        {
            bad.StatusCode.ShouldBe(HttpStatusCode.OK); // poisoned with the error, not retried by the host
        }

        (await WaitForPoisonAsync("No messenger channel named")).ShouldNotBeNull();
    }

    private static StringContent Invocation(string message) =>
        new(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Data"] = new Dictionary<string, string> { [BotTurnProcessor.BindingName] = message },
            ["Metadata"] = new Dictionary<string, object> { ["DequeueCount"] = 1 },
        }), System.Text.Encoding.UTF8, "application/json");

    private async Task<string?> WaitForPoisonAsync(string expected)
    {
        var deadline = DateTimeOffsetClock.Elapsed(Wait);
        while (!deadline.IsExpired)
        {
            PeekedMessage[] peeked = (await hub.Storage.PoisonQueue(Hub.Functions.Chat.BotInbox.QueueName).PeekMessagesAsync(32)).Value;
            if (peeked.Select(p => p.Body.ToString()).FirstOrDefault(b => b.Contains(expected, StringComparison.Ordinal)) is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        return null;
    }

    private async Task PostMessengerAsync(string psid, string mid, string text)
    {
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, $"{psid}-{mid}", text)));
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task PostZaloAsync(string user, string id, string text)
    {
        using var r = await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(user, $"{user}-{id}", text, TimeProvider.System.GetUtcNow())));
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

/// <summary>A hub whose conversations go idle after one second.</summary>
public sealed class QuickIdleChatFixture : ChatFixture
{
    protected override TimeSpan IdleTimeout => TimeSpan.FromSeconds(1);
}

public sealed class ChatIdleTests(QuickIdleChatFixture hub) : IClassFixture<QuickIdleChatFixture>
{
    [Fact]
    public async Task Messenger_IdleConversation_StillBecomesAReport()
    {
        var psid = ChatFixture.NewUser();
        using (var r = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, $"{psid}-i1", "có người trên mạng bắt em gửi ảnh nóng"))))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // Greeting, privacy, danger question … then silence. The idle check closes the session.
        var replies = await hub.Provider.WaitForRepliesAsync(psid, 4, TimeSpan.FromSeconds(30));
        replies.Count.ShouldBe(4);
        replies[3].Text.ShouldStartWith("Mình đã lưu những gì bạn kể");

        using var envelope = await hub.WaitForChatReportAsync("fb", hub.ConversationKey("messenger", ChatFixture.PageId, psid), 1);
        envelope.ShouldNotBeNull();
        var e = envelope.RootElement;
        SchemaValidator.Errors(e.GetRawText()).ShouldBeEmpty();
        e.GetProperty("incident").GetProperty("description").GetString().ShouldBe("có người trên mạng bắt em gửi ảnh nóng");
        e.GetProperty("signals").GetProperty("reasons").EnumerateArray().Select(x => x.GetString()).ShouldContain("chat:idle");
        replies[3].Text.ShouldContain(e.GetProperty("referenceCode").GetString()!);
    }
}
