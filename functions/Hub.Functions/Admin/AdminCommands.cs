using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hub.Core.Signatures;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Processing;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Admin;

/// <summary>
/// Operator commands, run with the hub's own configuration (README "Operating the hub"):
/// <c>poison list</c>, <c>poison replay [--all | ID…]</c>, <c>reports list [N]</c>, <c>reports show CODE</c>,
/// and <c>demo sms [TEXT]</c> / <c>demo gateway [TEXT]</c>, which sign and post a sample message to the running hub.
/// </summary>
public static class AdminCommands
{
    private static readonly string[] Verbs = ["poison", "reports", "demo", "conversations", "platform"];

    public static bool IsCommand(string[] args) => args is { Length: > 0 } && Verbs.Contains(args[0], StringComparer.Ordinal);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddHubServices(builder.Environment);
        await using var services = builder.Services.BuildServiceProvider();
        var output = Console.Out;
        try
        {
            return (args[0], args.ElementAtOrDefault(1)) switch
            {
                ("poison", "list") => await PoisonListAsync(services, QueueOf(args), output),
                ("poison", "replay") => await PoisonReplayAsync(services, args[2..], output),
                ("reports", "list") => await ReportsListAsync(services, args.ElementAtOrDefault(2), output),
                ("reports", "show") when args.Length > 2 => await ReportsShowAsync(services, args[2], output),
                ("demo", "sms") => await DemoSmsAsync(services, string.Join(' ', args[2..]), output),
                ("demo", "gateway") => await DemoGatewayAsync(services, string.Join(' ', args[2..]), output),
                ("demo", "messenger") => await ChatDemo.RunAsync(services, ChannelTypes.Messenger, output),
                ("demo", "zalo") => await ChatDemo.RunAsync(services, ChannelTypes.Zalo, output),
                ("demo", "voice") => await VoiceDemo.RunAsync(services, output),
                ("demo", "platform") => await PlatformCommands.DemoAsync(services, output),
                ("platform", _) => await PlatformCommands.RunAsync(services, args, output),
                ("conversations", "handoff") => await HandedOffAsync(services, output),
                ("conversations", "release") when args.Length > 2 => await ReleaseAsync(services, args[2], output),
                _ => Usage(output),
            };
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex))
        {
            await Console.Error.WriteLineAsync($"Storage is unreachable ({ex.GetType().Name}). Is the hub (or Azurite) running?");
            return 3;
        }
    }

    private static int Usage(TextWriter output)
    {
        output.WriteLine("""
            usage:
              poison list [--bot-turns | --takedowns]
                                              list failed messages in reports-poison (or bot-turns-poison, takedowns-poison) with their errors
              poison replay [--bot-turns | --takedowns] --all | ID...
                                              send them back to their queue (safe: processing is idempotent)
              reports list [N]                the N most recent cases (default 20)
              reports show CODE               one case by the reference code the reporter was given
              demo sms [TEXT]                 sign and post a sample Twilio SMS to the running hub, then show its case
              demo gateway [TEXT]             the same through the Vietnamese SMS-gateway contract
              demo messenger | demo zalo      play a child's chatbot conversation against the running hub (simulated provider), then show its case
              demo voice                      replay a whole 111 call (menu, hold, hang-up in the queue), then show its one case: a missed call
              demo platform                   act as a platform: send a signed report, request a takedown, confirm it, show time-to-removal
              conversations handoff           conversations an operator holds (the bot is silent in them)
              conversations release KEY       hand a conversation back to the bot (what the child wrote meanwhile becomes a report)
            """);
        output.Write(PlatformCommands.Usage);
        return 2;
    }

    private static PoisonSource QueueOf(string[] args) =>
        args.Contains("--bot-turns", StringComparer.Ordinal) ? PoisonSource.BotTurns
        : args.Contains("--takedowns", StringComparer.Ordinal) ? PoisonSource.Takedowns
        : PoisonSource.Reports;

    private static async Task<int> PoisonListAsync(IServiceProvider sp, PoisonSource queue, TextWriter output)
    {
        var entries = await sp.GetRequiredService<PoisonMessages>().ListAsync(queue, CancellationToken.None);
        output.WriteLine($"{entries.Count} message(s) in poison (showing at most 32)");
        foreach (var e in entries)
        {
            output.WriteLine($"{e.MessageId}  inserted {e.InsertedOn:u}  attempts {e.DequeueCount}  report {e.ReportId ?? "-"}");
            output.WriteLine($"    error: {e.Error}");
        }

        return 0;
    }

    private static async Task<int> PoisonReplayAsync(IServiceProvider sp, string[] ids, TextWriter output)
    {
        if (ids.Length == 0)
        {
            output.WriteLine("Name message ids to replay, or --all.");
            return 2;
        }

        var queue = QueueOf(ids);
        ids = ids.Where(i => i is not "--bot-turns" and not "--takedowns").ToArray();
        var selection = ids.Contains("--all", StringComparer.Ordinal) ? [] : ids.ToHashSet(StringComparer.Ordinal);
        var n = await sp.GetRequiredService<PoisonMessages>().ReplayAsync(selection, queue, CancellationToken.None);
        output.WriteLine($"Replayed {n} message(s) to the {queue switch { PoisonSource.BotTurns => "bot-turns", PoisonSource.Takedowns => "takedowns", _ => "reports" }} queue.");
        return 0;
    }

    private static async Task<int> ReportsListAsync(IServiceProvider sp, string? count, TextWriter output)
    {
        var top = int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 20;
        var storage = sp.GetRequiredService<HubStorage>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var rows = new List<TableEntity>();
        await foreach (var e in storage.Cases.QueryAsync<TableEntity>(select: ["PartitionKey", "ReportId", "ReferenceCode", "Channel", "Urgency", "ReceivedAt", "Status", "ProvinceCode"]))
        {
            rows.Add(e);
        }

        foreach (var e in rows.OrderByDescending(e => e.GetString("ReportId"), StringComparer.Ordinal).Take(top))
        {
            output.WriteLine($"{e.GetString("ReferenceCode")}  {e.GetDateTimeOffset("ReceivedAt"):u}  {e.GetString("Channel"),-9} {e.PartitionKey,-14} urgency {e.GetString("Urgency"),-9} province {e.GetString("ProvinceCode") ?? "-",-3} {e.GetString("Status")}");
        }

        output.WriteLine($"{rows.Count} case(s) in total");
        return 0;
    }

    private static async Task<int> ReportsShowAsync(IServiceProvider sp, string code, TextWriter output)
    {
        var canonical = Hub.Core.Envelope.ReferenceCode.Parse(code);
        if (canonical is null)
        {
            output.WriteLine($"'{code}' is not a reference code (8 characters, e.g. 7K2Q-9XHM).");
            return 2;
        }

        var storage = sp.GetRequiredService<HubStorage>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        await foreach (var e in storage.Cases.QueryAsync<TableEntity>(filter: TableClient.CreateQueryFilter($"ReferenceCode eq {canonical}")))
        {
            using var doc = JsonDocument.Parse(e.GetString("Envelope"));
            output.WriteLine($"Case {canonical}: status {e.GetString("Status")}, created {e.GetDateTimeOffset("CreatedAt"):u}");
            output.WriteLine(JsonSerializer.Serialize(doc.RootElement, IndentedJson));
            return 0;
        }

        output.WriteLine($"No case with reference {canonical} (yet).");
        return 1;
    }

    private static async Task<int> DemoSmsAsync(IServiceProvider sp, string text, TextWriter output)
    {
        var (instance, channel, hub) = FindInstance(sp, ChannelTypes.TwilioSms);
        if (channel is null)
        {
            output.WriteLine("No twilio-sms channel is configured (Hub:Channels:{name}:Type = twilio-sms).");
            return 2;
        }

        var sid = "SM" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var form = new List<KeyValuePair<string, string>>
        {
            new("ToCountry", "VN"), new("SmsMessageSid", sid), new("NumMedia", "0"), new("SmsSid", sid),
            new("SmsStatus", "received"), new("Body", string.IsNullOrWhiteSpace(text) ? "Có người dọa tung ảnh của em lên mạng, em ở Quảng Nam" : text),
            new("FromCountry", "VN"), new("To", "+842873001111"), new("NumSegments", "1"), new("MessageSid", sid),
            new("AccountSid", channel.AccountSid ?? "ACdemo"), new("From", "+84912345678"), new("ApiVersion", "2010-04-01"),
        };
        var path = $"/api/channels/twilio-sms/{instance}";
        var signature = TwilioSignature.Compute(channel.AuthToken!, channel.WebhookUrl ?? hub.PublicBaseUrl.TrimEnd('/') + path, form);
        using var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature);
        using var response = await http.SendAsync(request);
        output.WriteLine($"POST {hub.PublicBaseUrl.TrimEnd('/')}{path} (MessageSid {sid}) -> {(int)response.StatusCode}");
        output.WriteLine(await response.Content.ReadAsStringAsync());
        return response.IsSuccessStatusCode ? await ShowCaseAsync(sp, instance, sid, output) : 1;
    }

    private static async Task<int> DemoGatewayAsync(IServiceProvider sp, string text, TextWriter output)
    {
        var (instance, channel, hub) = FindInstance(sp, ChannelTypes.SmsGateway);
        if (channel is null)
        {
            output.WriteLine("No sms-gateway channel is configured (Hub:Channels:{name}:Type = sms-gateway).");
            return 2;
        }

        var time = sp.GetRequiredService<TimeProvider>();
        var id = "gw-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            messageId = id,
            from = "0912345678",
            to = "111",
            text = string.IsNullOrWhiteSpace(text) ? "Bạn em bị bắt nạt trên mạng, ở Bình Dương" : text,
            carrier = "viettel",
            receivedAt = time.GetUtcNow(),
        });
        var ts = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        var path = $"/api/channels/sms-gateway/{instance}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(HubSignature.TimestampHeader, ts);
        request.Headers.Add(HubSignature.SignatureHeader, HubSignature.Compute(channel.Secret!, ts, body));
        using var response = await http.SendAsync(request);
        output.WriteLine($"POST {hub.PublicBaseUrl.TrimEnd('/')}{path} (messageId {id}) -> {(int)response.StatusCode}");
        output.WriteLine(await response.Content.ReadAsStringAsync());
        return response.IsSuccessStatusCode ? await ShowCaseAsync(sp, instance, id, output) : 1;
    }

    private static (string Instance, ChannelOptions? Channel, HubOptions Hub) FindInstance(IServiceProvider sp, string type)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        var match = sp.GetRequiredService<IOptions<ChannelsOptions>>().Value.Instances.FirstOrDefault(i => i.Value.Type == type);
        return (match.Key, match.Value, hub);
    }

    private static async Task<int> HandedOffAsync(IServiceProvider sp, TextWriter output)
    {
        var list = await sp.GetRequiredService<Bots.ConversationStore>().ListHandedOffAsync(CancellationToken.None);
        foreach (var (key, type, instance, last) in list)
        {
            output.WriteLine($"{key}  {type}/{instance}  last message {last:u}");
        }

        output.WriteLine($"{list.Count} conversation(s) held by operators");
        return 0;
    }

    private static async Task<int> ReleaseAsync(IServiceProvider sp, string key, TextWriter output)
    {
        var storage = sp.GetRequiredService<HubStorage>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var row = await storage.Conversations.GetEntityIfExistsAsync<TableEntity>(key, "state");
        if (!row.HasValue || row.Value is not { } e)
        {
            output.WriteLine($"No conversation {key}.");
            return 1;
        }

        // The release runs as a bot turn, so it takes the same ETag-guarded path as every message.
        var inbox = sp.GetRequiredService<Bots.BotInbox>();
        await inbox.EnqueueAsync(
            new Bots.BotTurnMessage { Kind = Bots.BotTurnMessage.ReleaseKind, ChannelType = e.GetString("ChannelType"), Instance = e.GetString("Instance"), ConversationKey = key, EnqueuedAt = sp.GetRequiredService<TimeProvider>().GetUtcNow() },
            TimeSpan.Zero,
            CancellationToken.None);
        output.WriteLine($"Release of {key} queued; the bot answers again from the next message.");
        return 0;
    }

    internal static async Task<int> ShowCaseAsync(IServiceProvider sp, string instance, string messageId, TextWriter output)
    {
        var storage = sp.GetRequiredService<HubStorage>();
        for (var i = 0; i < 60; i++)
        {
            var found = await storage.Cases.GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(instance), TableKeys.Escape(messageId));
            if (found.HasValue && found.Value is { } e)
            {
                using var doc = JsonDocument.Parse(e.GetString("Envelope"));
                output.WriteLine($"Stored case {e.GetString("ReferenceCode")} (status {e.GetString("Status")}):");
                output.WriteLine(JsonSerializer.Serialize(doc.RootElement, IndentedJson));
                return 0;
            }

            await Task.Delay(250);
        }

        output.WriteLine("The report was accepted but no case appeared within 15 s: is the hub's processor running?");
        return 1;
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
