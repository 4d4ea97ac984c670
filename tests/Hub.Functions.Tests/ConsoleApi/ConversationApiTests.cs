using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hub.Bots.Dialog;
using Hub.Functions.Cases;
using Hub.Functions.Tests.Infrastructure;
using Hub.Simulators;

namespace Hub.Functions.Tests.ConsoleApi;

/// <summary>Live chat after a handoff, over the console API, with the Messenger page on the provider simulator.</summary>
public sealed class ConversationApiTests(ConversationApiTests.Fixture hub) : IClassFixture<ConversationApiTests.Fixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>The console's people and sign-in, plus the chat channels of <see cref="ChatFixture"/>.</summary>
    public sealed class Fixture : ConsoleFixture
    {
        public ProviderSimulator Provider { get; private set; } = null!;

        protected override IDictionary<string, string?> ExtraSettings
        {
            get
            {
                var settings = new Dictionary<string, string?>(base.ExtraSettings);
                foreach (var (k, v) in ChatFixture.ChatSettings(Provider, TimeSpan.FromMinutes(10)))
                {
                    settings[k] = v;
                }

                return settings;
            }
        }

        public override async Task InitializeAsync()
        {
            Provider = await ProviderSimulator.StartAsync();
            Provider.PageAccessToken = TestSecrets.MetaPageToken;
            await base.InitializeAsync();
            await People.AddUserAsync(Actor.Console("test"), "thu", "Tư vấn viên 111", ["central-111"], [Roles.Counsellor], Idp.Issuer, "thu", CancellationToken.None);
            await People.AddUserAsync(Actor.Console("test"), "khoa", "Tư vấn viên 111", ["central-111"], [Roles.Counsellor], Idp.Issuer, "khoa", CancellationToken.None);
        }

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            await Provider.DisposeAsync();
        }
    }

    private async Task PostMessenger(string psid, string mid, string text, string? quickReply = null)
    {
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, mid, text, quickReply, timestamp: TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds())));
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>A child asks for a person; the handoff report becomes a case of the central team (no province was said).</summary>
    private async Task<(string Psid, string CaseId)> HandoffAsync()
    {
        var psid = ChatFixture.NewUser();
        await PostMessenger(psid, "m1", "Chào");
        await hub.Provider.WaitForRepliesAsync(psid, 3, Wait);
        await PostMessenger(psid, "m2", "Không", BotTexts.PayloadNo);
        await hub.Provider.WaitForRepliesAsync(psid, 4, Wait);
        await PostMessenger(psid, "m3", "bạn cùng lớp lập nhóm anti em, em muốn gặp người thật");
        (await hub.Provider.WaitForRepliesAsync(psid, 5, Wait))[4].Text.ShouldStartWith("Mình đã chuyển cho tư vấn viên");
        var key = hub.Services.GetRequiredService<Hub.Functions.Privacy.PrivacyServices>().Pseudonymizer.For("conversation", Hub.Bots.Activities.Conversations.IdFor("messenger", ChatFixture.PageId, psid));
        var record = await hub.WaitForCaseAsync("fb", $"{key}/s1", Wait);
        record.ShouldNotBeNull();
        return (psid, record.Id);
    }

    [Fact]
    public async Task Counsellor_ClaimsAHandoff_ReadsTheChat_Replies_TheChildGetsIt_AndTheChildsAnswerShowsUp()
    {
        var (psid, id) = await HandoffAsync();
        var thu = await hub.SignInAsync("thu");
        (await thu.GetAsync($"{ConsoleCalls.Api}/cases/{id}/conversation")).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "claim first: only the owner talks with the child");
        (await thu.PostAsync($"/cases/{id}/claim", null, "*")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var chat = await thu.GetFromJsonAsync<JsonElement>($"{ConsoleCalls.Api}/cases/{id}/conversation");
        chat.GetProperty("handoff").GetBoolean().ShouldBeTrue();
        chat.GetProperty("canReply").GetBoolean().ShouldBeTrue();
        // What was said up to the handoff is the handoff report's transcript; the conversation holds what follows.
        (await TranscriptAsync(thu, id)).ShouldContain("gặp người thật");

        using (var empty = await thu.PostAsync($"/cases/{id}/conversation/replies", new { text = "  " }, null))
        {
            empty.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        using (var reply = await thu.PostAsync($"/cases/{id}/conversation/replies", new { text = "Chào em, chị là tư vấn viên 111. Em kể chị nghe nhé." }, null))
        {
            reply.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        var replies = await hub.Provider.WaitForRepliesAsync(psid, 6, Wait);
        replies[5].Text.ShouldBe("Chào em, chị là tư vấn viên 111. Em kể chị nghe nhé.", "the reply reached the child through Messenger's Send API");

        await PostMessenger(psid, "m4", "Dạ em chào chị, em sợ lắm");
        await Eventually.TrueAsync(async () =>
        {
            var now = await thu.GetFromJsonAsync<JsonElement>($"{ConsoleCalls.Api}/cases/{id}/conversation");
            var lines = now.GetProperty("lines").EnumerateArray().ToList();
            return lines.Any(l => l.GetProperty("text").GetString() == "Dạ em chào chị, em sợ lắm")
                && lines.Any(l => l.GetProperty("from").GetString() == "counsellor" && l.GetProperty("delivery").GetString() == "sent");
        });
        hub.Provider.RepliesTo(psid).Count.ShouldBe(6, "the bot stays silent while the counsellor holds the conversation");

        var trail = await hub.Services.GetRequiredService<AuditLog>().ForCaseAsync(id, CancellationToken.None);
        trail.Select(a => a.Action).ShouldContain("conversation.read");
        trail.Select(a => a.Action).ShouldContain("conversation.reply");
        hub.Logs.AllText.ShouldNotContain("em sợ lắm");
        hub.Logs.AllText.ShouldNotContain("Em kể chị nghe");

        // Another counsellor of the team, not the owner, may neither read nor write it.
        var khoa = await hub.SignInAsync("khoa");
        (await khoa.GetAsync($"{ConsoleCalls.Api}/cases/{id}/conversation")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        // Released: the bot takes the conversation back and what was said becomes a report of the case.
        (await thu.PostAsync($"/cases/{id}/conversation/release", null, null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.TrueAsync(async () => !(await thu.GetFromJsonAsync<JsonElement>($"{ConsoleCalls.Api}/cases/{id}/conversation")).GetProperty("handoff").GetBoolean());
        var after = await thu.GetFromJsonAsync<JsonElement>($"{ConsoleCalls.Api}/cases/{id}/conversation");
        after.GetProperty("canReply").GetBoolean().ShouldBeFalse();
        using var refused = await thu.PostAsync($"/cases/{id}/conversation/replies", new { text = "còn đó không em?" }, null);
        refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("alternatives").GetArrayLength().ShouldBeGreaterThan(0);
        await Eventually.TrueAsync(async () => (await thu.GetCaseAsync(id)).Body.GetProperty("reports").GetArrayLength() >= 2);
        var transcript = await TranscriptAsync(thu, id);
        transcript.ShouldContain("em sợ lắm", Case.Sensitive, "the released session's report (same case) holds the child's words");
        transcript.ShouldContain("Em kể chị nghe", Case.Sensitive, "and the counsellor's");
    }

    /// <summary>The case's latest transcript (a protected, audited read): its lines' texts, one per line.</summary>
    private static async Task<string> TranscriptAsync(HttpClient client, string id)
    {
        using var doc = JsonDocument.Parse(await client.GetStringAsync($"{ConsoleCalls.Api}/cases/{id}/transcript"));
        return string.Join('\n', doc.RootElement.EnumerateArray().Select(l => l.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task ACaseThatDidNotComeFromAChat_HasNoConversation()
    {
        var id = await hub.CaseAsync("01");
        var lan = await hub.SignInAsync("lan");
        (await lan.PostAsync($"/cases/{id}/claim", null, "*")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await lan.GetAsync($"{ConsoleCalls.Api}/cases/{id}/conversation")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public void MessengerReply_PastTheStandardWindow_IsTaggedHumanAgent()
    {
        var plain = JsonDocument.Parse(Hub.Functions.Channels.Messenger.MessengerSender.Body("1", new BotReply("x", []) { Human = true }));
        plain.RootElement.GetProperty("messaging_type").GetString().ShouldBe("RESPONSE");
        var tagged = JsonDocument.Parse(Hub.Functions.Channels.Messenger.MessengerSender.Body("1", new BotReply("x", []) { Human = true }, humanAgentTag: true));
        tagged.RootElement.GetProperty("messaging_type").GetString().ShouldBe("MESSAGE_TAG");
        tagged.RootElement.GetProperty("tag").GetString().ShouldBe("HUMAN_AGENT");
    }
}
