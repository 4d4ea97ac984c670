using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hub.Bots.Activities;
using Hub.Core.Signatures;
using Hub.Simulators;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The hub with a Messenger page (<c>fb</c>) and a Zalo OA (<c>zl</c>) whose provider APIs are the loopback
/// <see cref="ProviderSimulator"/>: replies are captured there, tokens are checked there, faults injected there.
/// </summary>
public class ChatFixture : HubFixture
{
    public const string PageId = "1234567890";
    public const string ZaloAppId = "360846524940903967";
    public const string OaId = "388613280878808645";

    public ProviderSimulator Provider { get; private set; } = null!;

    protected virtual TimeSpan IdleTimeout => TimeSpan.FromMinutes(10);

    protected override IDictionary<string, string?> ExtraSettings => ChatSettings(Provider, IdleTimeout);

    /// <summary>The chat channels on <paramref name="provider"/>: what any fixture that needs a Messenger page and a Zalo OA adds.</summary>
    public static Dictionary<string, string?> ChatSettings(ProviderSimulator provider, TimeSpan idleTimeout) => new()
    {
        ["Hub:Bots:IdleTimeout"] = idleTimeout.ToString("c", CultureInfo.InvariantCulture),
        ["Hub:Bots:SendRetries"] = "1",
        ["Hub:Bots:SendRetryBaseDelay"] = "00:00:00.020",
        ["Hub:Processor:MaxDequeueCount"] = "2",
        ["Hub:Channels:fb:Type"] = "messenger",
        ["Hub:Channels:fb:AppSecret"] = TestSecrets.MetaAppSecret,
        ["Hub:Channels:fb:VerifyToken"] = TestSecrets.MetaVerifyToken,
        ["Hub:Channels:fb:PageAccessToken"] = TestSecrets.MetaPageToken,
        ["Hub:Channels:fb:GraphApiBaseUrl"] = provider.BaseUrl,
        ["Hub:Channels:fb:AllowPrivateMediaHosts"] = "true",
        ["Hub:Channels:fb:MediaHosts:0"] = "127.0.0.1",
        ["Hub:Channels:zl:Type"] = "zalo",
        ["Hub:Channels:zl:AppId"] = ZaloAppId,
        ["Hub:Channels:zl:OaId"] = OaId,
        ["Hub:Channels:zl:OaSecretKey"] = TestSecrets.ZaloOaSecret,
        ["Hub:Channels:zl:AppSecretKey"] = TestSecrets.ZaloAppSecretKey,
        ["Hub:Channels:zl:RefreshToken"] = provider.ZaloRefreshToken,
        ["Hub:Channels:zl:ZaloApiBaseUrl"] = provider.BaseUrl,
        ["Hub:Channels:zl:ZaloOAuthBaseUrl"] = provider.BaseUrl,
        ["Hub:Channels:zl:Province"] = "40",
        ["Hub:Channels:zl:AllowPrivateMediaHosts"] = "true",
        ["Hub:Channels:zl:MediaHosts:0"] = "127.0.0.1",
    };

    public override async Task InitializeAsync()
    {
        Provider = await ProviderSimulator.StartAsync();
        Provider.PageAccessToken = TestSecrets.MetaPageToken;
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Provider.DisposeAsync();
    }

    public static string NewUser() => Random.Shared.NextInt64(1_000_000_000_000, 9_999_999_999_999).ToString(CultureInfo.InvariantCulture);

