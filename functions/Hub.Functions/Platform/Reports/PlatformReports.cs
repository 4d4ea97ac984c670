using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Core.Platform;
using Hub.Core.Taxonomy;
using Hub.Core.Text;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;
using Hub.Functions.Spool;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Platform;

public sealed record ParsedReport(PlatformReport? Report, Dictionary<string, string[]>? Errors);

/// <summary>
/// Platform reports through the shared intake path: each becomes one <c>hub.report/v1</c> envelope with channel
/// <c>platform</c>, instance = platform id, provider message id = the platform's report id (so the intake's
/// dedup row makes that id the idempotency key), then a row in <c>platformreports</c> that the status endpoint
/// and the takedown loop read. The reported person's IP events and the full request stay only in the
/// encrypted raw blob; files are recorded by hash and never downloaded (the platform preserves them).
/// </summary>
public sealed class PlatformReports(
    IntakeService intake,
    HubStorage storage,
    LocalSpool spool,
    IOptions<HubOptions> hub,
    TimeProvider time,
    ICaseStore cases) : Spool.ISpoolReplayer
{
    /// <summary>One row per platform report (PartitionKey = platform, RowKey = hub report id): status and takedowns.</summary>
    public const string TableName = "platformreports";

    public const string SpoolKind = "platform";

    /// <summary>
    /// Bytes to a typed report: UTF-8 check, one parse into a pooled document, the published schema's validation
    /// over it, the typed read, then the checks a schema cannot express (dates in the future, age range order).
    /// </summary>
    public ParsedReport Parse(ReadOnlyMemory<byte> body, string basePath)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            return new ParsedReport(null, new Dictionary<string, string[]> { [basePath] = ["is not valid JSON (not UTF-8)"] });
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return new ParsedReport(null, new Dictionary<string, string[]> { [basePath] = [$"is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine})"] });
        }

        using (doc)
        {
            var errors = PlatformSchema.Validate(doc.RootElement, basePath);
            if (errors.Count > 0)
            {
                return new ParsedReport(null, errors);
            }
        }

        PlatformReport? report;
        try
        {
            report = JsonSerializer.Deserialize(body.Span, PlatformJsonContext.Default.PlatformReport);
        }
        catch (JsonException ex)
        {
            // The schema passed, so this is a value .NET cannot hold (e.g. a size beyond 2^63).
            return new ParsedReport(null, new Dictionary<string, string[]> { [basePath + (ex.Path ?? "$").TrimStart('$')] = ["is out of range"] });
        }

        var semantic = PlatformMapping.SemanticErrors(report!, time.GetUtcNow(), basePath);
        return semantic.Count > 0 ? new ParsedReport(null, semantic) : new ParsedReport(report, null);
    }

    /// <summary>
    /// Intake, then the status row. When storage is unreachable and the standalone spool is on, the report is
    /// appended to the fsynced local spool with its hub id fixed, and the relay does both writes later.
    /// </summary>
    public async Task<PlatformReceipt> AcceptAsync(RegisteredPlatform platform, PlatformReport report, ReadOnlyMemory<byte> raw, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(report);
        var spooled = new SpooledPlatformReport { PlatformId = platform.Id, ReportId = ReportId.New(time), ReceivedAt = time.GetUtcNow(), Raw = raw };
        try
        {
            return await AcceptCoreAsync(platform.Id, report, raw, spooled, ct);
        }
        catch (StorageUnavailableException ex) when (spool.Enabled)
        {
            await spool.AppendInsteadAsync(SpoolKind, JsonSerializer.SerializeToUtf8Bytes(spooled, PlatformSpoolJsonContext.Default.SpooledPlatformReport), ex, ct);

            return new PlatformReceipt
            {
                PlatformReportId = report.PlatformReportId,
                HubReportId = spooled.ReportId,
                ReferenceCode = intake.ReferenceCodeFor(platform.Id, report.PlatformReportId),
                Status = "accepted",
                StatusUrl = StatusUrl(spooled.ReportId),
            };
        }
    }

    /// <summary>The relay's replay of a spooled report: parsed again from its raw body, same hub id and time.</summary>
    string Spool.ISpoolReplayer.Kind => SpoolKind;

    public async Task ReplayAsync(byte[] payload, CancellationToken ct)
    {
        var spooled = JsonSerializer.Deserialize(payload, PlatformSpoolJsonContext.Default.SpooledPlatformReport) ?? throw new InvalidDataException("empty platform spool record");
        var parsed = Parse(spooled.Raw, "$");
        if (parsed.Report is null)
        {
            throw new InvalidDataException("A spooled platform report no longer parses: " + string.Join("; ", parsed.Errors!.Keys));
        }

        var receipt = await AcceptCoreAsync(spooled.PlatformId, parsed.Report, spooled.Raw, spooled, ct);
        if (!string.Equals(receipt.HubReportId, spooled.ReportId, StringComparison.Ordinal))
        {
            // A retry of a report accepted before the outage: the platform was given the spooled id, the case has the
            // first one. An alias row makes the spooled receipt's status URL answer with the real report.
            var alias = new TableEntity(spooled.PlatformId, spooled.ReportId)
            {
                ["PlatformReportId"] = parsed.Report.PlatformReportId,
                ["ReferenceCode"] = receipt.ReferenceCode,
                ["ReceivedAt"] = spooled.ReceivedAt,
                [AliasColumn] = receipt.HubReportId,
            };
            try
            {
                await storage.WithResourcesAsync(() => storage.Table(TableName).AddEntityAsync(alias, ct), ct);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // written by an earlier replay of this record
            }
        }
    }

    private const string AliasColumn = "AliasOf";

    private async Task<PlatformReceipt> AcceptCoreAsync(string platformId, PlatformReport report, ReadOnlyMemory<byte> raw, SpooledPlatformReport ids, CancellationToken ct)
    {
        // The status row is written with the dedup row (after the envelope is queued): three sequential round trips in
        // all (dedup read with the raw upload; the queue message; dedup and status rows), the fewest write-before-ack allows.
        var result = await intake.AcceptAsync(
            ToSubmission(platformId, report, raw) with { ReportId = ids.ReportId, ReceivedAt = ids.ReceivedAt },
            ct,
            async (r, token) =>
            {
                try
                {
                    await storage.Table(TableName).AddEntityAsync(StatusRow(platformId, report.PlatformReportId, r, ids.ReceivedAt), token);
                }
                catch (RequestFailedException ex) when (ex.Status == 409)
                {
                    // Written by the first delivery; a retry after a lost answer lands here.
                }
            });

        return Receipt(report.PlatformReportId, result);
    }

    private static TableEntity StatusRow(string platformId, string platformReportId, IntakeResult r, DateTimeOffset receivedAt) => new(platformId, r.ReportId)
    {
        ["PlatformReportId"] = platformReportId,
        ["ReferenceCode"] = r.ReferenceCode,
        ["ReceivedAt"] = r.ReceivedAt ?? receivedAt,
    };

    private PlatformReceipt Receipt(string platformReportId, IntakeResult result) => new()
    {
        PlatformReportId = platformReportId,
        HubReportId = result.ReportId,
        ReferenceCode = result.ReferenceCode,
        Status = result.Duplicate ? "duplicate" : "accepted",
        StatusUrl = StatusUrl(result.ReportId),
    };

    /// <summary>
    /// Each item stands alone: invalid ones are listed with their errors (400), valid ones go through the intake's batch
    /// path together (<see cref="IntakeService.AcceptBatchAsync"/>: one raw blob, packed queue messages, one transaction
    /// of dedup rows and one of status rows). Items repeating an earlier item's id get that item's answer. When storage
    /// fails part-way, the items not stored are answered 503 with <c>retryAfter</c>; when it fails before anything is
    /// stored, the whole batch is (with the spool on, standalone, those items are spooled and accepted instead).
    /// </summary>
    /// <param name="body">The request body exactly as received (stored once for all items).</param>
    /// <param name="items">Each item of its <c>reports</c> array: its exact bytes.</param>
    public async Task<PlatformBatchResult> AcceptBatchAsync(RegisteredPlatform platform, ReadOnlyMemory<byte> body, IReadOnlyList<byte[]> items, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(items);
        var results = new PlatformBatchItem[items.Count];
        var parsed = new PlatformReport?[items.Count];
        var firstById = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var p = Parse(items[i], $"$.reports[{i}]");
            if (p.Errors is not null)
            {
                results[i] = new PlatformBatchItem { Index = i, PlatformReportId = IdOf(items[i]), Status = StatusCodes.Status400BadRequest, Errors = p.Errors };
                continue;
            }

            parsed[i] = p.Report;
            firstById.TryAdd(p.Report!.PlatformReportId, i);
        }

        var positions = firstById.Values.Order().ToArray();
        var receivedAt = time.GetUtcNow();
        var ids = positions.Select(_ => ReportId.New(time)).ToArray();
        var submissions = positions.Select((i, k) => ToSubmission(platform.Id, parsed[i]!, items[i]) with { ReportId = ids[k], ReceivedAt = receivedAt }).ToArray();
        IntakeItemOutcome[] outcomes;
        try
        {
            outcomes = await intake.AcceptBatchAsync(submissions, positions, body, (accepted, token) => WriteStatusRowsAsync(platform.Id, accepted, submissions, token), ct);
        }
        catch (StorageUnavailableException ex) when (spool.Enabled)
        {
            outcomes = [.. positions.Select(_ => new IntakeItemOutcome(null, ex))];
        }

        var retryAfter = hub.Value.Intake.RetryAfterSeconds;
        for (var k = 0; k < positions.Length; k++)
        {
            var i = positions[k];
            var id = parsed[i]!.PlatformReportId;
            results[i] = outcomes[k] switch
            {
                { Result: { } r } => new PlatformBatchItem { Index = i, PlatformReportId = id, Status = StatusCodes.Status202Accepted, Receipt = Receipt(id, r) },
                { Failure: EnvelopeTooLargeException tooLarge } => new PlatformBatchItem { Index = i, PlatformReportId = id, Status = StatusCodes.Status413PayloadTooLarge, Errors = new Dictionary<string, string[]> { [$"$.reports[{i}]"] = [tooLarge.Message] } },
                { Failure: StorageUnavailableException down } when spool.Enabled => new PlatformBatchItem { Index = i, PlatformReportId = id, Status = StatusCodes.Status202Accepted, Receipt = await SpoolAsync(platform.Id, id, items[i], submissions[k], down, ct) },
                _ => new PlatformBatchItem { Index = i, PlatformReportId = id, Status = StatusCodes.Status503ServiceUnavailable, RetryAfter = retryAfter, Errors = new Dictionary<string, string[]> { [$"$.reports[{i}]"] = [$"was not stored (storage failed part-way through the batch): send it again after {retryAfter} s"] } },
            };
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (results[i] is null && parsed[i] is { } report)
            {
                var first = results[firstById[report.PlatformReportId]];
                results[i] = first.Receipt is { } r
                    ? new PlatformBatchItem { Index = i, PlatformReportId = report.PlatformReportId, Status = StatusCodes.Status202Accepted, Receipt = r with { Status = "duplicate" } }
                    : first with { Index = i };
            }
        }

        var acceptedCount = results.Count(r => r.Status == StatusCodes.Status202Accepted);
        return new PlatformBatchResult { Accepted = acceptedCount, Rejected = results.Length - acceptedCount, Items = results };
    }

    /// <summary>Status rows of a batch's queued items: upserts (a duplicate's row keeps its first delivery's values) in one transaction per 100.</summary>
    private async Task WriteStatusRowsAsync(string platformId, IReadOnlyList<(int Item, IntakeResult Result)> queued, IntakeSubmission[] submissions, CancellationToken ct)
    {
        var table = storage.Table(TableName);
        foreach (var chunk in queued.Chunk(100))
        {
            await table.SubmitTransactionAsync(
                chunk.Select(q => new TableTransactionAction(
                    TableTransactionActionType.UpsertMerge,
                    StatusRow(platformId, submissions[q.Item].ProviderMessageId, q.Result, submissions[q.Item].ReceivedAt!.Value))),
                ct);
        }
    }

    private async Task<PlatformReceipt> SpoolAsync(string platformId, string platformReportId, byte[] raw, IntakeSubmission s, StorageUnavailableException ex, CancellationToken ct)
    {
        var spooled = new SpooledPlatformReport { PlatformId = platformId, ReportId = s.ReportId!, ReceivedAt = s.ReceivedAt!.Value, Raw = raw };
        await spool.AppendInsteadAsync(SpoolKind, JsonSerializer.SerializeToUtf8Bytes(spooled, PlatformSpoolJsonContext.Default.SpooledPlatformReport), ex, ct);
        return new PlatformReceipt
        {
            PlatformReportId = platformReportId,
            HubReportId = spooled.ReportId,
            ReferenceCode = intake.ReferenceCodeFor(platformId, platformReportId),
            Status = "accepted",
            StatusUrl = StatusUrl(spooled.ReportId),
        };
    }

    public async Task<PlatformReportStatus?> StatusAsync(string platformId, string hubReportId, CancellationToken ct)
    {
        if (ReportId.TimeOf(hubReportId) is null)
        {
            return null;
        }

        var found = await storage.WithResourcesAsync(() => storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(platformId, hubReportId, cancellationToken: ct), ct);
        if (!found.HasValue || found.Value is not { } row)
        {
            return null;
        }

        if (row.GetString(AliasColumn) is { Length: > 0 } canonical)
        {
            // An id given out from the spool for a report accepted earlier: answer with the report itself.
            var target = await storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(platformId, canonical, cancellationToken: ct);
            if (!target.HasValue || target.Value is null)
            {
                return null;
            }

            (hubReportId, row) = (canonical, target.Value);
        }

        var platformReportId = row.GetString("PlatformReportId");
        var kase = await cases.FindAsync(platformId, platformReportId, ct);
        return new PlatformReportStatus
        {
            HubReportId = hubReportId,
            PlatformReportId = platformReportId,
            ReferenceCode = row.GetString("ReferenceCode"),
            ReceivedAt = row.GetDateTimeOffset("ReceivedAt") ?? ReportId.TimeOf(hubReportId)!.Value,
            Status = kase is not null ? CaseRecord.StatusName(kase.Status) : "queued",
            Takedowns = Takedowns.RecordsOf(row),
        };
    }

    public string StatusUrl(string hubReportId) => $"{hub.Value.PublicBaseUrl.TrimEnd('/')}{PlatformApi.BasePath}/reports/{hubReportId}";

    internal static IntakeSubmission ToSubmission(string platformId, PlatformReport report, ReadOnlyMemory<byte> raw)
    {
        var assessment = PlatformMapping.Assess(report);
        var province = Provinces.ByCodeOrNull(report.Location?.ProvinceCode) ?? Provinces.Find(report.Location?.Hint);
        return new IntakeSubmission
        {
            Channel = ReportChannels.Platform,
            ChannelInstance = platformId,
            Provider = platformId,
            ProviderMessageId = report.PlatformReportId,
            SenderId = report.Contact?.Email,
            SenderKind = "email",
            Text = report.Incident.Description is { Length: > 0 } d ? VietnameseText.Normalize(d) : null,
            RawBody = raw,
            RawContentType = "application/json",
            ProvinceCode = province?.Code,
            ProvinceBasis = "platform",
            OccurredAt = report.Incident.OccurredAt,
            Categories = assessment.Categories,
            Urgency = assessment.Urgency,
            Reasons = assessment.Reasons,
            ReporterRole = ReporterRoles.Platform,
            VictimAgeBand = assessment.VictimAgeBand,
            Urls = report.ContentUrls,
            ReportedAccounts = report.ReportedAccounts
                .Select(a => $"{platformId}:{a.PlatformUserId}" + (a.ScreenName is { Length: > 0 } s ? " @" + s : string.Empty))
                .ToList(),
            StoredEvidence = report.Files.Select(f => ToEvidence(platformId, f)).ToList(),
            Platform = new PlatformSummary
            {
                IncidentType = report.Incident.Type,
                Annotations = report.Incident.Annotations,
                EscalationReason = report.Incident.EscalateToHighPriority,
                ActionsTaken = report.ActionsTaken.Select(a => a.Action).Distinct(StringComparer.Ordinal).ToList(),
            },
        };
    }

    private static Evidence ToEvidence(string platformId, PlatformFile f) => new()
    {
        Kind = Hub.Functions.Media.EvidenceStore.KindOf(f.ContentType),
        HeldBy = platformId,
        Sha256 = f.Hashes.Sha256?.ToLowerInvariant(),
        Md5 = f.Hashes.Md5?.ToLowerInvariant(),
        Sha1 = f.Hashes.Sha1?.ToLowerInvariant(),

        // PDQ hashes of quality 49 or less are unreliable for matching (docs/taxonomy.md#hashes): only the raw request
        // keeps them, unless the PDQ is the file's only hash.
        Pdq = f.PdqQuality is null or > 49 || (f.Hashes.Sha256 ?? f.Hashes.Md5 ?? f.Hashes.Sha1) is null ? f.Hashes.Pdq?.ToLowerInvariant() : null,
        PdqQuality = f.Hashes.Pdq is null ? null : f.PdqQuality,
        ContentType = f.ContentType,
        Size = f.Size,
        SourceUrl = f.Url,
        Tags = f.Tags.Count > 0 ? f.Tags : null,
        ViewedByProvider = f.ViewedByPlatform,
    };

    private static string? IdOf(byte[] item)
    {
        try
        {
            using var doc = JsonDocument.Parse(item);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("platformReportId", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or a string that is not UTF-8
        }
    }
}

/// <summary>A platform report as the local spool keeps it: the raw request and the hub id already given out.</summary>
internal sealed record SpooledPlatformReport
{
    public required string PlatformId { get; init; }

    public required string ReportId { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required ReadOnlyMemory<byte> Raw { get; init; }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(SpooledPlatformReport))]
internal sealed partial class PlatformSpoolJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
