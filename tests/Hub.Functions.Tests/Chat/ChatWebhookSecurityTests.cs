using System.Net;
using System.Text;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Chat;

/// <summary>
/// Messenger and Zalo webhook authentication: valid, invalid, missing, re-serialised and replayed requests, the
/// Messenger handshake, and that a rejected request leaves nothing behind (no raw blob, no bot turn).
/// </summary>
public sealed class ChatWebhookSecurityTests(ChatFixture hub) : IClassFixture<ChatFixture>
{
    [Fact]
    public async Task Messenger_Handshake_EchoesTheChallengeForOurToken()
    {
        using var ok = await hub.Client.GetAsync($"/api/channels/messenger/fb?hub.mode=subscribe&hub.verify_token={TestSecrets.MetaVerifyToken}&hub.challenge=1158201444");
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ok.Content.ReadAsStringAsync()).ShouldBe("1158201444");
        ok.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
    }

    [Theory]
    [InlineData("subscribe", "wrong-token")]
    [InlineData("unsubscribe", TestSecrets.MetaVerifyToken)]
    [InlineData("subscribe", "")]
    public async Task Messenger_Handshake_WrongTokenOrMode_Is403(string mode, string token)
    {
        using var r = await hub.Client.GetAsync($"/api/channels/messenger/fb?hub.mode={mode}&hub.verify_token={token}&hub.challenge=42");
        r.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await r.Content.ReadAsStringAsync()).ShouldNotContain(TestSecrets.MetaVerifyToken);
    }

    [Fact]
    public async Task Messenger_Handshake_UnknownInstance_Is404()
    {
        using var r = await hub.Client.GetAsync($"/api/channels/messenger/nope?hub.mode=subscribe&hub.verify_token={TestSecrets.MetaVerifyToken}&hub.challenge=42");
        r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Messenger_MissingSignature_Is401AndNothingIsStored()
    {
        var psid = ChatFixture.NewUser();
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, "x1", "chào"), signature: string.Empty));
        r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await AssertNothingStoredAsync(psid);
    }

    [Fact]
    public async Task Messenger_WrongSecret_Is403AndNothingIsStored()
    {
        var psid = ChatFixture.NewUser();
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, "x2", "chào"), secret: "not-the-app-secret"));
        r.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await AssertNothingStoredAsync(psid);
    }

    [Fact]
    public async Task Messenger_BodyReSerialised_Is403()
    {
        // Meta signs "\u00e0"; the same JSON re-serialised with the raw character has other bytes.
        var psid = ChatFixture.NewUser();
        var escaped = ChatFixture.MessengerText(psid, "x3", "chào");
        escaped.ShouldContain("\\u00E0", Case.Insensitive);
        var signature = Hub.Core.Signatures.MetaSignature.Compute(TestSecrets.MetaAppSecret, Encoding.UTF8.GetBytes(escaped));
        var reserialised = System.Text.Json.Nodes.JsonNode.Parse(escaped)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        reserialised.ShouldContain("chào");
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger(reserialised, signature: signature));
        r.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await AssertNothingStoredAsync(psid);
    }

    [Fact]
    public async Task Messenger_SignedButNotAPageWebhook_Is400()
    {
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger("""{"object":"instagram","entry":[]}"""));
        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Messenger_EchoesDeliveriesAndReads_Are200WithoutATurn()
    {
        var psid = ChatFixture.NewUser();
        var body = $$$"""{"object":"page","entry":[{"id":"{{{ChatFixture.PageId}}}","time":1,"messaging":[{"sender":{"id":"{{{ChatFixture.PageId}}}"},"recipient":{"id":"{{{psid}}}"},"timestamp":1,"message":{"mid":"echo1","text":"hi","is_echo":true}},{"sender":{"id":"{{{psid}}}"},"recipient":{"id":"{{{ChatFixture.PageId}}}"},"timestamp":2,"delivery":{"watermark":1}},{"sender":{"id":"{{{psid}}}"},"recipient":{"id":"{{{ChatFixture.PageId}}}"},"timestamp":3,"read":{"watermark":1}}]}]}""";
        using var r = await hub.Client.SendAsync(ChatFixture.Messenger(body));
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        await AssertNothingStoredAsync(psid, checkRaw: false);
    }

    [Fact]
    public async Task Zalo_MissingSignature_Is401()
    {
        var user = ChatFixture.NewUser();
        using var r = await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(user, "zm1", "chao", Now()), signature: string.Empty));
        r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await AssertNothingStoredAsync(user);
    }

    [Fact]
    public async Task Zalo_WrongSecret_Is401()
    {
        var user = ChatFixture.NewUser();
        using var r = await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(user, "zm2", "chao", Now()), secret: "not-the-oa-secret"));
        r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await r.Content.ReadAsStringAsync()).ShouldNotContain(TestSecrets.ZaloOaSecret);
        await AssertNothingStoredAsync(user);
    }

    [Fact]
    public async Task Zalo_OaIdVariantSignature_IsRefusedWhenTheInstanceUsesAppId()
    {
        var user = ChatFixture.NewUser();
        var json = ChatFixture.ZaloText(user, "zm3", "chao", Now());
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var oaSigned = Hub.Core.Signatures.ZaloSignature.Compute(ChatFixture.OaId, Encoding.UTF8.GetBytes(json), doc.RootElement.GetProperty("timestamp").GetString()!, TestSecrets.ZaloOaSecret);
        using var r = await hub.Client.SendAsync(ChatFixture.Zalo(json, signature: oaSigned));
        r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Zalo_BodyReSerialised_Is401()
    {
        var user = ChatFixture.NewUser();
        var json = ChatFixture.ZaloText(user, "zm4", "chào", Now());
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var signature = Hub.Core.Signatures.ZaloSignature.Compute(ChatFixture.ZaloAppId, Encoding.UTF8.GetBytes(json), doc.RootElement.GetProperty("timestamp").GetString()!, TestSecrets.ZaloOaSecret);
        var reserialised = System.Text.Json.Nodes.JsonNode.Parse(json)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        using var r = await hub.Client.SendAsync(ChatFixture.Zalo(reserialised, signature: signature));
        r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await AssertNothingStoredAsync(user);
    }

    [Fact]
    public async Task Zalo_ReplayedOldEvent_Is401()
    {
        // Correctly signed, but three hours old: beyond Zalo's retry schedule, so a replay.
        var user = ChatFixture.NewUser();
        using var r = await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(user, "zm5", "chao", Now().AddHours(-3))));
        r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await AssertNothingStoredAsync(user);
    }

    [Fact]
    public async Task Zalo_EventForAnotherApp_Is401()
    {
        var user = ChatFixture.NewUser();
        var json = ChatFixture.ZaloText(user, "zm6", "chao", Now()).Replace(ChatFixture.ZaloAppId, "999999999999", StringComparison.Ordinal);
        using var r = await hub.Client.SendAsync(ChatFixture.Zalo(json));
        r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Zalo_OaEchoAndProbe_Are200WithoutATurn()
    {
        var user = ChatFixture.NewUser();
        using (var echo = await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(user, "zm7", "oa reply", Now(), "oa_send_text"))))
        {
            echo.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var probe = new HttpRequestMessage(HttpMethod.Post, "/api/channels/zalo/zl") { Content = new StringContent("{}") })
        using (var r = await hub.Client.SendAsync(probe))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var get = await hub.Client.GetAsync("/api/channels/zalo/zl"))
        {
            get.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await AssertNothingStoredAsync(user, checkRaw: false);
    }

    [Fact]
    public async Task Zalo_MalformedJson_WithASignature_Is400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/zalo/zl") { Content = new StringContent("{not json") };
        request.Headers.Add(Hub.Core.Signatures.ZaloSignature.Header, "mac=" + new string('0', 64));
        using var r = await hub.Client.SendAsync(request);
        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private static DateTimeOffset Now() => TimeProvider.System.GetUtcNow();

    /// <summary>No conversation for this user, and (optionally) no raw blob at all since the rejected request.</summary>
    private async Task AssertNothingStoredAsync(string user, bool checkRaw = true)
    {
        await Task.Delay(300);
        (await hub.ConversationRowAsync(hub.ConversationKey("messenger", ChatFixture.PageId, user))).ShouldBeNull();
        (await hub.ConversationRowAsync(hub.ConversationKey("zalo", ChatFixture.OaId, user))).ShouldBeNull();
        if (checkRaw)
        {
            hub.Provider.RepliesTo(user).ShouldBeEmpty();
        }
    }
}
