using System.Security.Cryptography;
using System.Text.Json;
using Hub.Bots;
using Hub.Bots.Activities;
using Hub.Bots.Dialog;
using Hub.Core.Envelope;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;
using Hub.Functions.Media;
using Hub.Functions.Messaging;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Chat;

/// <summary>
/// Runs one <c>bot-turns</c> message: load the conversation (ETag), store the message's attachments as
/// evidence, run the dialog, emit a report when a session closes (through the shared intake path, keyed by
/// conversation and session so a retried turn cannot make a second report), commit the state with the
/// replies in its outbox, then send them. At-least-once throughout: a redelivered turn finds its activity id
/// already handled and only re-sends what is still in the outbox; a send that fails for good throws, so the
/// message is retried and finally poisoned with the error: visible, never silent.
/// </summary>
public sealed partial class BotTurnProcessor(
    BotInbox inbox,
    ConversationStore store,
    IntakeService intake,
    EvidenceStore evidenceStore,
    IEnumerable<IChatSender> senders,
    ChannelTypes types,
    IOptions<ChannelsOptions> channels,
    IOptions<HubOptions> hub,
    TimeProvider time,
    ILogger<BotTurnProcessor> logger) : IQueueHandler
{
    public const string FunctionName = "BotTurn";
    public const string BindingName = "turn";

    private const int MaxConflictRetries = 8;
    private readonly Dictionary<string, IChatSender> _senders = senders.ToDictionary(s => s.ChannelType, StringComparer.Ordinal);

    Task<string> IQueueHandler.HandleAsync(string message, CancellationToken ct) => ProcessAsync(message, ct);

    public async Task<string> ProcessAsync(string message, CancellationToken ct)
    {
        var m = Parse(message);
        if (!channels.Value.Instances.TryGetValue(m.Instance, out var options) || options.Type != m.ChannelType || !_senders.TryGetValue(m.ChannelType, out var sender))
        {
            throw new PoisonMessageException($"No {m.ChannelType} channel named '{m.Instance}' is configured.");
        }

        Activity? activity = null;
        string? operatorText = null;
        if (m.Kind == BotTurnMessage.OperatorReplyKind)
        {
            try
            {
                operatorText = inbox.UnsealReply(m);
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException)
            {
                throw new PoisonMessageException($"The counsellor's reply cannot be unsealed ({ex.GetType().Name}).");
            }
        }

        if (m.Kind == BotTurnMessage.ActivityKind)
        {
            try
            {
                activity = inbox.Unseal(m);
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException or JsonException or InvalidDataException or KeyNotFoundException)
            {
                throw new PoisonMessageException($"The turn's activity cannot be unsealed ({ex.GetType().Name}).");
            }
        }

        IReadOnlyList<Evidence>? evidence = null;
        for (var attempt = 0; ; attempt++)
        {
            var c = await store.LoadAsync(m.ConversationKey, ct);
            var state = c.State;
            var now = time.GetUtcNow();
            var recipient = c.Recipient ?? activity?.From.Id;
            var account = c.Account ?? activity?.Recipient.Id;
            TurnOutcome outcome;
            switch (m.Kind)
            {
                case BotTurnMessage.ActivityKind when state.RecentActivityIds.Contains(activity!.Id):
                    outcome = TurnOutcome.Nothing; // a redelivery: only the outbox (if any) is flushed below
                    break;
                case BotTurnMessage.ActivityKind:
                    evidence ??= await StoreAttachmentsAsync(m, options, activity, ct);
                    outcome = DialogEngine.OnMessage(state, activity, evidence, now);
                    break;
                case BotTurnMessage.IdleKind when m.Session == state.Session:
                    outcome = DialogEngine.OnIdle(state, now, hub.Value.Bots.IdleTimeout);
                    break;
                case BotTurnMessage.ReleaseKind:
                    outcome = DialogEngine.OnRelease(state, now);
                    break;
                case BotTurnMessage.OperatorReplyKind:
                    outcome = DialogEngine.OnOperatorReply(state, m.ReplyId!, operatorText!, now);
                    break;
                default:
                    outcome = TurnOutcome.Nothing;
                    break;
            }

            var replies = outcome.Replies;
            if (outcome.Report is { } report)
            {
                var result = await EmitAsync(m, options, recipient, account, report, ct);
                state.LastReferenceCode = result.ReferenceCode;
                replies = replies.Select(r => r with { Text = r.Text.Replace(BotReply.CodePlaceholder, result.ReferenceCode, StringComparison.Ordinal) }).ToList();
                LogEmitted(logger, m.Instance, report.Reason, result.ReportId, result.Urgency);
            }

            state.Outbox.AddRange(replies.Select(r => r with { Id = r.Id ?? Guid.NewGuid().ToString("N") }));
            var flush = state.Outbox.Count > 0 && (state.FlushLeaseUntil is null || state.FlushLeaseUntil <= now);
            if (!outcome.StateChanged && !flush)
            {
                return "nothing to do"; // a duplicate delivery while another turn is sending, or nothing pending
            }

            if (flush)
            {
                state.FlushLeaseUntil = now + FlushLease;
            }

            var stored = c with { Recipient = recipient, Account = account };
            Azure.ETag etag;
            try
            {
                etag = await store.SaveAsync(m.ConversationKey, stored, m.ChannelType, m.Instance, ct);
            }
            catch (Exception ex) when (ConversationStore.IsConflict(ex) && attempt < MaxConflictRetries)
            {
                continue; // another turn of this conversation committed first: re-run on its state
            }

            if (m.Kind == BotTurnMessage.ActivityKind && state.Step is not (Steps.New or Steps.Closed))
            {
                await inbox.EnqueueAsync(
                    new BotTurnMessage { Kind = BotTurnMessage.IdleKind, ChannelType = m.ChannelType, Instance = m.Instance, ConversationKey = m.ConversationKey, Session = state.Session, EnqueuedAt = now },
                    hub.Value.Bots.IdleTimeout,
                    ct);
            }

            // Only the lease holder sends; it re-reads after each round so replies other turns queued meanwhile go too.
            var sent = flush ? await FlushAsync(m, options, sender, stored with { ETag = etag }, ct) : 0;
            return $"{m.Kind} handled, step {state.Step}, {sent} replies sent";
        }
    }

    private static readonly TimeSpan FlushLease = TimeSpan.FromSeconds(45);

    private async Task<int> FlushAsync(BotTurnMessage m, ChannelOptions options, IChatSender sender, StoredConversation c, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var state = c.State;
            var sentIds = new HashSet<string>(StringComparer.Ordinal);
            var undelivered = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (var reply in state.Outbox.ToList())
                {
                    // The bot's replies have the standard window; a counsellor's have the provider's human-agent one.
                    var window = reply.Human ? sender.HumanReplyWindow : sender.ReplyWindow;
                    var since = state.LastUserMessageAt is { } last ? time.GetUtcNow() - last : (TimeSpan?)null;
                    if (c.Recipient is null || since is null || since > window)
                    {
                        // Outside the window the provider would refuse it; the report already holds everything.
                        LogWindowClosed(logger, m.Instance, 1);
                        sentIds.Add(reply.Id ?? string.Empty);
                        if (reply.Human)
                        {
                            undelivered.Add(reply.Id ?? string.Empty);
                        }

                        continue;
                    }

                    await sender.SendAsync(new ChatRecipient(m.Instance, options, c.Recipient, HumanAgent: reply.Human && since > sender.ReplyWindow), reply, ct);
                    sentIds.Add(reply.Id ?? string.Empty);
                    total++;
                }
            }
            catch (Exception ex) when (ex is ChatSendException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogSendFailed(logger, m.Instance, ex.GetType().Name, ex.Message);
                await CommitSentAsync(m, sentIds, undelivered, releaseLease: true, ct);
                throw new ChatSendException($"Reply to a {m.ChannelType} conversation failed after retries: {ex.Message}", ex);
            }

            var (fresh, done) = await CommitSentAsync(m, sentIds, undelivered, releaseLease: false, ct);
            if (done)
            {
                return total;
            }

            c = fresh;
        }
    }

    /// <summary>
    /// Removes the sent replies from the stored outbox (re-reading on conflicts: other turns may have queued more).
    /// Releases the lease when asked or when nothing is left; returns the fresh conversation and whether it is done.
    /// </summary>
    private async Task<(StoredConversation Fresh, bool Done)> CommitSentAsync(BotTurnMessage m, HashSet<string> sentIds, HashSet<string> undelivered, bool releaseLease, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var fresh = await store.LoadAsync(m.ConversationKey, ct);
            fresh.State.Outbox.RemoveAll(r => sentIds.Contains(r.Id ?? string.Empty));
            fresh.State.Undelivered.AddRange(undelivered.Where(id => !fresh.State.Undelivered.Contains(id)));
            var done = releaseLease || fresh.State.Outbox.Count == 0;
            if (done)
            {
                fresh.State.FlushLeaseUntil = null;
            }

            try
            {
                var etag = await store.SaveAsync(m.ConversationKey, fresh, m.ChannelType, m.Instance, ct);
                return (fresh with { ETag = etag }, done);
            }
            catch (Exception ex) when (ConversationStore.IsConflict(ex) && attempt < MaxConflictRetries)
            {
            }
        }
    }

    private async Task<IReadOnlyList<Evidence>> StoreAttachmentsAsync(BotTurnMessage m, ChannelOptions o, Activity a, CancellationToken ct)
    {
        if (a.Attachments.Count == 0)
        {
            return [];
        }

        var policy = types[m.ChannelType].MediaPolicy(o) ?? throw new InvalidOperationException($"{m.ChannelType} declares no media policy");
        var list = new List<Evidence>();
        foreach (var (att, i) in a.Attachments.Take(o.MaxMediaCount).Select((x, i) => (x, i)))
        {
            // Named by conversation, (hashed) activity id and index: a retried turn overwrites, never duplicates,
            // and no provider id appears in a blob name.
            var name = $"{m.Instance}/chat/{m.ConversationKey}/{EvidenceStore.Sha256Hex(System.Text.Encoding.UTF8.GetBytes(a.Id))[..24]}/{i}";
            list.Add(await evidenceStore.StoreAttachmentAsync(m.Instance, name, new MediaReference(att.ContentUrl, att.ContentType), policy, ct));
        }

        return list;
    }

    private Task<IntakeResult> EmitAsync(BotTurnMessage m, ChannelOptions o, string? recipient, string? account, ReportRequest r, CancellationToken ct)
    {
        var transcript = JsonSerializer.SerializeToUtf8Bytes(r.Transcript.ToList(), BotsJsonContext.Default.ListTranscriptLine);
        var chat = types[m.ChannelType].Chat ?? throw new InvalidOperationException($"{m.ChannelType} is not a chat channel");
        return intake.AcceptAsync(
            new IntakeSubmission
            {
                Channel = chat.ReportChannel,
                ChannelInstance = m.Instance,
                Provider = chat.Provider,
                ProviderAccount = account,
                ProviderMessageId = $"{m.ConversationKey}/s{r.Session}",
                ConversationId = m.ConversationKey,
                SenderId = recipient,
                SenderKind = chat.SenderKind,
                Text = r.Description.Length > 0 ? r.Description : null,
                RawBody = transcript,
                RawContentType = "application/json",
                RawIsTranscript = true,
                Categories = r.Answers.Categories,
                Urgency = r.Urgency,
                Reasons = r.Reasons,
                Victim = r.Answers.Victim,
                ReporterRole = r.Answers.Victim is "self" or "friend" && r.Answers.AgeBand is not "adult" ? ReporterRoles.Child : null,
                AgeBand = r.Answers.AgeBand,
                Handoff = r.Handoff,
                Urls = r.Answers.Urls,
                StoredEvidence = r.Answers.Evidence,
                ProvinceCode = r.Answers.ProvinceCode ?? o.Province,
                ProvinceBasis = r.Answers.ProvinceCode is not null ? "reporter" : "channel-instance",
                FollowUpOf = r.FollowUpOf,
            },
            ct);
    }

    private static BotTurnMessage Parse(string message)
    {
        try
        {
            var m = JsonSerializer.Deserialize(message, BotHostJsonContext.Default.BotTurnMessage);
            return m is { Kind: BotTurnMessage.ActivityKind or BotTurnMessage.IdleKind or BotTurnMessage.ReleaseKind or BotTurnMessage.OperatorReplyKind, ConversationKey.Length: > 0 }
                ? m
                : throw new PoisonMessageException("Not a bot-turn message.");
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"Not a bot-turn message: {ex.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat session on {Instance} closed ({Reason}): report {ReportId}, urgency {Urgency}")]
    private static partial void LogEmitted(ILogger logger, string instance, string reason, string reportId, string urgency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reply window closed on {Instance}: {Count} replies not sent (the report holds the conversation)")]
    private static partial void LogWindowClosed(ILogger logger, string instance, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reply on {Instance} failed ({Cause}): {Reason}; the turn will be retried, then poisoned")]
    private static partial void LogSendFailed(ILogger logger, string instance, string cause, string reason);
}
