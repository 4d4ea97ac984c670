using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hub.Bots;
using Hub.Bots.Dialog;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;

namespace Hub.Functions.Chat;

/// <summary>A loaded conversation: its state, the ETag it was read at (null when new), and routing fields.</summary>
public sealed record StoredConversation(ConversationState State, ETag? ETag, string? Recipient, string? Account);

/// <summary>
/// Conversation state in the <c>conversations</c> table, one entity per conversation, written with ETag
/// concurrency (a concurrent turn gets 412 and re-runs). The state JSON holds the child's words, so it is
/// sealed with AES-GCM bound to the conversation key and split across properties (a table string property
/// holds 32 K characters; an entity 1 MiB). The provider user id needed to reply is sealed too. Plain
/// columns (channel, step, handoff, last message) are there for operators' queries.
/// </summary>
public sealed class ConversationStore(HubStorage storage, PrivacyServices privacy)
{
    public const string TableName = "conversations";

    private const string Row = "state";
    private const int ChunkChars = 30_000;
    private const int MaxChunks = 24;

    public async Task<StoredConversation> LoadAsync(string key, CancellationToken ct)
    {
        var found = await storage.WithResourcesAsync(() => storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(key, Row, cancellationToken: ct), ct);
        if (!found.HasValue || found.Value is not { } e)
        {
            return new StoredConversation(new ConversationState(), null, null, null);
        }

        var sealedText = new StringBuilder();
        for (var i = 0; i < MaxChunks && e.GetString($"Data{i}") is { } chunk; i++)
        {
            sealedText.Append(chunk);
        }

        var json = privacy.Cipher.DecryptBlob(Convert.FromBase64String(sealedText.ToString()), Purpose(key));
        var state = JsonSerializer.Deserialize(json, BotsJsonContext.Default.ConversationState) ?? new ConversationState();
        var recipient = e.GetString("Recipient") is { } r ? privacy.Cipher.Unprotect(r, Purpose(key)) : null;
        return new StoredConversation(state, e.ETag, recipient, e.GetString("Account"));
    }

    /// <summary>Writes the state; throws <see cref="RequestFailedException"/> 409/412 when another writer got there first.</summary>
    public async Task<ETag> SaveAsync(string key, StoredConversation c, string channelType, string instance, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        var json = JsonSerializer.SerializeToUtf8Bytes(c.State, BotsJsonContext.Default.ConversationState);
        var sealedText = Convert.ToBase64String(privacy.Cipher.EncryptBlob(json, Purpose(key)));
        if (sealedText.Length > ChunkChars * MaxChunks)
        {
            throw new InvalidOperationException("Conversation state exceeds the table entity limit.");
        }

        var e = new TableEntity(key, Row)
        {
            ["ChannelType"] = channelType,
            ["Instance"] = instance,
            ["Account"] = c.Account,
            ["Recipient"] = c.Recipient is null ? null : privacy.Cipher.Protect(c.Recipient, Purpose(key)),
            ["Step"] = c.State.Step,
            ["Session"] = c.State.Session,
            ["Handoff"] = c.State.Handoff,
            ["LastUserMessageAt"] = c.State.LastUserMessageAt,
            ["PendingReplies"] = c.State.Outbox.Count,
        };
        for (var i = 0; i * ChunkChars < sealedText.Length; i++)
        {
            e[$"Data{i}"] = sealedText.Substring(i * ChunkChars, Math.Min(ChunkChars, sealedText.Length - (i * ChunkChars)));
        }

        Response response = await storage.WithResourcesAsync(
            () => c.ETag is { } etag
                ? storage.Table(TableName).UpdateEntityAsync(e, etag, TableUpdateMode.Replace, ct)
                : storage.Table(TableName).AddEntityAsync(e, ct),
            ct);
        return response.Headers.ETag ?? throw new InvalidOperationException("The table service returned no ETag.");
    }

    /// <summary>Conversations an operator holds (handoff), for the admin listing.</summary>
    public async Task<IReadOnlyList<(string Key, string ChannelType, string Instance, DateTimeOffset? LastUserMessageAt)>> ListHandedOffAsync(CancellationToken ct)
    {
        await storage.EnsureCreatedAsync(ct);
        var list = new List<(string, string, string, DateTimeOffset?)>();
        await foreach (var e in storage.Table(TableName).QueryAsync<TableEntity>(filter: "Handoff eq true", select: ["PartitionKey", "ChannelType", "Instance", "LastUserMessageAt"], cancellationToken: ct))
        {
            list.Add((e.PartitionKey, e.GetString("ChannelType") ?? "?", e.GetString("Instance") ?? "?", e.GetDateTimeOffset("LastUserMessageAt")));
        }

        return list;
    }

    public static bool IsConflict(Exception ex) => ex is RequestFailedException { Status: 409 or 412 };

    private static string Purpose(string key) => $"{TableName}/{key}";
}
