using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Core.Signatures;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Hub.Functions.Messaging;
using Hub.Functions.Platform;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Referrals;

/// <summary>"Tell the agency's system about referral X": all the <c>referrals</c> queue carries (no case content).</summary>
public sealed record ReferralMessage
{
    public required string ReferralId { get; init; }

    /// <summary><c>sent</c> or <c>revoked</c>.</summary>
    public required string Event { get; init; }

    public DateTimeOffset EnqueuedAt { get; init; }

    /// <summary>The W3C trace context of whatever queued this message (captured when it is made): its consumer's span continues that trace (docs/observability.md).</summary>
    public Hub.Core.Envelope.TraceContext? Trace { get; init; } = Telemetry.HubTelemetry.CurrentTrace();
}

/// <summary>
/// Referrals as the API and the console use them (docs/referrals.md): sending and moving go through
/// <see cref="CaseService"/> (one transaction each); a receiving team with a webhook (<see cref="ReferralOptions.Webhooks"/>)
/// is also told by a POST signed with the hub's ES256 keys — the same scheme as takedown requests, verifiable with the
/// keys published at <c>/api/platform/v1/signing-keys</c> — retried with backoff, then by the queue, then kept in
/// <c>referrals-poison</c> for replay. The agency answers through the console API with a client-credentials token.
/// </summary>
public sealed partial class Referrals(
    CaseService cases,
    HubStorage storage,
    HubSigningKeys keys,
    IHttpClientFactory http,
    Polly.Registry.ResiliencePipelineProvider<string> pipelines,
    IOptions<HubOptions> hub,
    TimeProvider time,
    ILogger<Referrals> logger)
{
    public const string QueueName = "referrals";
    public const string HttpClientName = "referral-webhooks";
    public const string ReferralIdHeader = "X-Hub-Referral-Id";
    public const string EventHeader = "X-Hub-Event";
    public const string DeliveryIdHeader = "X-Hub-Delivery-Id";
    public const string Schema = "hub.referral/v1";

    /// <summary>How long a queued message may find no referral row before it is dropped (its transaction never committed).</summary>
    private static readonly TimeSpan CommitGrace = TimeSpan.FromSeconds(30);

    private ReferralOptions O => hub.Value.Cases.Referrals;

    public bool HasWebhook(string team) => O.Webhooks.TryGetValue(team, out var hook) && !string.IsNullOrEmpty(hook?.Url);

    public async Task<ReferralChanged> SendAsync(Actor actor, CaseTarget target, ReferralRequest request, CancellationToken ct)
    {
        var sent = await cases.SendReferralAsync(actor, target, request, HasWebhook, (id, e) => EnqueueAsync(id, e, ct), ct);
        LogSent(logger, sent.Id, request.ToTeam, CaseService.SharingName(request.Sharing));
        return sent;
    }

    public async Task<ReferralChanged> MoveAsync(Actor actor, string referralId, ReferralState to, string? reason, string? outcome, int? ifVersion, CancellationToken ct)
    {
        var moved = await cases.MoveReferralAsync(actor, referralId, to, reason, outcome, ifVersion, HasWebhook, (id, e) => EnqueueAsync(id, e, ct), ct);
        LogMoved(logger, referralId, moved.State);
        return moved;
    }

    /// <summary>Delivers one queued webhook (the <c>referrals</c> worker and the <c>DeliverReferral</c> function).</summary>
    public async Task<string> DeliverAsync(string text, CancellationToken ct)
    {
        var m = Parse(text);
        (ReferralRow Referral, CaseSummary Case, ReportEnvelope? First, IReadOnlyList<EvidenceItem> Evidence)? found;
        try
        {
            found = await cases.ReferralForDeliveryAsync(m.ReferralId, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && CaseDatabase.IsUnavailable(ex))
        {
            throw new DependencyUnavailableException("case store", hub.Value.Cases.OutageRetryDelay, ex);
        }

        if (found is not { } f)
        {
            if (time.GetUtcNow() - m.EnqueuedAt < CommitGrace)
            {
                throw new DependencyUnavailableException("referral transaction", TimeSpan.FromSeconds(2), new InvalidOperationException("not committed yet"));
            }

            LogDropped(logger, m.ReferralId);
            return "dropped: never written";
        }

        if (m.Event == "sent" && f.Referral.Webhook == "delivered")
        {
            return "already delivered";
        }

        if (!O.Webhooks.TryGetValue(f.Referral.ToTeam, out var hook) || string.IsNullOrEmpty(hook?.Url))
        {
            await RecordAsync(m, "failed", 0, "no webhook is configured for " + f.Referral.ToTeam, ct);
            return "failed: no webhook";
        }

        if (!keys.CanSign)
        {
            throw new PoisonMessageException("the hub has no signing key (Hub:Signing): referral webhooks must be signed");
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(Payload(f.Referral, f.Case, f.First, f.Evidence, m.Event), ReferralJsonContext.Default.ReferralPayload);
        var sent = await OutboundHttp.SendAsync(http.CreateClient(HttpClientName), pipelines.GetPipeline<HttpResponseMessage>(Resilience.ReferralWebhook), () => Signed(hook.Url!, body, m), O.WebhookTimeout, time, ct);
        var (attempts, lastError) = (sent.Attempts, sent.Error);
        if (sent.Succeeded)
        {
            await RecordAsync(m, "delivered", attempts, null, ct);
            LogDelivered(logger, m.ReferralId, m.Event, attempts);
            return "delivered";
        }

        if (sent.Refused)
        {
            await RecordAsync(m, "failed", attempts, lastError, ct);
            LogRefused(logger, m.ReferralId, (int)sent.Status!.Value);
            return "failed: " + lastError;
        }

        await RecordAsync(m, "queued", attempts, lastError, ct);
        throw new ReferralDeliveryException($"referral {m.ReferralId} ({m.Event}) not delivered after {attempts} attempt(s): {lastError}");
    }

    /// <summary>What the agency's system receives: the referral, the case as far as the sharing level allows, and where to answer.</summary>
    public ReferralPayload Payload(ReferralRow f, CaseSummary c, ReportEnvelope? first, IReadOnlyList<EvidenceItem> evidence, string @event)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(c);
        var withEvidence = f.Sharing == "with-evidence" && @event == "sent";
        var api = hub.Value.PublicBaseUrl.TrimEnd('/') + "/api/console/v1/referrals/" + f.Id;
        return new ReferralPayload
        {
            Schema = Schema,
            Event = @event,
            ReferralId = f.Id,
            State = f.State,
            ToTeam = f.ToTeam,
            FromTeam = f.FromTeam,
            Reason = @event == "sent" ? f.Reason : f.Answer,
            Sharing = f.Sharing,
            ConsentBasis = f.ConsentBasis,
            SentAt = f.SentAt,
            AcknowledgeDue = f.AcknowledgeDue,
            InterventionDue = f.InterventionDue,
            Case = @event != "sent" ? new SharedCasePayload { ReferenceCode = c.ReferenceCode } : new SharedCasePayload
            {
                ReferenceCode = c.ReferenceCode,
                Urgency = c.Urgency,
                Categories = c.Categories,
                Province = c.ProvinceCode,
                ReceivedAt = c.ReceivedAt,
                ReporterRole = first?.Reporter.Role,
                AgeBand = first?.Reporter.AgeBand,
                VictimAgeBand = first?.Incident.VictimAgeBand,
                Description = withEvidence ? first?.Incident.Description : null,
                Urls = withEvidence ? first?.Incident.Urls : null,
                Accounts = withEvidence ? first?.Incident.ReportedAccounts : null,
                Evidence = withEvidence
                    ? [.. evidence.Select(e => new SharedEvidence { Index = e.Index, Kind = e.Evidence.Kind, ContentType = e.Evidence.ContentType, Size = e.Evidence.Size, Sha256 = e.Evidence.Sha256, SourceUrl = e.Evidence.SourceUrl, Url = e.Evidence.Blob is null ? null : $"{api}/evidence/{e.Index.ToString(CultureInfo.InvariantCulture)}" })]
                    : null,
            },
            Links = new ReferralLinks
            {
                Self = api,
                Acknowledge = api + "/acknowledge",
                Accept = api + "/accept",
                Reject = api + "/reject",
                Done = api + "/done",
            },
        };
    }

    private HttpRequestMessage Signed(string url, byte[] body, ReferralMessage m)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add(HubCallbackSignature.KeyIdHeader, keys.ActiveKeyId);
        request.Headers.Add(HubSignature.TimestampHeader, timestamp);
        request.Headers.Add(HubSignature.SignatureHeader, keys.Sign(timestamp, body));
        request.Headers.Add(ReferralIdHeader, m.ReferralId);
        request.Headers.Add(EventHeader, m.Event);
        request.Headers.Add(DeliveryIdHeader, m.ReferralId + ":" + m.Event);
        return request;
    }

    private async Task RecordAsync(ReferralMessage m, string state, int attempts, string? error, CancellationToken ct)
    {
        if (m.Event == "sent")
        {
            await cases.RecordReferralWebhookAsync(m.ReferralId, state, attempts, error, ct);
        }
    }

    private async Task EnqueueAsync(string referralId, string @event, CancellationToken ct) =>
        await storage.Queue(QueueName).SendMessageAsync(
            JsonSerializer.Serialize(new ReferralMessage { ReferralId = referralId, Event = @event, EnqueuedAt = time.GetUtcNow() }, ReferralJsonContext.Default.ReferralMessage),
            visibilityTimeout: null,
            timeToLive: TimeSpan.FromSeconds(-1),
            cancellationToken: ct);

    private static ReferralMessage Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, ReferralJsonContext.Default.ReferralMessage) is { ReferralId.Length: > 0, Event: "sent" or "revoked" } m
                ? m
                : throw new PoisonMessageException("not a referral message");
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"not a referral message: invalid JSON at {ex.Path ?? "$"}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Referral {ReferralId} sent to {Team} ({Sharing})")]
    private static partial void LogSent(ILogger logger, string referralId, string team, string sharing);

    [LoggerMessage(Level = LogLevel.Information, Message = "Referral {ReferralId} is now {State}")]
    private static partial void LogMoved(ILogger logger, string referralId, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Referral {ReferralId} webhook ({Event}) delivered after {Attempts} attempt(s)")]
    private static partial void LogDelivered(ILogger logger, string referralId, string @event, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Referral {ReferralId} webhook refused with HTTP {Status}; not retried")]
    private static partial void LogRefused(ILogger logger, string referralId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Referral {ReferralId} was queued but never written (its transaction did not commit); dropped")]
    private static partial void LogDropped(ILogger logger, string referralId);
}

/// <summary>A webhook not delivered yet: the queue tries again (and after its attempts keeps it in <c>referrals-poison</c>).</summary>
public sealed class ReferralDeliveryException(string message) : Exception(message);

/// <summary>The <c>referrals</c> queue's consumer (<c>DeliverReferral</c>).</summary>
public sealed class ReferralDelivery(Referrals referrals) : IQueueHandler
{
    public const string FunctionName = "DeliverReferral";
    public const string BindingName = "referral";

    public Task<string> HandleAsync(string message, CancellationToken ct) => referrals.DeliverAsync(message, ct);
}

/// <summary><c>hub.referral/v1</c>: the body of a referral webhook (docs/referrals.md#webhook).</summary>
public sealed record ReferralPayload
{
    public required string Schema { get; init; }

    public required string Event { get; init; }

    public required string ReferralId { get; init; }

    public required string State { get; init; }

    public required string ToTeam { get; init; }

    public required string FromTeam { get; init; }

    public string? Reason { get; init; }

    public required string Sharing { get; init; }

    public required string ConsentBasis { get; init; }

    public DateTimeOffset SentAt { get; init; }

    public DateTimeOffset AcknowledgeDue { get; init; }

    public DateTimeOffset? InterventionDue { get; init; }

    public required SharedCasePayload Case { get; init; }

    public required ReferralLinks Links { get; init; }
}

/// <summary>The case as the referral shares it: the summary always; description, links, accounts and evidence only <c>with-evidence</c>. Never the reporter's identity or contact.</summary>
public sealed record SharedCasePayload
{
    public required string ReferenceCode { get; init; }

    public string? Urgency { get; init; }

    public IReadOnlyList<string>? Categories { get; init; }

    public string? Province { get; init; }

    public DateTimeOffset? ReceivedAt { get; init; }

    public string? ReporterRole { get; init; }

    public string? AgeBand { get; init; }

    public string? VictimAgeBand { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<string>? Urls { get; init; }

    public IReadOnlyList<string>? Accounts { get; init; }

    public IReadOnlyList<SharedEvidence>? Evidence { get; init; }
}

public sealed record SharedEvidence
{
    public int Index { get; init; }

    public required string Kind { get; init; }

    public string? ContentType { get; init; }

    public long? Size { get; init; }

    public string? Sha256 { get; init; }

    public string? SourceUrl { get; init; }

    /// <summary>Where the receiving team's users (or its system, with its token) fetch the item: an audited read.</summary>
    public string? Url { get; init; }
}

public sealed record ReferralLinks
{
    public required string Self { get; init; }

    public required string Acknowledge { get; init; }

    public required string Accept { get; init; }

    public required string Reject { get; init; }

    public required string Done { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReferralMessage))]
[JsonSerializable(typeof(ReferralPayload))]
public sealed partial class ReferralJsonContext : JsonSerializerContext;
