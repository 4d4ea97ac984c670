using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hub.Core.Envelope;
using Hub.Functions.Storage;

namespace Hub.Functions.Processing;

public enum ProcessOutcome
{
    Created,
    Duplicate,
}

/// <summary>A message that can never succeed (not an envelope): goes to poison at once, no retries.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);

/// <summary>Where a case is written. The real one is Azure Tables; a fault-injecting wrapper exists only in tests.</summary>
public interface ICaseWriter
{
    /// <summary>Writes the case; false when a case for the same (instance, provider message id) already exists.</summary>
    Task<bool> TryCreateAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct);
}

/// <summary>
/// Cases in the <c>cases</c> table, keyed (PartitionKey = channel instance, RowKey = provider message id):
/// the insert itself is the idempotency check, so redelivery and duplicate envelopes make one case.
/// </summary>
public sealed class TableCaseWriter(HubStorage storage, TimeProvider time) : ICaseWriter
{
    public async Task<bool> TryCreateAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var entity = new TableEntity(TableKeys.Escape(envelope.ChannelInstance), TableKeys.Escape(envelope.Source.ProviderMessageId))
        {
            ["ReportId"] = envelope.Id,
            ["ReferenceCode"] = envelope.ReferenceCode,
            ["Channel"] = envelope.Channel,
            ["ReceivedAt"] = envelope.ReceivedAt,
            ["Urgency"] = envelope.Signals.Urgency,
            ["Categories"] = string.Join(',', envelope.Incident.Categories),
            ["ProvinceCode"] = envelope.Location?.ProvinceCode,
            ["ReporterPseudonym"] = envelope.Reporter.Pseudonym,
            ["Status"] = "new",
            ["CreatedAt"] = time.GetUtcNow(),
            ["Envelope"] = envelopeJson,
        };
        return await storage.WithResourcesAsync(
            async () =>
            {
                try
                {
                    await storage.Cases.AddEntityAsync(entity, ct);
                    return true;
                }
                catch (RequestFailedException ex) when (ex.Status == 409)
                {
                    return false;
                }
            },
            ct);
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
        var created = await cases.TryCreateAsync(envelope, message, ct);
        if (created)
        {
            LogCreated(logger, envelope.Id, envelope.ChannelInstance, envelope.Signals.Urgency);
            return ProcessOutcome.Created;
        }

        LogDuplicate(logger, envelope.Id, envelope.ChannelInstance);
        return ProcessOutcome.Duplicate;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Report {ReportId} from {ChannelInstance} is a duplicate of an existing case")]
    private static partial void LogDuplicate(ILogger logger, string reportId, string channelInstance);
}
