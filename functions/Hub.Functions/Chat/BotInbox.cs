using System.Text.Json;
using Hub.Bots;
using Hub.Bots.Activities;
using Hub.Core.Envelope;
using Hub.Functions.Privacy;
using Hub.Functions.Spool;
using Hub.Functions.Storage;

namespace Hub.Functions.Chat;

/// <summary>
/// The webhook side of the chat channels: persists what a provider delivered (raw body to an encrypted blob,
/// one sealed turn per activity to <c>bot-turns</c>) so the webhook can answer 200 inside Zalo's 2 s and
/// Meta's 5 s, before any dialog work or outbound call. When storage is down: the standalone hub's local spool, otherwise 503 and nothing acknowledged.
/// </summary>
public sealed class BotInbox(HubStorage storage, PrivacyServices privacy, Media.EvidenceStore evidence, LocalSpool spool, TimeProvider time) : ISpoolReplayer
{
    /// <summary>Chat dialog turns: inbound messages persisted by the webhook, handled asynchronously.</summary>
    public const string QueueName = "bot-turns";

    internal const string ActivityPurpose = "bot-turn";

    public static string ConversationKeyFor(PrivacyServices privacy, Activity a)
    {
        ArgumentNullException.ThrowIfNull(privacy);
        ArgumentNullException.ThrowIfNull(a);
        return privacy.Pseudonymizer.For("conversation", a.Conversation.Id);
    }

    public const string SpoolKind = "chat";

    public async Task AcceptAsync(string channelType, string instance, ReadOnlyMemory<byte> rawBody, IReadOnlyList<Activity> activities, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(activities);
        var now = time.GetUtcNow();
        var delivery = new SpooledChat
        {
            ChannelType = channelType,
            Instance = instance,
            RawName = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{instance}/{now:yyyy/MM/dd}/{ReportId.New(time)}.json"),
            RawBody = rawBody,
            Turns = activities.Select(a => Seal(channelType, instance, a, now)).ToList(),
        };
        try
        {
            await WriteAsync(delivery, ct);
        }
        catch (StorageUnavailableException ex) when (spool.Enabled)
        {
            await spool.AppendInsteadAsync(SpoolKind, JsonSerializer.SerializeToUtf8Bytes(delivery, BotHostJsonContext.Default.SpooledChat), ex, ct);
        }
    }

    /// <summary>The relay's replay of a spooled delivery: same blob name, same sealed turns (the turn processor drops a repeated message id).</summary>
    string ISpoolReplayer.Kind => SpoolKind;

    public Task ReplayAsync(byte[] payload, CancellationToken ct) =>
        WriteAsync(JsonSerializer.Deserialize(payload, BotHostJsonContext.Default.SpooledChat) ?? throw new InvalidDataException("empty chat spool record"), ct);

    private async Task WriteAsync(SpooledChat d, CancellationToken ct)
    {
        try
        {
            await storage.WithResourcesAsync(async () =>
            {
                var writes = new List<Task>(d.Turns.Count + 1)
                {
                    evidence.UploadEncryptedAsync(storage.Raw, d.RawName, d.RawBody, Media.EvidenceStore.Sha256Hex(d.RawBody.Span), "application/json", ct),
                };
                foreach (var turn in d.Turns)
                {
                    writes.Add(EnqueueAsync(turn, TimeSpan.Zero, ct));
                }

                await Task.WhenAll(writes);
                return true;
            }, ct);
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) && !ct.IsCancellationRequested)
        {
            throw new StorageUnavailableException("Storage is unreachable; the chat message was not acknowledged.", ex);
        }
    }

    public BotTurnMessage Seal(string channelType, string instance, Activity a, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(a);
        var json = JsonSerializer.SerializeToUtf8Bytes(a, BotsJsonContext.Default.Activity);
        return new BotTurnMessage
        {
            Kind = BotTurnMessage.ActivityKind,
            ChannelType = channelType,
            Instance = instance,
            ConversationKey = ConversationKeyFor(privacy, a),
            SealedActivity = Convert.ToBase64String(privacy.Cipher.EncryptBlob(json, ActivityPurpose)),
            EnqueuedAt = now,
        };
    }

    public Activity Unseal(BotTurnMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var plain = privacy.Cipher.DecryptBlob(Convert.FromBase64String(m.SealedActivity ?? string.Empty), ActivityPurpose);
        return JsonSerializer.Deserialize(plain, BotsJsonContext.Default.Activity) ?? throw new InvalidDataException("empty activity");
    }

    /// <summary>A counsellor's reply as a turn: the text sealed, bound to the conversation it goes to.</summary>
    public BotTurnMessage SealReply(string channelType, string instance, string conversationKey, string replyId, string text, DateTimeOffset now) => new()
    {
        Kind = BotTurnMessage.OperatorReplyKind,
        ChannelType = channelType,
        Instance = instance,
        ConversationKey = conversationKey,
        ReplyId = replyId,
        SealedText = privacy.Cipher.Protect(text, ReplyPurpose(conversationKey, replyId)),
        EnqueuedAt = now,
    };

    public string UnsealReply(BotTurnMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return privacy.Cipher.Unprotect(m.SealedText ?? string.Empty, ReplyPurpose(m.ConversationKey, m.ReplyId ?? string.Empty));
    }

    private static string ReplyPurpose(string conversationKey, string replyId) => $"bot-reply/{conversationKey}/{replyId}";

    public Task EnqueueAsync(BotTurnMessage m, TimeSpan delay, CancellationToken ct) =>
        storage.Queue(QueueName).SendMessageAsync(
            JsonSerializer.Serialize(m, BotHostJsonContext.Default.BotTurnMessage),
            visibilityTimeout: delay > TimeSpan.Zero ? delay : null,
            timeToLive: TimeSpan.FromSeconds(-1),
            cancellationToken: ct);
}
