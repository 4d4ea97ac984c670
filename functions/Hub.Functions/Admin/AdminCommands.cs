using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hub.Core.Signatures;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Cases;
using Hub.Functions.Chat;
using Hub.Functions.Messaging;
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
    private static readonly string[] Verbs = ["poison", "reports", "demo", "conversations", "platform", "users", "teams", "cases", "audit", "hashes"];

    /// <summary>The demos need the provider simulators, which are not part of the deployable (tools/Hub.Cli).</summary>
    private static int Demos(TextWriter output)
    {
        output.WriteLine("The demos are in tools/Hub.Cli: ./scripts/run.sh demo sms|gateway|messenger|zalo|voice|platform");
        return 2;
    }

    public static bool IsCommand(string[] args) => args is { Length: > 0 } && Verbs.Contains(args[0], StringComparer.Ordinal);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["hashes", "pdq", ..])
        {
            return await HashCommands.RunAsync(args, Console.Out); // needs no storage, no case store, no configuration
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddHubServices(builder.Environment);
        await using var services = builder.Services.BuildServiceProvider();
        var output = Console.Out;
        try
        {
            return (args[0], args.ElementAtOrDefault(1)) switch
            {
                ("poison", "list") => await PoisonListAsync(services, services.GetRequiredService<PoisonMessages>().QueueFor(args), output),
                ("poison", "replay") => await PoisonReplayAsync(services, args[2..], output),
                ("reports", "list") => await ReportsListAsync(services, args.ElementAtOrDefault(2), output),
                ("reports", "show") when args.Length > 2 => await ReportsShowAsync(services, args[2], output),
                ("demo", _) => Demos(output),
                ("hashes", _) => await HashCommands.RunWithBanksAsync(services, args, output),
                ("platform", _) => await PlatformCommands.RunAsync(services, args, output),
                ("conversations", "handoff") => await HandedOffAsync(services, output),
                ("conversations", "release") when args.Length > 2 => await ReleaseAsync(services, args[2], output),
                ("users" or "teams" or "cases" or "audit", _) => await CaseCommands.RunAsync(services, args, output) is var code and >= 0 ? code : Usage(output),
                _ => Usage(output),
            };
        }
        catch (Exception ex) when (Cases.Database.CaseDatabase.IsUnavailable(ex) && ex is not Azure.RequestFailedException)
        {
            await Console.Error.WriteLineAsync($"The case store is unreachable ({ex.GetType().Name}). Is PostgreSQL running (Hub:Cases:ConnectionString)?");
            return 3;
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
              poison list [--bot-turns | --takedowns | --sms-replies | --referrals]
                                              list failed messages in reports-poison (or bot-turns-, takedowns-, sms-replies-, referrals-poison) with their errors
              poison replay [--bot-turns | --takedowns | --sms-replies | --referrals] --all | ID...
                                              send them back to their queue (safe: processing is idempotent)
              hashes pdq FILE...              the PDQ hash and quality of each image: "<64 hex> <quality> <path>" or "error <reason> <path>"
              hashes bank add|import|export|stats|match|tombstone
                                              the hash banks (docs/hash-bank.md): "hashes" alone lists the forms
              reports list [N]                the N most recent cases (default 20)
              reports show CODE               one case by the reference code the reporter was given
              demo ...                        the demos: tools/Hub.Cli (./scripts/run.sh demo sms|gateway|messenger|zalo|voice|platform)
              conversations handoff           conversations an operator holds (the bot is silent in them)
              conversations release KEY       hand a conversation back to the bot (what the child wrote meanwhile becomes a report)
            """);
        output.Write(CaseCommands.Usage);
        output.Write(PlatformCommands.Usage);
        return 2;
    }

    private static async Task<int> PoisonListAsync(IServiceProvider sp, string queue, TextWriter output)
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

        var poison = sp.GetRequiredService<PoisonMessages>();
        var queue = poison.QueueFor(ids);
        ids = ids.Where(i => !poison.QueueOptions.Contains(i)).ToArray();
        var selection = ids.Contains("--all", StringComparer.Ordinal) ? [] : ids.ToHashSet(StringComparer.Ordinal);
        var n = await poison.ReplayAsync(selection, queue, CancellationToken.None);
        output.WriteLine($"Replayed {n} message(s) to the {queue} queue.");
        return 0;
    }

    private static async Task<int> ReportsListAsync(IServiceProvider sp, string? count, TextWriter output)
    {
        var top = int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 20;
        var rows = await sp.GetRequiredService<ICaseStore>().ListRecentAsync(top, CancellationToken.None);
        foreach (var e in rows)
        {
            output.WriteLine($"{e.ReferenceCode}  {e.ReceivedAt:u}  {e.Channel,-9} {e.ChannelInstance,-14} urgency {e.Urgency,-9} province {e.ProvinceCode ?? "-",-3} {CaseRecord.StatusName(e.Status)}");
        }

        output.WriteLine($"{rows.Count} most recent case(s)");
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

        if (await sp.GetRequiredService<ICaseStore>().FindByReferenceCodeAsync(canonical, CancellationToken.None) is { } e)
        {
            using var doc = JsonDocument.Parse(e.Envelope);
            output.WriteLine($"Case {canonical}: status {CaseRecord.StatusName(e.Status)}, created {e.CreatedAt:u}");
            output.WriteLine(JsonSerializer.Serialize(doc.RootElement, IndentedJson));
            return 0;
        }

        output.WriteLine($"No case with reference {canonical} (yet).");
        return 1;
    }

    private static async Task<int> HandedOffAsync(IServiceProvider sp, TextWriter output)
    {
        var list = await sp.GetRequiredService<ConversationStore>().ListHandedOffAsync(CancellationToken.None);
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
        var row = await storage.Table(Hub.Functions.Chat.ConversationStore.TableName).GetEntityIfExistsAsync<TableEntity>(key, "state");
        if (!row.HasValue || row.Value is not { } e)
        {
            output.WriteLine($"No conversation {key}.");
            return 1;
        }

        // The release runs as a bot turn, so it takes the same ETag-guarded path as every message.
        var inbox = sp.GetRequiredService<BotInbox>();
        await inbox.EnqueueAsync(
            new BotTurnMessage { Kind = BotTurnMessage.ReleaseKind, ChannelType = e.GetString("ChannelType"), Instance = e.GetString("Instance"), ConversationKey = key, EnqueuedAt = sp.GetRequiredService<TimeProvider>().GetUtcNow() },
            TimeSpan.Zero,
            CancellationToken.None);
        output.WriteLine($"Release of {key} queued; the bot answers again from the next message.");
        return 0;
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
