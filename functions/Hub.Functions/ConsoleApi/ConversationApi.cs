using Hub.Bots.Dialog;
using Hub.Core.Cases;
using Hub.Functions.Cases;
using Hub.Functions.Chat;
using Hub.Functions.Hosting;

namespace Hub.Functions.ConsoleApi;

/// <summary>What the live-chat handlers use, bound per request.</summary>
public sealed record ConversationServices(CaseService Cases, ConversationStore Conversations, BotInbox Inbox, IEnumerable<IChatSender> Senders, TimeProvider Time);

/// <summary>
/// Live chat after the bot hands over (<c>/cases/{id}/conversation</c>): the case's owner (or a supervisor) reads
/// the conversation as it goes, replies through the channel's own send path — the bot-turns queue, its outbox,
/// retries, Retry-After and poison list — and hands the conversation back to the bot. The provider's window for a
/// person's reply is checked before a reply is accepted: Messenger 24 h, then 7 days with the HUMAN_AGENT tag;
/// Zalo 7 days (docs/console-api.md#live-chat).
/// </summary>
public static class ConversationApi
{
    public const int MaxReplyLength = 2000;

    /// <summary>When a chat reply can no longer be sent: reach the child another way (a number, if they left one).</summary>
    private static readonly string[] Alternatives = ["reveal-contact", "callback"];

    public sealed record ReplyRequest(string? Text);

    public sealed record ReplyAccepted(string ReplyId, string Delivery);

    public static RouteGroupBuilder MapConversationApi(this RouteGroupBuilder api)
    {
        api.MapGet("/cases/{id}/conversation", GetAsync).WithName("console.cases.conversation");
        api.MapPost("/cases/{id}/conversation/replies", ReplyAsync).WithName("console.cases.conversation.reply");
        api.MapPost("/cases/{id}/conversation/release", ReleaseAsync).WithName("console.cases.conversation.release");
        return api;
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, [AsParameters] ConversationServices s)
    {
        var view = await ViewAsync(SignIn.ActorOf(context)!, id, s, context.RequestAborted);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(view);
    }

    /// <summary>The conversation as the API answers it and the console's chat panel shows it (an audited read).</summary>
    internal static async Task<ConversationView> ViewAsync(Actor actor, string id, ConversationServices s, CancellationToken ct)
    {
        var where = await s.Cases.OpenConversationAsync(actor, id, "conversation.read", ct);
        var c = await s.Conversations.LoadAsync(where.Key, ct);
        var state = c.State;
        var pending = state.Outbox.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var (until, why) = Window(s, where, c);
        return new ConversationView(
            where.ChannelType,
            state.Handoff,
            state.LastUserMessageAt,
            until,
            why is null,
            why,
            [.. state.Transcript.Select(l => new LineView(l.At, l.From, l.Text, l.Attachments?.Count ?? 0,
                l.ReplyId is null ? null : pending.Contains(l.ReplyId) ? "queued" : state.Undelivered.Contains(l.ReplyId) ? "not-sent" : "sent"))]);
    }

    private static async Task<IResult> ReplyAsync(string id, ReplyRequest body, HttpContext context, [AsParameters] ConversationServices s)
    {
        var sent = await SendAsync(SignIn.ActorOf(context)!, id, body.Text, s, context.RequestAborted);
        return sent.ReplyId is { } replyId
            ? TypedResults.Accepted($"{ConsoleApi.Prefix}/cases/{id}/conversation", new ReplyAccepted(replyId, "queued"))
            : sent.Invalid
                ? Problems.BadRequest(sent.Why!)
                : Results.Problem(title: "Cannot reply", detail: sent.Why, statusCode: StatusCodes.Status409Conflict, extensions: new Dictionary<string, object?> { ["alternatives"] = Alternatives });
    }

    /// <summary>The outcome of a reply: queued (its id), or refused because the text is not a reply (<c>Invalid</c>) or the window has closed.</summary>
    internal sealed record Sent(string? ReplyId, string? Why, bool Invalid);

    /// <summary>Queues a person's reply on the channel's own send path, if the text is one and the provider's window is open.</summary>
    internal static async Task<Sent> SendAsync(Actor actor, string id, string? text, ConversationServices s, CancellationToken ct)
    {
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > MaxReplyLength)
        {
            return new Sent(null, $"a reply is 1–{MaxReplyLength} characters", true);
        }

        var where = await s.Cases.OpenConversationAsync(actor, id, "conversation.reply", ct);
        var c = await s.Conversations.LoadAsync(where.Key, ct);
        if (Window(s, where, c).Why is { } why)
        {
            return new Sent(null, why, false);
        }

        var replyId = Guid.NewGuid().ToString("N");
        await s.Inbox.EnqueueAsync(s.Inbox.SealReply(where.ChannelType, where.Instance, where.Key, replyId, text, s.Time.GetUtcNow()), TimeSpan.Zero, ct);
        return new Sent(replyId, null, false);
    }

    private static async Task<IResult> ReleaseAsync(string id, HttpContext context, [AsParameters] ConversationServices s) =>
        await ReleaseToBotAsync(SignIn.ActorOf(context)!, id, s, context.RequestAborted)
            ? TypedResults.Accepted($"{ConsoleApi.Prefix}/cases/{id}/conversation")
            : Results.Problem(title: "Conflict", detail: "the bot already holds this conversation", statusCode: StatusCodes.Status409Conflict);

    /// <summary>Hands the conversation back to the bot; false when the bot already holds it.</summary>
    internal static async Task<bool> ReleaseToBotAsync(Actor actor, string id, ConversationServices s, CancellationToken ct)
    {
        var where = await s.Cases.OpenConversationAsync(actor, id, "conversation.release", ct);
        var c = await s.Conversations.LoadAsync(where.Key, ct);
        if (!c.State.Handoff)
        {
            return false;
        }

        // The bot takes it back; what was said during the handoff becomes a report of this case (DialogEngine.OnRelease).
        await s.Inbox.EnqueueAsync(new BotTurnMessage { Kind = BotTurnMessage.ReleaseKind, ChannelType = where.ChannelType, Instance = where.Instance, ConversationKey = where.Key, EnqueuedAt = s.Time.GetUtcNow() }, TimeSpan.Zero, ct);
        return true;
    }

    /// <summary>Until when a person may still reply, and why not if they may not.</summary>
    private static (DateTimeOffset? Until, string? Why) Window(ConversationServices s, CaseConversation where, StoredConversation c)
    {
        var sender = s.Senders.FirstOrDefault(x => x.ChannelType == where.ChannelType);
        var until = c.State.LastUserMessageAt + sender?.HumanReplyWindow;
        return !c.State.Handoff ? (until, "the conversation is not handed over to a person (the bot holds it)")
            : c.Recipient is null || sender is null ? (until, "the conversation has no address to reply to")
            : until is null || until < s.Time.GetUtcNow() ? (until, $"the provider's window for a person's reply has closed ({sender.HumanReplyWindow.TotalDays:0} days after the child's last message)")
            : (until, null);
    }
}
