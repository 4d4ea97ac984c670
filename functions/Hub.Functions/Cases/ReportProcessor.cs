using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Hub.Functions.Messaging;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Cases;

/// <summary>
/// <c>ProcessReport</c>: one queue message → at most one case. Shared by the standalone poller and the
/// custom-handler queue trigger, so both modes have exactly the same effect.
/// </summary>
public sealed partial class ReportProcessor(ICaseStore cases, IOptions<HubOptions> options, ILogger<ReportProcessor> logger) : IQueueHandler
{
    public const string FunctionName = "ProcessReport";
    public const string BindingName = "report";

    async Task<string> IQueueHandler.HandleAsync(string message, CancellationToken ct) => (await ProcessAsync(message, ct)).ToString();

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Report {ReportId} from {ChannelInstance} is a follow-up: attached to the open case it continues")]
    private static partial void LogAttached(ILogger logger, string reportId, string channelInstance);

    [LoggerMessage(Level = LogLevel.Information, Message = "Report {ReportId} from {ChannelInstance} is a duplicate (or an older revision) of an existing case")]
    private static partial void LogDuplicate(ILogger logger, string reportId, string channelInstance);
}
