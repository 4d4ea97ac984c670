using System.Text.Json;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Core.Text;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Hub.Functions.Messaging;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.SmsOutbound;

/// <summary>"Send reply X": all the <c>sms-replies</c> queue carries (no text, no number).</summary>
public sealed record SmsReplyMessage
{
    public required string ReplyId { get; init; }

    public required string CaseId { get; init; }

    public DateTimeOffset EnqueuedAt { get; init; }

    /// <summary>The W3C trace context of whatever queued this message (captured when it is made): its consumer's span continues that trace (docs/observability.md).</summary>
    public Hub.Core.Envelope.TraceContext? Trace { get; init; } = Telemetry.HubTelemetry.CurrentTrace();
}

/// <summary>The outcome of a reply request: its id, or refused (<see cref="Invalid"/>: not a reply; otherwise a <see cref="Why"/> code).</summary>
public sealed record SmsQueued(string? ReplyId, string? Why, bool Invalid);

/// <summary>
/// SMS replies to the reporter of an SMS case (docs/sms-gateway.md#replies). The case's owner writes one in the console;
/// it is stored with its audit row and queued in one step (<see cref="CaseService.QueueSmsReplyAsync"/>); the
/// <c>sms-replies</c> worker sends it through the instance's provider — the hub's gateway contract or Twilio's Messages
/// API — unsealing the number only for that request, retrying what did not get through (Retry-After honoured) and
/// recording what the provider said; delivery receipts move it forward. The console shows each reply's state.
/// </summary>
public sealed partial class SmsOutbox(
    CaseService cases,
    HubStorage storage,
    OptOuts optOuts,
    PrivacyServices privacy,
    IEnumerable<ISmsSender> senders,
    IOptions<ChannelsOptions> channels,
    IOptions<HubOptions> hub,
    TimeProvider time,
    ILogger<SmsOutbox> logger)
{
    public const string QueueName = "sms-replies";

    private SmsOutboundOptions O => hub.Value.Sms;

    /// <summary>A reply's length limit in SMS segments.</summary>
    public int MaxSegments => O.MaxReplySegments;

    /// <summary>Why the signed-in user cannot send an SMS reply on this case now (a code, see <c>Vi.WhyNotSms</c>), or null when they can.</summary>
    public async Task<string?> WhyNotAsync(Actor actor, CaseRow c, SmsTarget? to, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(c);
        if (to is null)
        {
            return "no-sms-contact";
        }

        if (!(actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor)) || (c.Owner != actor.UserId && !(actor.Has(Roles.Supervisor) && actor.In(c.Team))))
        {
            return "not-owner";
        }

        if (c.Status == "closed")
        {
            return "closed";
        }

        return await ChannelRefusalAsync(to, ct);
    }

    /// <summary>Why the reporter cannot be sent an SMS through their channel instance (settings, STOP), or null.</summary>
    private async Task<string?> ChannelRefusalAsync(SmsTarget to, CancellationToken ct)
    {
        if (!channels.Value.Instances.TryGetValue(to.Instance, out var options))
        {
            return "unknown-instance";
        }

        if (senders.FirstOrDefault(s => s.ChannelType == options.Type) is not { } sender)
        {
            return "channel-cannot-send";
        }

        if (sender.CannotSend(options) is { } why)
        {
            return why;
        }

        return to.Pseudonym is { } p && await optOuts.IsOptedOutAsync(to.Instance, p, ct) ? "opted-out" : null;
    }

    /// <summary>Accepts a reply for sending: stored, audited and queued, or refused (nothing written).</summary>
    public async Task<SmsQueued> QueueAsync(Actor actor, string caseIdOrCode, string? text, CancellationToken ct)
    {
        text = text is null ? null : VietnameseText.Normalize(text).Trim();
        var segments = string.IsNullOrEmpty(text) ? 0 : SmsText.Segments(text);
        if (segments == 0 || text!.Length > 1600 || segments > O.MaxReplySegments)
        {
            return new SmsQueued(null, "length", true);
        }

        var replyId = ReportId.New(time);
        try
        {
            await cases.QueueSmsReplyAsync(
                actor,
                caseIdOrCode,
                replyId,
                text,
                segments,
                to => ChannelRefusalAsync(to, ct),
                caseId => storage.Queue(QueueName).SendMessageAsync(
                    JsonSerializer.Serialize(new SmsReplyMessage { ReplyId = replyId, CaseId = caseId, EnqueuedAt = time.GetUtcNow() }, SmsOutboundJsonContext.Default.SmsReplyMessage),
                    visibilityTimeout: null,
                    timeToLive: TimeSpan.FromSeconds(-1),
                    cancellationToken: ct),
                ct);
        }
        catch (CaseOperationException ex) when (ex.Kind == CaseProblem.Conflict && ex.Message is "no-sms-contact" or "opted-out" or "unknown-instance" or "channel-cannot-send" or "no-send-url" or "no-account-sid")
        {
            return new SmsQueued(null, ex.Message, false);
        }

        LogQueued(logger, replyId, segments);
        return new SmsQueued(replyId, null, false);
    }

    /// <summary>Sends one queued reply (the <c>sms-replies</c> worker and the <c>DeliverSmsReply</c> function).</summary>
    public async Task<string> DeliverAsync(string text, CancellationToken ct)
    {
        var m = Parse(text);
        try
        {
            return await DeliverAsync(m, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && CaseDatabase.IsUnavailable(ex))
        {
            throw new DependencyUnavailableException("case store", hub.Value.Cases.OutageRetryDelay, ex);
        }
    }

    private async Task<string> DeliverAsync(SmsReplyMessage m, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var o = O;
        var lease = now + (o.SendTimeout * (o.SendRetries + 1)) + (o.MaxInCallRetryAfter * o.SendRetries) + TimeSpan.FromSeconds(30);
        var (claim, reply, to, leaseUntil) = await cases.ClaimSmsReplyAsync(m.ReplyId, lease, ct);
        switch (claim)
        {
            case SmsClaim.Missing when now - m.EnqueuedAt < o.CommitGrace:
                // Queued just before its transaction commits: look again shortly.
                await LaterAsync(m, TimeSpan.FromSeconds(2), ct);
                return "waiting for the reply's transaction";
            case SmsClaim.Missing:
                LogDropped(logger, m.ReplyId);
                return "dropped: never written";
            case SmsClaim.Leased:
                await LaterAsync(m, (leaseUntil ?? now) - now + TimeSpan.FromSeconds(1), ct);
                return "another sender holds it";
            case SmsClaim.Done:
                return "already sent or given up";
        }

        if (to is null)
        {
            await RecordAsync(reply!, SmsReplyStates.Failed, 0, null, "the report no longer holds a number", ct);
            return "failed: no number";
        }

        if (await ChannelRefusalAsync(to, ct) is { } why)
        {
            // STOP after the reply was written, or the instance's settings changed: refused, not retried.
            await RecordAsync(reply!, SmsReplyStates.Failed, 0, null, why, ct);
            return "failed: " + why;
        }

        var options = channels.Value.Instances[to.Instance];
        var sender = senders.First(s => s.ChannelType == options.Type);
        var number = privacy.Cipher.Unprotect(to.ContactRef, PrivacyServices.ContactPurpose);
        var result = await sender.SendAsync(
            new SmsOutgoing(reply!.Id, to.Instance, options, number, to.ProviderAccount, reply.Body, sender.StatusUrl(hub.Value.PublicBaseUrl, to.Instance, reply.Id)), ct);
        var attempts = reply.Attempts + result.Attempts;
        switch (result.Kind)
        {
            case SmsSendKind.Accepted:
                await RecordAsync(reply, SmsReplyStates.Accepted, result.Attempts, result.ProviderMessageId, null, ct);
                LogAccepted(logger, reply.Id, to.Instance, attempts);
                return "accepted";
            case SmsSendKind.Refused:
                await RecordAsync(reply, SmsReplyStates.Failed, result.Attempts, null, result.Error, ct);
                LogRefused(logger, reply.Id, to.Instance, result.Error ?? "refused");
                return "failed: " + result.Error;
        }

        if (attempts >= o.MaxAttempts || time.GetUtcNow() - reply.CreatedAt >= o.GiveUpAfter)
        {
            await RecordAsync(reply, SmsReplyStates.Failed, result.Attempts, null, $"gave up after {attempts} attempts: {result.Error}", ct);
            LogGaveUp(logger, reply.Id, to.Instance, attempts, result.Error ?? "no answer");
            return "failed: gave up";
        }

        var backoff = TimeSpan.FromTicks(Math.Min(o.MaxRetryDelay.Ticks, o.RetryBaseDelay.Ticks * (1L << Math.Clamp(attempts - 1, 0, 20))));
        var delay = result.RetryAfter is { } ra && ra > backoff ? ra : backoff;
        // The next try is queued before the reply goes back to queued: a crash in between leaves a copy that waits out the lease.
        await LaterAsync(m, delay, ct);
        await RecordAsync(reply, SmsReplyStates.Queued, result.Attempts, null, result.Error, ct);
        LogRetry(logger, reply.Id, to.Instance, attempts, result.Error ?? "no answer", delay.TotalSeconds);
        return $"retry in {delay.TotalSeconds:F0} s";
    }

    /// <summary>A delivery receipt: moves the reply forward (a replay, a late or an unknown status changes nothing).</summary>
    public async Task<(bool Exists, bool Moved)> ReceiptAsync(string instance, string replyId, string status, string? providerMessageId, string? error, CancellationToken ct)
    {
        var (exists, moved, _) = await cases.RecordSmsAsync(replyId, instance, status, 0, providerMessageId, error, ct);
        if (moved)
        {
            LogReceipt(logger, replyId, instance, status);
        }

        return (exists, moved);
    }

    private async Task RecordAsync(SmsReplyRow reply, string status, int attempts, string? providerId, string? error, CancellationToken ct) =>
        await cases.RecordSmsAsync(reply.Id, null, status, attempts, providerId, error is { Length: > 300 } ? error[..300] : error, ct);

    private async Task LaterAsync(SmsReplyMessage m, TimeSpan delay, CancellationToken ct) =>
        await storage.Queue(QueueName).SendMessageAsync(
            JsonSerializer.Serialize(m, SmsOutboundJsonContext.Default.SmsReplyMessage),
            visibilityTimeout: delay < TimeSpan.Zero ? TimeSpan.Zero : delay > TimeSpan.FromDays(6) ? TimeSpan.FromDays(6) : delay,
            timeToLive: TimeSpan.FromSeconds(-1),
            cancellationToken: ct);

    private static SmsReplyMessage Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, SmsOutboundJsonContext.Default.SmsReplyMessage) is { ReplyId.Length: > 0, CaseId.Length: > 0 } m
                ? m
                : throw new PoisonMessageException("not an SMS reply message");
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"not an SMS reply message: invalid JSON at {ex.Path ?? "$"}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS reply {ReplyId} queued ({Segments} segment(s))")]
    private static partial void LogQueued(ILogger logger, string replyId, int segments);

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS reply {ReplyId} accepted by {Instance} after {Attempts} attempt(s)")]
    private static partial void LogAccepted(ILogger logger, string replyId, string instance, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS reply {ReplyId} refused by {Instance}: {Error}; not retried")]
    private static partial void LogRefused(ILogger logger, string replyId, string instance, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS reply {ReplyId} not through {Instance} after {Attempts} attempt(s) ({Error}); again in {DelaySeconds:F0} s")]
    private static partial void LogRetry(ILogger logger, string replyId, string instance, int attempts, string error, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "SMS reply {ReplyId} failed: {Instance} did not take it after {Attempts} attempts ({Error})")]
    private static partial void LogGaveUp(ILogger logger, string replyId, string instance, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS reply {ReplyId} was queued but never written (its transaction did not commit); dropped")]
    private static partial void LogDropped(ILogger logger, string replyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS reply {ReplyId} on {Instance}: receipt {Status}")]
    private static partial void LogReceipt(ILogger logger, string replyId, string instance, string status);
}

/// <summary>The <c>sms-replies</c> queue's consumer (<c>DeliverSmsReply</c>).</summary>
public sealed class SmsReplyDelivery(SmsOutbox outbox) : IQueueHandler
{
    public const string FunctionName = "DeliverSmsReply";
    public const string BindingName = "reply";

    public Task<string> HandleAsync(string message, CancellationToken ct) => outbox.DeliverAsync(message, ct);
}