    /// <summary>A Messenger text (or quick-reply) event, JSON-escaped the way Meta sends it (non-ASCII as \uXXXX).</summary>
    public static string MessengerText(string psid, string mid, string? text, string? quickReply = null, string? attachmentUrl = null, long? timestamp = null)
    {
        var message = new Dictionary<string, object?> { ["mid"] = mid };
        if (text is not null)
        {
            message["text"] = text;
        }

        if (quickReply is not null)
        {
            message["quick_reply"] = new Dictionary<string, string> { ["payload"] = quickReply };
        }

        if (attachmentUrl is not null)
        {
            message["attachments"] = new[] { new Dictionary<string, object> { ["type"] = "image", ["payload"] = new Dictionary<string, string> { ["url"] = attachmentUrl } } };
        }

        var ts = timestamp ?? 1_763_800_000_000;
        var hook = new Dictionary<string, object>
        {
            ["object"] = "page",
            ["entry"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["id"] = PageId,
                    ["time"] = ts,
                    ["messaging"] = new[]
                    {
                        new Dictionary<string, object> { ["sender"] = new Dictionary<string, string> { ["id"] = psid }, ["recipient"] = new Dictionary<string, string> { ["id"] = PageId }, ["timestamp"] = ts, ["message"] = message },
                    },
                },
            },
        };
        return JsonSerializer.Serialize(hook);
    }

    public static HttpRequestMessage Messenger(string json, string instance = "fb", string? signature = null, string secret = TestSecrets.MetaAppSecret)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/messenger/{instance}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        signature ??= MetaSignature.Compute(secret, body);
        if (signature.Length > 0)
        {
            request.Headers.Add(MetaSignature.Header, signature);
        }

        return request;
    }

    /// <summary>A Zalo <c>user_send_text</c> event shaped like Zalo's documented example.</summary>
    public static string ZaloText(string userId, string msgId, string text, DateTimeOffset at, string eventName = "user_send_text", string? imageUrl = null)
    {
        var message = new Dictionary<string, object> { ["text"] = text, ["msg_id"] = msgId };
        if (imageUrl is not null)
        {
            message["attachments"] = new[] { new Dictionary<string, object> { ["type"] = "image", ["payload"] = new Dictionary<string, string> { ["url"] = imageUrl, ["thumbnail"] = imageUrl } } };
        }

        var user = eventName.StartsWith("oa_", StringComparison.Ordinal);
        var hook = new Dictionary<string, object>
        {
            ["app_id"] = ZaloAppId,
            ["sender"] = new Dictionary<string, string> { ["id"] = user ? OaId : userId },
            ["user_id_by_app"] = "552177279717587730",
            ["recipient"] = new Dictionary<string, string> { ["id"] = user ? userId : OaId },
            ["event_name"] = eventName,
            ["message"] = message,
            ["timestamp"] = at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        };
        return JsonSerializer.Serialize(hook);
    }

    public static HttpRequestMessage Zalo(string json, string instance = "zl", string? signature = null, string secret = TestSecrets.ZaloOaSecret)
    {
        var body = Encoding.UTF8.GetBytes(json);
        using var doc = JsonDocument.Parse(body);
        var ts = doc.RootElement.TryGetProperty("timestamp", out var t) ? t.GetString() ?? string.Empty : string.Empty;
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/zalo/{instance}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        signature ??= ZaloSignature.Compute(ZaloAppId, body, ts, secret);
        if (signature.Length > 0)
        {
            request.Headers.Add(ZaloSignature.Header, signature);
        }

        return request;
    }

    public string ConversationKey(string channel, string account, string user) =>
        Services.GetRequiredService<PrivacyServices>().Pseudonymizer.For("conversation", Conversations.IdFor(channel, account, user));

    /// <summary>The envelope of session <paramref name="session"/> of a conversation, once the processor made its case.</summary>
    public async Task<JsonDocument?> WaitForChatReportAsync(string instance, string conversationKey, int session, TimeSpan? timeout = null)
    {
        var entity = await WaitForCaseAsync(instance, $"{conversationKey}/s{session}", timeout);
        return entity is null ? null : JsonDocument.Parse(entity.Envelope);
    }

    public async Task<TableEntity?> ConversationRowAsync(string key)
    {
        var e = await Storage.Table(Hub.Functions.Chat.ConversationStore.TableName).GetEntityIfExistsAsync<TableEntity>(key, "state");
        return e.HasValue ? e.Value : null;
    }
}
