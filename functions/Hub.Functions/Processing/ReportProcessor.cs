using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hub.Core.Envelope;
using Hub.Functions.Storage;

namespace Hub.Functions.Processing;

public enum ProcessOutcome
{
    Created,

    /// <summary>A newer revision of an existing case replaced its envelope.</summary>
    Updated,

    /// <summary>Already there: a redelivery, a duplicate, or an older revision.</summary>
    Duplicate,
}

/// <summary>A message that can never succeed (not an envelope): goes to poison at once, no retries.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);

/// <summary>Where a case is written. The real one is Azure Tables; a fault-injecting wrapper exists only in tests.</summary>
public interface ICaseWriter
{
    /// <summary>
    /// Creates the case, or (for a higher <see cref="ReportEnvelope.Revision"/>) updates it; a case for the same
    /// (instance, provider message id) at the same or a higher revision makes it a duplicate.
    /// </summary>
    Task<ProcessOutcome> WriteAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct);
}

/// <summary>
/// Cases in the <c>cases</c> table, keyed (PartitionKey = channel instance, RowKey = provider message id):
/// the insert itself is the idempotency check, so redelivery and duplicate envelopes make one case. A higher
/// revision replaces the envelope-derived columns with an ETag-conditional merge (so two revisions racing
/// cannot let the older one win); what operators own (status, creation time, first report id) is kept.
/// </summary>
public sealed class TableCaseWriter(HubStorage storage, TimeProvider time) : ICaseWriter
{
    private const int MaxConflictRetries = 8;

    public Task<ProcessOutcome> WriteAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return storage.WithResourcesAsync(() => WriteCoreAsync(envelope, envelopeJson, ct), ct);
    }

    private async Task<ProcessOutcome> WriteCoreAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct)
    {
        var pk = TableKeys.Escape(envelope.ChannelInstance);
        var rk = TableKeys.Escape(envelope.Source.ProviderMessageId);
        var revision = envelope.Revision ?? 1;
        var entity = Columns(new TableEntity(pk, rk), envelope, envelopeJson);
        entity["ReportId"] = envelope.Id;
        entity["ReceivedAt"] = envelope.ReceivedAt;
        entity["Status"] = "new";
        entity["CreatedAt"] = time.GetUtcNow();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await storage.Cases.AddEntityAsync(entity, ct);
                return ProcessOutcome.Created;
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
            }

            if (revision == 1)
            {
                return ProcessOutcome.Duplicate;
            }

            var existing = await storage.Cases.GetEntityIfExistsAsync<TableEntity>(pk, rk, cancellationToken: ct);
            if (!existing.HasValue || existing.Value is not { } current)
            {
                continue; // deleted meanwhile: create it
            }

            if ((current.GetInt32("Revision") ?? 1) >= revision)
            {
                return ProcessOutcome.Duplicate;
            }

            try
            {
                var update = Columns(new TableEntity(pk, rk), envelope, envelopeJson);
                update["UpdatedAt"] = time.GetUtcNow();
                await storage.Cases.UpdateEntityAsync(update, current.ETag, TableUpdateMode.Merge, ct);
                return ProcessOutcome.Updated;
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxConflictRetries)
            {
                // Another revision was written between our read and write: compare again.
            }
        }
    }

    /// <summary>The columns that follow the envelope (and so move with each revision).</summary>
    private static TableEntity Columns(TableEntity e, ReportEnvelope envelope, string envelopeJson)
    {
        e["ReferenceCode"] = envelope.ReferenceCode;
        e["Channel"] = envelope.Channel;
        e["Urgency"] = envelope.Signals.Urgency;
        e["Categories"] = string.Join(',', envelope.Incident.Categories);
        e["ProvinceCode"] = envelope.Location?.ProvinceCode;
        e["ReporterPseudonym"] = envelope.Reporter.Pseudonym;
        e["Revision"] = envelope.Revision ?? 1;
        e["Envelope"] = envelopeJson;
        return e;
    }
}

/// <summary>
/// <c>ProcessReport</c>: one queue message → at most one case. Shared by the standalone poller and the
/// custom-handler queue trigger, so both modes have exactly the same effect.
/// </summary>
public sealed partial class ReportProcessor(ICaseWriter cases, ILogger<ReportProcessor> logger)
{
    public async Task<ProcessOutcome> ProcessAsync(string message, CancellationToken ct)
    {
        var envelope = Parse(message);
        var outcome = await cases.WriteAsync(envelope, message, ct);
        switch (outcome)
        {
            case ProcessOutcome.Created:
                LogCreated(logger, envelope.Id, envelope.ChannelInstance, envelope.Signals.Urgency);
                break;
            case ProcessOutcome.Updated:
                LogUpdated(logger, envelope.Id, envelope.ChannelInstance, envelope.Revision ?? 1, envelope.Signals.Urgency);
                break;
            default:
                LogDuplicate(logger, envelope.Id, envelope.ChannelInstance);
                break;
        }

        return outcome;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Case created for report {ReportId} from {ChannelInstance} (urgency {Urgency})")]
    private static partial void LogCreated(ILogger logger, string reportId, string channelInstance, string urgency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Case for report {ReportId} from {ChannelInstance} updated to revision {Revision} (urgency {Urgency})")]
    private static partial void LogUpdated(ILogger logger, string reportId, string channelInstance, int revision, string urgency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Report {ReportId} from {ChannelInstance} is a duplicate (or an older revision) of an existing case")]
    private static partial void LogDuplicate(ILogger logger, string reportId, string channelInstance);
}
