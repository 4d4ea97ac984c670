using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Hub.Core.Envelope;
using Hub.Core.Platform;
using Hub.Core.Signatures;
using Hub.Functions.Hosting;
using Hub.Functions.Cases;
using Hub.Functions.Messaging;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Hub.Functions.Platform;

/// <summary>
/// The takedown loop: the hub asks a platform to remove reported content (a signed POST to the platform's
/// callback URL, retried with backoff), the platform confirms at <c>POST /api/platform/v1/takedowns/{id}/confirm</c>.
/// Request, delivery, confirmation and removal times are kept on the report's <c>platformreports</c> row,
/// so the status endpoint shows them and time-to-removal can be reported.
/// </summary>
public sealed partial class Takedowns(
    HubStorage storage,
    PlatformRegistry registry,
    HubSigningKeys keys,
    IHttpClientFactory http,
    Polly.Registry.ResiliencePipelineProvider<string> pipelines,
    IOptions<PlatformApiOptions> api,
    IOptions<HubOptions> hub,
    TimeProvider time,
    ICaseStore cases,
    CaseService timeline,
    ILogger<Takedowns> logger)
{
    /// <summary>Takedown requests waiting to be delivered to a platform's callback URL.</summary>
    public const string QueueName = "takedowns";

    public const string HttpClientName = "platform-callbacks";
    public const string TakedownIdHeader = "X-Hub-Takedown-Id";
    private const int MaxPerReport = 50;
    private const int MaxConflictRetries = 8;

    /// <summary>Queues a takedown request for one report; returns the record, or why it cannot be made.</summary>
    public async Task<(TakedownRecord? Record, string? Error)> RequestAsync(string platformId, string hubReportId, IReadOnlyList<string> urls, string? reason, CancellationToken ct)
    {
        var platform = await registry.FindAsync(platformId, ct);
        if (platform is null)
        {
            return (null, $"No platform '{platformId}' is registered.");
        }

        if (string.IsNullOrEmpty(platform.Options.CallbackUrl))
        {
            return (null, $"Platform '{platformId}' has no CallbackUrl to send takedown requests to.");
        }

        if (!keys.CanSign)
        {
            return (null, "The hub has no signing key (Hub:Signing:Keys, Hub:Signing:ActiveKeyId); takedown requests must be signed.");
        }

        var found = ReportId.TimeOf(hubReportId) is null
            ? null
            : await storage.WithResourcesAsync(() => storage.Table(PlatformReports.TableName).GetEntityIfExistsAsync<TableEntity>(platformId, hubReportId, cancellationToken: ct), ct);
        if (found is not { HasValue: true } || found.Value is not { } row)
        {
            return (null, $"Platform '{platformId}' has no report '{hubReportId}'.");
        }

        if (RecordsOf(row).Count >= MaxPerReport)
        {
            return (null, $"Report '{hubReportId}' already has {MaxPerReport} takedown requests.");
        }

        if (urls.Count == 0)
        {
            urls = await ReportedUrlsAsync(platformId, row.GetString("PlatformReportId"), ct);
            if (urls.Count == 0)
            {
                return (null, "The report names no URL; give the URLs to take down.");
            }
        }

        var message = new TakedownMessage
        {
            PlatformId = platformId,
            HubReportId = hubReportId,
            TakedownId = NewTakedownId(hubReportId),
            Urls = urls,
            Reason = reason,
            RequestedAt = time.GetUtcNow(),
        };

        // Queue first: the message alone is enough to deliver (and record) the request, so a failure between the
        // two writes can delay the status row, never lose the request.
        await storage.Queue(QueueName).SendMessageAsync(JsonSerializer.Serialize(message, TakedownJsonContext.Default.TakedownMessage), ct);
        var record = Pending(message);
        await UpdateAsync(platformId, hubReportId, list =>
        {
            if (list.All(t => t.TakedownId != record.TakedownId))
            {
                list.Add(record);
            }

            return true;
        }, ct);
        LogRequested(logger, platformId, record.TakedownId, urls.Count);
        await TimelineAsync(hubReportId, "requested", new TakedownFact(record.TakedownId, platformId, record.RequestedAt), string.Create(CultureInfo.InvariantCulture, $"{platformId}: {urls.Count} URL(s){(reason is null ? string.Empty : "; " + reason)}"), ct);
        return (record, null);
    }

    /// <summary>Delivers one queued request (the <c>takedowns</c> worker and the <c>DeliverTakedown</c> function).</summary>
    public async Task<string> DeliverAsync(string text, CancellationToken ct)
    {
        var m = Parse(text);
        TakedownRecord? current = null;
        var row = await UpdateAsync(m.PlatformId, m.HubReportId, list =>
        {
            current = list.FirstOrDefault(t => t.TakedownId == m.TakedownId);
            if (current is null)
            {
                list.Add(current = Pending(m));
                return true;
            }

            return false;
        }, ct);
        if (row is null || current is null)
        {
            throw new PoisonMessageException($"takedown {m.TakedownId} names no report of platform {m.PlatformId}");
        }

        if (current.Status != "pending")
        {
            return $"already {current.Status}";
        }

        var platform = await registry.FindAsync(m.PlatformId, ct);
        if (platform?.Options.CallbackUrl is not { Length: > 0 } callback)
        {
            await RecordAsync(m, 0, "failed", "the platform has no CallbackUrl", null, ct);
            return "failed: no callback URL";
        }

        var o = api.Value;
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new TakedownRequest
            {
                TakedownId = m.TakedownId,
                HubReportId = m.HubReportId,
                PlatformReportId = row.GetString("PlatformReportId") ?? string.Empty,
                Urls = m.Urls,
                Reason = m.Reason,
                RequestedAt = m.RequestedAt,
                ConfirmUrl = $"{hub.Value.PublicBaseUrl.TrimEnd('/')}{PlatformApi.BasePath}/takedowns/{m.TakedownId}/confirm",
            },
            PlatformJsonContext.Default.TakedownRequest);

        var sent = await OutboundHttp.SendAsync(http.CreateClient(HttpClientName), pipelines.GetPipeline<HttpResponseMessage>(Resilience.TakedownCallback), () => Signed(callback, body, m.TakedownId), o.CallbackTimeout, time, ct);
        var (attempts, lastError) = (sent.Attempts, sent.Error);
        if (sent.Succeeded)
        {
            await RecordAsync(m, attempts, "delivered", null, time.GetUtcNow(), ct);
            LogDelivered(logger, m.PlatformId, m.TakedownId, attempts);
            await TimelineAsync(m.HubReportId, "delivered", new TakedownFact(m.TakedownId, m.PlatformId, m.RequestedAt), m.PlatformId, ct);
            return "delivered";
        }

        if (sent.Refused)
        {
            await RecordAsync(m, attempts, "failed", lastError, null, ct);
            LogRefused(logger, m.PlatformId, m.TakedownId, (int)sent.Status!.Value);
            await TimelineAsync(m.HubReportId, "failed", new TakedownFact(m.TakedownId, m.PlatformId, m.RequestedAt), m.PlatformId + ": " + lastError, ct);
            return "failed: " + lastError;
        }

        await RecordAsync(m, attempts, "pending", lastError, null, ct);
        throw new TakedownDeliveryException($"takedown {m.TakedownId} not delivered after {attempts} attempt(s): {lastError}");
    }

    public Dictionary<string, string[]> Validate(TakedownConfirmation? c)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (c is null)
        {
            errors["$"] = ["a JSON object is required"];
            return errors;
        }

        if (c.Outcome is null || !TakedownOutcomes.All.Contains(c.Outcome))
        {
            errors["$.outcome"] = ["is required and must be one of: " + string.Join(", ", TakedownOutcomes.All)];
        }

        if (c.RemovedAt > time.GetUtcNow() + TimeSpan.FromMinutes(10))
        {
            errors["$.removedAt"] = ["is in the future"];
        }

        if (c.Note is { Length: > 1000 })
        {
            errors["$.note"] = ["must be at most 1000 characters"];
        }

        return errors;
    }

    public async Task<(ConfirmOutcome Outcome, TakedownRecord? Record)> ConfirmAsync(string platformId, string takedownId, TakedownConfirmation c, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (takedownId.Length < 28 || ReportId.TimeOf(takedownId[..26]) is null || takedownId[26] != '-')
        {
            return (ConfirmOutcome.NotFound, null);
        }

        var outcome = ConfirmOutcome.NotFound;
        TakedownRecord? result = null;
        var row = await UpdateAsync(platformId, takedownId[..26], list =>
        {
            var i = list.FindIndex(t => t.TakedownId == takedownId);
            if (i < 0)
            {
                outcome = ConfirmOutcome.NotFound;
                return false;
            }

            var t = list[i];
            if (t.Status == "confirmed")
            {
                outcome = t.Outcome == c.Outcome ? ConfirmOutcome.AlreadyConfirmed : ConfirmOutcome.Conflict;
                result = t;
                return false;
            }

            var now = time.GetUtcNow();
            var removed = TakedownOutcomes.IsRemoval(c.Outcome!) ? c.RemovedAt ?? now : (DateTimeOffset?)null;
            result = list[i] = t with
            {
                Status = "confirmed",
                ConfirmedAt = now,
                Outcome = c.Outcome,
                RemovedAt = removed,
                Note = c.Note,
                TimeToRemovalSeconds = removed is { } r ? Math.Max(0, (r - t.RequestedAt).TotalSeconds) : null,
            };
            outcome = ConfirmOutcome.Confirmed;
            return true;
        }, ct);
        if (row is null)
        {
            return (ConfirmOutcome.NotFound, null);
        }

        if (outcome == ConfirmOutcome.Confirmed)
        {
            LogConfirmed(logger, platformId, takedownId, c.Outcome!, result!.TimeToRemovalSeconds ?? -1);
            await TimelineAsync(takedownId[..26], "confirmed", new TakedownFact(takedownId, platformId, result.RequestedAt, result.ConfirmedAt, result.Outcome, result.RemovedAt), string.Create(CultureInfo.InvariantCulture,
                $"{platformId}: {c.Outcome}{(result.TimeToRemovalSeconds is { } s ? $"; time to removal {TimeSpan.FromSeconds(Math.Round(s)):c}" : string.Empty)}"), ct);
        }

        return (outcome, result);
    }

    /// <summary>
    /// A takedown's step on its case's timeline (the platform's referral). Best effort after the step itself is
    /// stored: the takedown's own record (Azure Tables) is the source of truth; a case store outage loses the line, not the step.
    /// </summary>
    private async Task TimelineAsync(string hubReportId, string step, TakedownFact fact, string detail, CancellationToken ct)
    {
        try
        {
            if (!await timeline.TakedownStepAsync(hubReportId, step, detail, fact, ct))
            {
                LogNoCase(logger, hubReportId[..Math.Min(26, hubReportId.Length)], step);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException && Hub.Functions.Cases.Database.CaseDatabase.IsUnavailable(ex))
        {
            LogNoCase(logger, hubReportId[..Math.Min(26, hubReportId.Length)], step);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Takedown step {Step} for report {HubReportId} is not on a case's timeline (no case yet, or the case store is unavailable)")]
    private static partial void LogNoCase(ILogger logger, string hubReportId, string step);

    internal static IReadOnlyList<TakedownRecord> RecordsOf(TableEntity row) =>
        row.GetString("Takedowns") is { Length: > 0 } json
            ? JsonSerializer.Deserialize(json, PlatformJsonContext.Default.ListTakedownRecord) ?? []
            : [];

    internal static bool IsRetryable(HttpStatusCode status) => OutboundAnswer.IsRetryable(status);

    private HttpRequestMessage Signed(string url, byte[] body, string takedownId)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add(HubCallbackSignature.KeyIdHeader, keys.ActiveKeyId);
        request.Headers.Add(HubSignature.TimestampHeader, timestamp);
        request.Headers.Add(HubSignature.SignatureHeader, keys.Sign(timestamp, body));
        request.Headers.Add(TakedownIdHeader, takedownId);
        return request;
    }

    private async Task RecordAsync(TakedownMessage m, int attempts, string status, string? error, DateTimeOffset? deliveredAt, CancellationToken ct) =>
        await UpdateAsync(m.PlatformId, m.HubReportId, list =>
        {
            var i = list.FindIndex(t => t.TakedownId == m.TakedownId);
            if (i < 0 || list[i].Status == "confirmed")
            {
                return false; // confirmed meanwhile: the platform's word is final
            }

            list[i] = list[i] with
            {
                Status = status,
                DeliveryAttempts = list[i].DeliveryAttempts + attempts,
                LastDeliveryError = error,
                DeliveredAt = deliveredAt ?? list[i].DeliveredAt,
            };
            return true;
        }, ct);

    /// <summary>Read-modify-write of a report's takedown list with the row's ETag; the row as read, or null when it does not exist.</summary>
    private async Task<TableEntity?> UpdateAsync(string platformId, string hubReportId, Func<List<TakedownRecord>, bool> change, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var found = await storage.WithResourcesAsync(() => storage.Table(PlatformReports.TableName).GetEntityIfExistsAsync<TableEntity>(platformId, hubReportId, cancellationToken: ct), ct);
            if (!found.HasValue || found.Value is not { } row)
            {
                return null;
            }

            var list = RecordsOf(row).ToList();
            if (!change(list))
            {
                return row;
            }

            var update = new TableEntity(platformId, hubReportId) { ["Takedowns"] = JsonSerializer.Serialize(list, PlatformJsonContext.Default.ListTakedownRecord) };
            try
            {
                await storage.Table(PlatformReports.TableName).UpdateEntityAsync(update, row.ETag, TableUpdateMode.Merge, ct);
                return row;
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxConflictRetries)
            {
                // A delivery and a confirmation raced: apply the change again to the newer list.
            }
        }
    }

    /// <summary>The content URLs the report named, from its case (or none while it is still queued).</summary>
    private async Task<IReadOnlyList<string>> ReportedUrlsAsync(string platformId, string platformReportId, CancellationToken ct)
    {
        if (await cases.FindAsync(platformId, platformReportId, ct) is not { } kase)
        {
            return [];
        }

        var envelope = JsonSerializer.Deserialize(kase.Envelope, HubJsonContext.Default.ReportEnvelope)!;
        return envelope.Incident.Urls
            .Concat(envelope.Evidence.Where(e => e.HeldBy == platformId && e.SourceUrl is not null).Select(e => e.SourceUrl!))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    private static TakedownRecord Pending(TakedownMessage m) => new()
    {
        TakedownId = m.TakedownId,
        Urls = m.Urls,
        Reason = m.Reason,
        RequestedAt = m.RequestedAt,
        Status = "pending",
    };

    private static string NewTakedownId(string hubReportId)
    {
        const string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        Span<char> suffix = stackalloc char[8];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return $"{hubReportId}-{suffix}";
    }

    private static TakedownMessage Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, TakedownJsonContext.Default.TakedownMessage) is { PlatformId.Length: > 0, TakedownId.Length: > 0 } m
                ? m
                : throw new PoisonMessageException("not a takedown message");
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"not a takedown message: invalid JSON at {ex.Path ?? "$"}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Takedown {TakedownId} requested from {PlatformId} for {UrlCount} URL(s)")]
    private static partial void LogRequested(ILogger logger, string platformId, string takedownId, int urlCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Takedown {TakedownId} delivered to {PlatformId} after {Attempts} attempt(s)")]
    private static partial void LogDelivered(ILogger logger, string platformId, string takedownId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Takedown {TakedownId} refused by {PlatformId} with HTTP {Status}; not retried")]
    private static partial void LogRefused(ILogger logger, string platformId, string takedownId, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Takedown {TakedownId} confirmed by {PlatformId}: {Outcome} (time to removal {Seconds:F0} s)")]
    private static partial void LogConfirmed(ILogger logger, string platformId, string takedownId, string outcome, double seconds);
}
