using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Hub.Functions.Messaging;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Cases;

/// <summary>
/// <c>ProcessReport</c>: one queue message → at most one case, or for a <c>hub.report-batch/v1</c> message (a
/// platform's batch, docs/envelope.md#batches) one case per envelope, written in one PostgreSQL round trip. Shared by
/// the standalone poller and the custom-handler queue trigger, so both modes have exactly the same effect.
/// </summary>
/// <param name="storage">For splitting a batch message whose write failed; without it (tools) the envelopes are written one by one in place.</param>
public sealed partial class ReportProcessor(ICaseStore cases, IOptions<HubOptions> options, ILogger<ReportProcessor> logger, Storage.HubStorage? storage = null) : IQueueHandler
{
    public const string FunctionName = "ProcessReport";
    public const string BindingName = "report";

    async Task<string> IQueueHandler.HandleAsync(string message, CancellationToken ct) =>
        IsBatch(message) ? await ProcessBatchAsync(message, ct) : (await ProcessAsync(message, ct)).ToString();

    /// <summary>A batch message (its schema is written first; any other order is read too, only more slowly).</summary>
    internal static bool IsBatch(string message)
    {
        if (message.StartsWith(BatchPrefix, StringComparison.Ordinal))
        {
            return true;
        }

        if (!message.Contains(Intake.IntakeService.BatchSchema, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(message);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.String
                && schema.ValueEquals(Intake.IntakeService.BatchSchema);
        }
        catch (JsonException)
        {
            return false; // poisoned by the single path, with its position
        }
    }

    private const string BatchPrefix = "{\"schema\":\"" + Intake.IntakeService.BatchSchema + "\"";

    /// <summary>
    /// A batch message: every envelope parsed (one that cannot be is sent on alone, to be poisoned by itself), the rest
    /// written together. A write that fails for a reason other than an outage splits the message: each envelope is
    /// queued as its own message, so only the one that can never succeed ends in the poison queue.
    /// </summary>
    public async Task<string> ProcessBatchAsync(string message, CancellationToken ct)
    {
        var good = new List<(ReportEnvelope Envelope, string Json)>();
        var bad = new List<string>();
        try
        {
            using var doc = JsonDocument.Parse(message);
            if (!doc.RootElement.TryGetProperty("reports", out var reports) || reports.ValueKind != JsonValueKind.Array)
            {
                throw new PoisonMessageException("a hub.report-batch message without a reports array");
            }

            foreach (var item in reports.EnumerateArray())
            {
                var json = item.GetRawText();
                try
                {
                    good.Add((Parse(json), json));
                }
                catch (PoisonMessageException)
                {
                    bad.Add(json);
                }
            }
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"not a hub.report-batch message: invalid JSON (line {ex.LineNumber}, byte {ex.BytePositionInLine})");
        }

        IReadOnlyList<ProcessOutcome> outcomes;
        try
        {
            outcomes = await cases.WriteManyAsync(good, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && CaseDatabase.IsUnavailable(ex))
        {
            throw new DependencyUnavailableException("case store", options.Value.Cases.OutageRetryDelay, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not DependencyUnavailableException)
        {
            LogSplit(logger, good.Count, ex.GetType().Name);
            if (storage is null)
            {
                foreach (var (_, json) in good)
                {
                    await ProcessAsync(json, ct);
                }

                return $"Split:{good.Count}";
            }

            await SendAloneAsync([.. good.Select(g => g.Json), .. bad], ct);
            return $"Split:{good.Count + bad.Count}";
        }

        if (bad.Count > 0)
        {
            // Alone, each is poisoned at once with its own error (after its neighbours are written: a failed send
            // retries the message, and the neighbours' second write is a duplicate).
            await SendAloneAsync(bad, ct);
        }

        for (var k = 0; k < good.Count; k++)
        {
            Log(good[k].Envelope, outcomes[k]);
        }

        return string.Join(",", outcomes.GroupBy(o => o).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}")) + (bad.Count > 0 ? $",Split:{bad.Count}" : string.Empty);
    }

    private async Task SendAloneAsync(List<string> envelopes, CancellationToken ct)
    {
        if (storage is null)
        {
            throw new PoisonMessageException($"{envelopes.Count} envelope(s) of a batch message are not hub.report envelopes");
        }

        // Never expire, like every report message; a failed send leaves the batch message to be retried whole (idempotent).
        await storage.WithResourcesAsync(
            async () =>
            {
                await Task.WhenAll(envelopes.Select(e => storage.Reports.SendMessageAsync(e, visibilityTimeout: null, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: ct)));
                return true;
            },
            ct);
    }

    public async Task<ProcessOutcome> ProcessAsync(string message, CancellationToken ct)
    {
        var envelope = Parse(message);
        ProcessOutcome outcome;
        try
        {
            outcome = await cases.WriteAsync(envelope, message, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && CaseDatabase.IsUnavailable(ex))
        {
            // An outage is not this message's fault: it must not count toward poisoning (docs/reliability.md#case-store-outages).
            throw new DependencyUnavailableException("case store", options.Value.Cases.OutageRetryDelay, ex);
        }

        Log(envelope, outcome);
        return outcome;
    }

    private void Log(ReportEnvelope envelope, ProcessOutcome outcome)
    {
        switch (outcome)
        {
            case ProcessOutcome.Created:
                LogCreated(logger, envelope.Id, envelope.ChannelInstance, envelope.Signals.Urgency);
                break;
            case ProcessOutcome.Attached:
                LogAttached(logger, envelope.Id, envelope.ChannelInstance);
                break;
            case ProcessOutcome.Updated:
                LogUpdated(logger, envelope.Id, envelope.ChannelInstance, envelope.Revision ?? 1, envelope.Signals.Urgency);
                break;
            default:
                LogDuplicate(logger, envelope.Id, envelope.ChannelInstance);
                break;
        }
    }

    internal static ReportEnvelope Parse(string message)
    {
        ReportEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(message, HubJsonContext.Default.ReportEnvelope);
        }
        catch (JsonException ex)
        {
            // Position only: JsonException's message quotes the input, which must not reach logs or the poison queue's error.
            throw new PoisonMessageException($"not a hub.report envelope: invalid JSON at {ex.Path ?? "$"} (line {ex.LineNumber}, byte {ex.BytePositionInLine})");
        }

        if (envelope is null || envelope.Schema != ReportEnvelope.SchemaV1)
        {
            throw new PoisonMessageException($"unsupported schema '{envelope?.Schema}'");
        }

        if (string.IsNullOrEmpty(envelope.Source?.ProviderMessageId) || string.IsNullOrEmpty(envelope.ChannelInstance) || !ReportChannels.All.Contains(envelope.Channel))
        {
            throw new PoisonMessageException("envelope lacks channel, instance or provider message id");
        }

        return envelope;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch message's {Count} envelopes could not be written together ({Error}): each is queued on its own, so only one that can never succeed is poisoned")]
    private static partial void LogSplit(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Case created for report {ReportId} from {ChannelInstance} (urgency {Urgency})")]
    private static partial void LogCreated(ILogger logger, string reportId, string channelInstance, string urgency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Case for report {ReportId} from {ChannelInstance} updated to revision {Revision} (urgency {Urgency})")]
    private static partial void LogUpdated(ILogger logger, string reportId, string channelInstance, int revision, string urgency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Report {ReportId} from {ChannelInstance} is a follow-up: attached to the open case it continues")]
    private static partial void LogAttached(ILogger logger, string reportId, string channelInstance);

    [LoggerMessage(Level = LogLevel.Information, Message = "Report {ReportId} from {ChannelInstance} is a duplicate (or an older revision) of an existing case")]
    private static partial void LogDuplicate(ILogger logger, string reportId, string channelInstance);
}
