using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Core.Signatures;
using Hub.Functions.Chat;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Channels;

/// <summary>
/// One row of <c>testdata/{channel}/cases.json</c> (courier's incoming test cases): a provider payload file, the
/// status the hub must answer, and what the stored report must say (dotted paths into the envelope) or how many
/// dialog turns the webhook must queue. Placeholders: <c>{{sid}}</c> a fresh message id, <c>{{user}}</c> a fresh
/// user, <c>{{page}}</c>/<c>{{oa}}</c>/<c>{{app}}</c> the test accounts, <c>{{ts}}</c> now in epoch ms.
/// </summary>
public sealed record IncomingCase(string Label, string File, int Status, Dictionary<string, string>? Expect, int? Turns)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public override string ToString() => Label; // the test explorer's row name

    public static TheoryData<IncomingCase> Load(string channel)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "testdata", channel);
        var rows = JsonSerializer.Deserialize<List<IncomingCase>>(System.IO.File.ReadAllText(Path.Combine(dir, "cases.json")), Json)!;
        var data = new TheoryData<IncomingCase>();
        foreach (var row in rows)
        {
            data.Add(row);
        }

        return data;
    }

    public string Body(string channel, IReadOnlyDictionary<string, string> values)
    {
        var text = System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", channel, File));
        foreach (var (k, v) in values)
        {
            text = text.Replace("{{" + k + "}}", v, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>The value at a dotted path (<c>incident.categories[0]</c>) of a JSON document, as text.</summary>
    public static string? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            var name = part;
            int? index = null;
            if (part.EndsWith(']') && part.IndexOf('[', StringComparison.Ordinal) is var open and > 0)
            {
                index = int.Parse(part[(open + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
                name = part[..open];
            }

            node = node?[name];
            if (index is { } i)
            {
                node = node is JsonArray a && i < a.Count ? a[i] : null;
            }
        }

        return node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString();
    }
}

/// <summary>SMS payloads as files, each run through the real endpoint into a stored case (or a clean refusal).</summary>
public sealed class SmsIncomingPayloadTests(HubFixture hub) : IClassFixture<HubFixture>
{
    public static TheoryData<IncomingCase> TwilioSms => IncomingCase.Load("twilio-sms");

    public static TheoryData<IncomingCase> SmsGateway => IncomingCase.Load("sms-gateway");

    [Theory]
    [MemberData(nameof(TwilioSms))]
    public async Task TwilioSms_Payload_AnswersAndStoresAsTheTableSays(IncomingCase row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var sid = ProviderRequests.NewSid();
        var body = row.Body("twilio-sms", new Dictionary<string, string> { ["sid"] = sid });
        var form = body.Split('&').Select(p => p.Split('=', 2)).Select(kv => new KeyValuePair<string, string>(WebUtility.UrlDecode(kv[0]), WebUtility.UrlDecode(kv.ElementAtOrDefault(1) ?? string.Empty))).ToList();
        using var request = ProviderRequests.Twilio("hn-sms", form);
        request.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"); // the file's exact bytes

        using var response = await hub.Client.SendAsync(request);

        ((int)response.StatusCode).ShouldBe(row.Status, row.Label);
        await ShouldHaveStoredAsync(row, "hn-sms", sid);
    }

    [Theory]
    [MemberData(nameof(SmsGateway))]
    public async Task SmsGateway_Payload_AnswersAndStoresAsTheTableSays(IncomingCase row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var id = "gw-" + Guid.NewGuid().ToString("N");
        using var request = ProviderRequests.Gateway("vt-gw", row.Body("sms-gateway", new Dictionary<string, string> { ["sid"] = id }), TimeProvider.System.GetUtcNow());

        using var response = await hub.Client.SendAsync(request);

        ((int)response.StatusCode).ShouldBe(row.Status, row.Label);
        await ShouldHaveStoredAsync(row, "vt-gw", id);
    }

    private async Task ShouldHaveStoredAsync(IncomingCase row, string instance, string messageId)
    {
        if (row.Status is >= 200 and < 300)
        {
            var stored = (await hub.WaitForCaseAsync(instance, messageId)).ShouldNotBeNull(row.Label);
            var envelope = JsonNode.Parse(stored.Envelope);
            foreach (var (path, expected) in row.Expect ?? [])
            {
                IncomingCase.At(envelope, path).ShouldBe(expected, $"{row.Label}: {path}");
            }
        }
        else
        {
            // Refused: nothing half-written (no dedup row, no queued report for this id).
            (await hub.Storage.Table(Hub.Functions.Intake.IntakeService.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(instance, messageId)).HasValue.ShouldBeFalse(row.Label);
            (await hub.PeekReportsAsync()).ShouldNotContain(m => m.Contains(messageId, StringComparison.Ordinal), row.Label);
        }
    }
}

/// <summary>The chat hub with its turn workers off, so the queued turns can be counted exactly.</summary>
public sealed class QuietChatFixture : ChatFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(base.ExtraSettings) { ["Hub:Processor:Enabled"] = "false" };
}

/// <summary>Chat payloads as files: the webhook's answer, and how many dialog turns it queued for that user.</summary>
public sealed class ChatIncomingPayloadTests(QuietChatFixture hub) : IClassFixture<QuietChatFixture>
{
    public static TheoryData<IncomingCase> Messenger => IncomingCase.Load("messenger");

    public static TheoryData<IncomingCase> Zalo => IncomingCase.Load("zalo");

    [Theory]
    [MemberData(nameof(Messenger))]
    public async Task Messenger_Payload_AnswersAndQueuesAsTheTableSays(IncomingCase row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var user = ChatFixture.NewUser();
        var body = row.Body("messenger", new Dictionary<string, string> { ["sid"] = "m_" + Guid.NewGuid().ToString("N"), ["user"] = user, ["page"] = ChatFixture.PageId });

        using var response = await hub.Client.SendAsync(ChatFixture.Messenger(body));

        ((int)response.StatusCode).ShouldBe(row.Status, row.Label);
        (await TurnsForAsync(hub.ConversationKey("messenger", ChatFixture.PageId, user))).ShouldBe(row.Turns ?? 0, row.Label);
    }

    [Theory]
    [MemberData(nameof(Zalo))]
    public async Task Zalo_Payload_AnswersAndQueuesAsTheTableSays(IncomingCase row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var user = ChatFixture.NewUser();
        var body = row.Body("zalo", new Dictionary<string, string>
        {
            ["sid"] = Guid.NewGuid().ToString("N"),
            ["user"] = user,
            ["oa"] = ChatFixture.OaId,
            ["app"] = ChatFixture.ZaloAppId,
            ["ts"] = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        using var response = await hub.Client.SendAsync(ChatFixture.Zalo(body));

        ((int)response.StatusCode).ShouldBe(row.Status, row.Label);
        (await TurnsForAsync(hub.ConversationKey("zalo", ChatFixture.OaId, user))).ShouldBe(row.Turns ?? 0, row.Label);
    }

    /// <summary>Turns waiting on <c>bot-turns</c> for one conversation (nothing consumes them in this fixture).</summary>
    private async Task<int> TurnsForAsync(string conversationKey)
    {
        var n = 0;
        var peeked = (await hub.Storage.Queue(BotInbox.QueueName).PeekMessagesAsync(32)).Value;
        foreach (var m in peeked)
        {
            if (JsonNode.Parse(m.Body.ToString())?["conversationKey"]?.GetValue<string>() == conversationKey)
            {
                n++;
            }
        }

        return n;
    }
}
