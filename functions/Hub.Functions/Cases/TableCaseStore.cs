using Azure;
using Azure.Data.Tables;
using Hub.Core.Envelope;
using Hub.Functions.Storage;

namespace Hub.Functions.Cases;

/// <summary>
/// Cases in the <c>cases</c> table, keyed (PartitionKey = channel instance, RowKey = provider message id):
/// the insert itself is the idempotency check, so redelivery and duplicate envelopes make one case. A higher
/// revision replaces the envelope-derived columns with an ETag-conditional merge (so two revisions racing
/// cannot let the older one win); what operators own (status, creation time, first report id) is kept.
/// Reads other than by key scan the table: fine for admin commands on today's volumes, and the reason cases
/// move to PostgreSQL.
/// </summary>
public sealed class TableCaseStore(HubStorage storage, TimeProvider time) : ICaseStore
{
    public const string TableName = "cases";
    private const int MaxConflictRetries = 8;

    private TableClient Table => storage.Table(TableName);

    public Task<ProcessOutcome> WriteAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return storage.WithResourcesAsync(() => WriteCoreAsync(envelope, envelopeJson, ct), ct);
    }

    public Task<CaseRecord?> FindAsync(string channelInstance, string providerMessageId, CancellationToken ct) =>
        storage.WithResourcesAsync(
            async () =>
            {
                var e = await Table.GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(channelInstance), TableKeys.Escape(providerMessageId), cancellationToken: ct);
                return e.HasValue && e.Value is { } row ? ToRecord(row, channelInstance, providerMessageId) : null;
            },
            ct);

    public Task<CaseRecord?> FindByReferenceCodeAsync(string referenceCode, CancellationToken ct) =>
        FirstAsync(TableClient.CreateQueryFilter($"ReferenceCode eq {referenceCode}"), ct);

    public Task<CaseRecord?> GetAsync(string id, CancellationToken ct) =>
        FirstAsync(TableClient.CreateQueryFilter($"ReportId eq {id}"), ct);

    public Task<IReadOnlyList<CaseRecord>> ListRecentAsync(int count, CancellationToken ct) =>
        storage.WithResourcesAsync<IReadOnlyList<CaseRecord>>(
            async () =>
            {
                // Tables has no secondary order: keep the newest N while scanning.
                var newest = new SortedSet<CaseRecord>(Comparer<CaseRecord>.Create((a, b) => string.CompareOrdinal(b.Id, a.Id)));
                await foreach (var row in Table.QueryAsync<TableEntity>(cancellationToken: ct))
                {
                    newest.Add(ToRecord(row));
                    if (newest.Count > count)
                    {
                        newest.Remove(newest.Max!);
                    }
                }

                return newest.ToList();
            },
            ct);

    public Task CheckAsync(CancellationToken ct) =>
        storage.WithResourcesAsync(
            async () => await Table.QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: ct).AsPages().GetAsyncEnumerator(ct).MoveNextAsync(),
            ct);

    private Task<CaseRecord?> FirstAsync(string filter, CancellationToken ct) =>
        storage.WithResourcesAsync(
            async () =>
            {
                await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
                {
                    return ToRecord(row);
                }

                return (CaseRecord?)null;
            },
            ct);

    private async Task<ProcessOutcome> WriteCoreAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct)
    {
        var pk = TableKeys.Escape(envelope.ChannelInstance);
        var rk = TableKeys.Escape(envelope.Source.ProviderMessageId);
        var revision = envelope.Revision ?? 1;
        var entity = Columns(new TableEntity(pk, rk), envelope, envelopeJson);
        entity["ReportId"] = envelope.Id;
        entity["ReceivedAt"] = envelope.ReceivedAt;
        entity["Status"] = CaseRecord.StatusName(CaseStatus.New);
        entity["CreatedAt"] = time.GetUtcNow();
        entity["ChannelInstance"] = envelope.ChannelInstance;
        entity["ProviderMessageId"] = envelope.Source.ProviderMessageId;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await Table.AddEntityAsync(entity, ct);
                return ProcessOutcome.Created;
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
            }

            if (revision == 1)
            {
                return ProcessOutcome.Duplicate;
            }

            var existing = await Table.GetEntityIfExistsAsync<TableEntity>(pk, rk, cancellationToken: ct);
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
                await Table.UpdateEntityAsync(update, current.ETag, TableUpdateMode.Merge, ct);
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

    /// <summary>
    /// Rows written before the instance and message id had columns of their own carry them only in the (escaped)
    /// keys; the caller's unescaped values are used then, or the envelope's.
    /// </summary>
    private static CaseRecord ToRecord(TableEntity row, string? instance = null, string? messageId = null)
    {
        var envelope = row.GetString("Envelope") ?? "{}";
        if (row.GetString("ChannelInstance") is null || row.GetString("ProviderMessageId") is null)
        {
            var parsed = System.Text.Json.JsonSerializer.Deserialize(envelope, HubJsonContext.Default.ReportEnvelope);
            instance ??= parsed?.ChannelInstance;
            messageId ??= parsed?.Source?.ProviderMessageId;
        }

        return new CaseRecord
        {
            Id = row.GetString("ReportId") ?? string.Empty,
            ChannelInstance = row.GetString("ChannelInstance") ?? instance ?? row.PartitionKey,
            ProviderMessageId = row.GetString("ProviderMessageId") ?? messageId ?? row.RowKey,
            ReferenceCode = row.GetString("ReferenceCode") ?? string.Empty,
            Channel = row.GetString("Channel") ?? string.Empty,
            Urgency = row.GetString("Urgency") ?? string.Empty,
            Categories = row.GetString("Categories") is { Length: > 0 } c ? c.Split(',') : [],
            ProvinceCode = row.GetString("ProvinceCode"),
            ReporterPseudonym = row.GetString("ReporterPseudonym"),
            Revision = row.GetInt32("Revision") ?? 1,
            Status = CaseRecord.ParseStatus(row.GetString("Status")),
            ReceivedAt = row.GetDateTimeOffset("ReceivedAt") ?? default,
            CreatedAt = row.GetDateTimeOffset("CreatedAt") ?? default,
            UpdatedAt = row.GetDateTimeOffset("UpdatedAt"),
            Envelope = envelope,
        };
    }
}
