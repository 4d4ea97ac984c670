using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Hub.Core.Envelope;
using Hub.Core.Privacy;
using Hub.Core.Taxonomy;
using Hub.Core.Text;
using Hub.Functions.Media;
using Hub.Functions.Privacy;
using Hub.Functions.Spool;
using Hub.Functions.Storage;

namespace Hub.Functions.Intake;

/// <summary>The report cannot be carried in one queue message even with its text moved to a blob: the caller refuses it (413), nothing was queued.</summary>
public sealed class EnvelopeTooLargeException(int bytes) : Exception($"The report's envelope would be {bytes} bytes; at most {IntakeService.MaxEnvelopeBytes} fit a queue message.")
{
    public int Bytes { get; } = bytes;
}

public sealed record IntakeResult(string ReportId, string ReferenceCode, string Urgency, bool Duplicate)
{
    /// <summary>When the report was first received (for a duplicate, the first delivery's time), where known.</summary>
    public DateTimeOffset? ReceivedAt { get; init; }
}

/// <summary>One item of <see cref="IntakeService.AcceptBatchAsync"/>: accepted (<see cref="Result"/>), or why not (<see cref="EnvelopeTooLargeException"/>, <see cref="StorageUnavailableException"/>).</summary>
public sealed record IntakeItemOutcome(IntakeResult? Result, Exception? Failure);

/// <summary>
/// The one write path every channel shares (README "How a report flows"): raw body and media to blobs with SHA-256,
/// the envelope to the <c>reports</c> queue, then the dedup row. The caller answers 2xx only when this
/// returns; a storage failure surfaces as <see cref="StorageUnavailableException"/> and nothing is acknowledged.
/// The dedup row is written after the queue write on purpose: a crash between them can at worst enqueue a
/// second copy, which the case processor collapses; the reverse order could acknowledge a report never queued.
/// </summary>
public sealed partial class IntakeService(
    HubStorage storage,
    PrivacyServices privacy,
    EvidenceStore evidenceStore,
    LocalSpool spool,
    TimeProvider time,
    Telemetry.HubMetrics metrics,
    ILogger<IntakeService> logger)
{
    /// <summary>Dedup rows: (channel instance, provider message id) → the report it became.</summary>
    public const string TableName = "intake";

    public const string SpoolKind = "intake";

    /// <summary>The Functions trigger's Base64 leaves ~48 KB of a 64 KiB message; stay well inside it.</summary>
    internal const int MaxEnvelopeBytes = 40 * 1024;

    /// <param name="alongside">
    /// A write the caller's answer also waits for (a platform report's status row): run with the dedup row, after the
    /// envelope is queued (for a duplicate, at once), so it costs no round trip of its own.
    /// </param>
    public async Task<IntakeResult> AcceptAsync(IntakeSubmission s, CancellationToken ct, Func<IntakeResult, CancellationToken, Task>? alongside = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        using var span = Telemetry.HubTelemetry.Source.StartActivity("intake");
        span?.SetTag("hub.report_channel", s.Channel);
        span?.SetTag("hub.channel_instance", s.ChannelInstance);
        try
        {
            var result = await storage.WithResourcesAsync(() => AcceptCoreAsync(s, alongside, ct), ct);
            span?.SetTag("hub.duplicate", result.Duplicate);
            return result;
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) && !ct.IsCancellationRequested)
        {
            throw new StorageUnavailableException("Storage is unreachable; the report was not acknowledged.", ex);
        }
    }

    /// <summary>
    /// A webhook's intake (SMS): storage first; when storage is unreachable and the standalone spool is on, the
    /// submission is appended to the fsynced local spool instead and the caller may acknowledge it. The report id
    /// and reference code are fixed here, so the reporter's reference code is the one the case gets after the relay.
    /// </summary>
    public async Task<IntakeResult> AcceptOrSpoolAsync(IntakeSubmission s, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(s);
        s = s.ReportId is null ? s with { ReportId = ReportId.New(time), ReceivedAt = time.GetUtcNow() } : s with { ReceivedAt = s.ReceivedAt ?? time.GetUtcNow() };
        try
        {
            return await AcceptAsync(s, ct);
        }
        catch (StorageUnavailableException ex) when (spool.Enabled)
        {
            await spool.AppendInsteadAsync(SpoolKind, JsonSerializer.SerializeToUtf8Bytes(s, SpoolPayloadJsonContext.Default.IntakeSubmission), ex, ct);

            var urgency = EnvelopeBuilder.UrgencyOf(s, Triage.Assess(s.Text));
            LogSpooled(logger, s.ChannelInstance, s.ReportId!, urgency);
            metrics.Acknowledged(s.Channel, "spool");
            return new IntakeResult(s.ReportId!, ReferenceCodeFor(s.ChannelInstance, s.ProviderMessageId), urgency, Duplicate: false);
        }
    }

    public string ReferenceCodeFor(string channelInstance, string providerMessageId) =>
        privacy.Pseudonymizer.ReferenceCodeFor(ReportEnvelope.DedupKeyFor(channelInstance, providerMessageId));

    private async Task<IntakeResult> AcceptCoreAsync(IntakeSubmission s, Func<IntakeResult, CancellationToken, Task>? alongside, CancellationToken ct)
    {
        var partition = TableKeys.Escape(s.ChannelInstance);
        var revisionSuffix = s.Revision is > 1 ? $"#r{s.Revision.Value.ToString(CultureInfo.InvariantCulture)}" : string.Empty;
        var row = TableKeys.Escape(s.ProviderMessageId + revisionSuffix);

        var receivedAt = s.ReceivedAt ?? time.GetUtcNow();
        var id = s.ReportId ?? ReportId.New(time);
        var referenceCode = ReferenceCodeFor(s.ChannelInstance, s.ProviderMessageId);
        var datePath = receivedAt.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);

        // The dedup lookup and the raw upload are independent: run them together (one round trip instead of two
        // on every new report). The name carries a per-attempt nonce, so a retry or a spool replay of a report whose
        // id is fixed never overwrites, or deletes, the first attempt's evidence.
        var rawName = $"{s.ChannelInstance}/{datePath}/{id}{revisionSuffix.Replace('#', '-')}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.bin";
        var rawSha = EvidenceStore.Sha256Hex(s.RawBody.Span);
        var lookup = storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: ct);
        var upload = evidenceStore.UploadEncryptedAsync(storage.Raw, rawName, s.RawBody, rawSha, s.RawContentType, ct);
        try
        {
            await Task.WhenAll(lookup, upload);
        }
        catch (Exception) when (lookup.IsCompletedSuccessfully && lookup.Result.HasValue)
        {
            // A duplicate: whether this attempt's copy of the raw body was stored does not matter.
        }

        var existing = await lookup;
        if (existing.HasValue && existing.Value is { } seen)
        {
            if (upload.IsCompletedSuccessfully)
            {
                await DeleteQuietlyAsync(rawName);
            }

            LogDuplicate(logger, s.ChannelInstance, seen.GetString("ReportId"));
            var duplicate = DuplicateOf(seen);
            if (alongside is not null)
            {
                await alongside(duplicate, ct);
            }

            return duplicate;
        }

        var evidence = new List<Evidence>(s.Media.Count + s.StoredEvidence.Count + s.Uploads.Count + 1);
        if (s.RawIsTranscript)
        {
            evidence.Add(new Evidence { Kind = "transcript", Blob = $"{HubStorage.RawContainer}/{rawName}", Sha256 = rawSha, ContentType = s.RawContentType, Size = s.RawBody.Length });
        }

        evidence.AddRange(s.StoredEvidence);
        for (var i = 0; i < s.Media.Count; i++)
        {
            evidence.Add(await StoreMediaAsync(s, id, datePath, i, ct));
        }

        // Uploaded files are in hand already: store them together (a form's five screenshots cost one round trip, not five).
        var uploads = s.Uploads.Select((u, i) => StoreUploadAsync($"{s.ChannelInstance}/{datePath}/{id}/upload-{i.ToString(CultureInfo.InvariantCulture)}", u, ct)).ToArray();
        evidence.AddRange(await Task.WhenAll(uploads));

        var (envelope, json) = await BuildSizedAsync(s, id, receivedAt, referenceCode, evidence,
            new RawReference { Blob = $"{HubStorage.RawContainer}/{rawName}", Sha256 = rawSha, ContentType = s.RawContentType, KeyId = privacy.Cipher.ActiveKeyId },
            datePath, ct);
        if (json.Length > MaxEnvelopeBytes)
        {
            // Lists (URLs, files, accounts) at the schemas' limits cannot get here; refuse rather than queue a
            // message the queue would reject, and take back the raw blob so nothing is left half-written.
            await storage.Raw.GetBlobClient(rawName).DeleteIfExistsAsync(cancellationToken: ct);
            throw new EnvelopeTooLargeException(json.Length);
        }

        await storage.Reports.SendMessageAsync(new BinaryData(json), visibilityTimeout: null, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: ct); // never expires: a report waits as long as the case store does

        var urgency = envelope.Signals.Urgency;
        var dedup = new TableEntity(partition, row)
        {
            ["ReportId"] = id,
            ["ReferenceCode"] = referenceCode,
            ["Urgency"] = urgency,
            ["QueuedAt"] = receivedAt,
        };
        var result = new IntakeResult(id, referenceCode, urgency, Duplicate: false) { ReceivedAt = receivedAt };
        await Task.WhenAll(AddDedupRowAsync(dedup, ct), alongside?.Invoke(result, ct) ?? Task.CompletedTask);

        LogAccepted(logger, s.ChannelInstance, id, urgency, evidence.Count);
        metrics.Acknowledged(s.Channel, "storage");
        return result;
    }

    /// <summary>
    /// The envelope and its UTF-8 JSON, at most <see cref="MaxEnvelopeBytes"/>: a pathological text is kept whole in an
    /// evidence blob with a prefix in the envelope. Longer JSON means even that did not fit (the caller refuses it).
    /// </summary>
    private async Task<(ReportEnvelope Envelope, byte[] Json)> BuildSizedAsync(
        IntakeSubmission s, string id, DateTimeOffset receivedAt, string referenceCode, List<Evidence> evidence, RawReference raw, string datePath, CancellationToken ct)
    {
        var hasSender = s.SenderId is { Length: > 0 };
        var envelope = EnvelopeBuilder.Build(s, new EnvelopeStamp(
            id,
            receivedAt,
            referenceCode,
            hasSender ? privacy.Pseudonymizer.For(s.SenderKind, s.SenderId!) : null,
            hasSender ? privacy.Cipher.Protect(s.SenderId!, PrivacyServices.ContactPurpose) : null,
            evidence,
            raw,
            Activity.Current?.Id));

        var json = JsonSerializer.SerializeToUtf8Bytes(envelope, HubJsonContext.Default.ReportEnvelope);
        if (json.Length > MaxEnvelopeBytes && s.Text is { Length: > 4000 })
        {
            // Only a pathological text gets here (SMS bodies are at most 1,600 characters): keep it whole in
            // an evidence blob and carry a prefix in the envelope, rather than fail or lose the report.
            var full = Encoding.UTF8.GetBytes(s.Text ?? string.Empty);
            var fullSha = EvidenceStore.Sha256Hex(full);
            var textName = $"{s.ChannelInstance}/{datePath}/{id}/text.txt";
            await evidenceStore.UploadEncryptedAsync(storage.Evidence, textName, full, fullSha, "text/plain; charset=utf-8", ct);
            envelope = envelope with
            {
                Incident = envelope.Incident with { Description = s.Text![..4000] + "…" },
                Evidence = [.. evidence, new Evidence { Kind = "text", Blob = $"{HubStorage.EvidenceContainer}/{textName}", Sha256 = fullSha, ContentType = "text/plain; charset=utf-8", Size = full.Length }],
            };
            json = JsonSerializer.SerializeToUtf8Bytes(envelope, HubJsonContext.Default.ReportEnvelope);
        }

        return (envelope, json);
    }

    private async Task AddDedupRowAsync(TableEntity dedup, CancellationToken ct)
    {
        try
        {
            await storage.Table(TableName).AddEntityAsync(dedup, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // A concurrent delivery of the same message won the race; both envelopes collapse into one case.
        }
    }

    private static IntakeResult DuplicateOf(TableEntity seen) =>
        new(seen.GetString("ReportId"), seen.GetString("ReferenceCode"), seen.GetString("Urgency") ?? Urgencies.Normal, Duplicate: true) { ReceivedAt = seen.GetDateTimeOffset("QueuedAt") };

    /// <summary>The schema of a queue message carrying several envelopes (docs/envelope.md#batches).</summary>
    public const string BatchSchema = "hub.report-batch/v1";

    /// <summary>
    /// Many reports of one channel instance that arrived in one request (a platform's batch), at a few storage
    /// operations for all of them instead of five each: the request stored once (one encrypted blob, each envelope
    /// pointing at its item with the item's own SHA-256), the envelopes packed into <see cref="BatchSchema"/> messages
    /// of up to <see cref="MaxEnvelopeBytes"/>, sent together, then every dedup row in one entity group transaction
    /// with <paramref name="alongside"/>'s rows (a platform's status rows, given each queued item's index and result) right after it.
    /// <para>
    /// Idempotency is optimistic: the dedup rows are not read first (a read per item is the cost this method exists
    /// to remove, and a filter of OR'ed row keys is a partition scan on Azure). The transaction fails when any row
    /// exists; then the rows are added one by one and each one that exists is read: that item is a duplicate,
    /// answered with the id it was given first, and the envelope just queued for it collapses into the same case
    /// in the case store (its unique (instance, provider message id)).
    /// </para>
    /// <para>
    /// An item is accepted only once its envelope, its dedup row and its alongside row are written. When storage fails
    /// part-way, the items whose writes did not all complete get a <see cref="StorageUnavailableException"/> outcome
    /// (the caller answers them 503 with Retry-After); a retry of the whole batch is idempotent. When the blob or every
    /// message fails, the whole call throws <see cref="StorageUnavailableException"/>.
    /// </para>
    /// </summary>
    /// <param name="items">Submissions with their <see cref="IntakeSubmission.ReportId"/> and time fixed; one channel instance, distinct provider message ids, no media to fetch.</param>
    /// <param name="positions">Each item's position in the request (<see cref="RawReference.Item"/>).</param>
    /// <param name="batchRaw">The request body exactly as received; each item's <see cref="IntakeSubmission.RawBody"/> is its own bytes within it.</param>
    public async Task<IntakeItemOutcome[]> AcceptBatchAsync(
        IReadOnlyList<IntakeSubmission> items,
        IReadOnlyList<int> positions,
        ReadOnlyMemory<byte> batchRaw,
        Func<IReadOnlyList<(int Item, IntakeResult Result)>, CancellationToken, Task>? alongside,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(positions);
        if (items.Count != positions.Count || items.Any(i => i.ReportId is null || i.ReceivedAt is null || i.Media.Count > 0 || i.Uploads.Count > 0 || i.RawIsTranscript || i.ChannelInstance != items[0].ChannelInstance))
        {
            throw new ArgumentException("A batch's items share one channel instance, have their ids fixed, and have no media or uploads to store.", nameof(items));
        }

        using var span = Telemetry.HubTelemetry.Source.StartActivity("intake batch");
        span?.SetTag("hub.report_channel", items.Count > 0 ? items[0].Channel : null);
        span?.SetTag("hub.channel_instance", items.Count > 0 ? items[0].ChannelInstance : null);
        span?.SetTag("hub.items", items.Count);
        if (items.Count == 0)
        {
            return [];
        }

        try
        {
            return await storage.WithResourcesAsync(() => AcceptBatchCoreAsync(items, positions, batchRaw, alongside, ct), ct);
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) && !ct.IsCancellationRequested)
        {
            throw new StorageUnavailableException("Storage is unreachable; no report of the batch was acknowledged.", ex);
        }
    }

    private async Task<IntakeItemOutcome[]> AcceptBatchCoreAsync(
        IReadOnlyList<IntakeSubmission> items, IReadOnlyList<int> positions, ReadOnlyMemory<byte> batchRaw, Func<IReadOnlyList<(int Item, IntakeResult Result)>, CancellationToken, Task>? alongside, CancellationToken ct)
    {
        var n = items.Count;
        var outcomes = new IntakeItemOutcome[n];
        var first = items[0];
        var partition = TableKeys.Escape(first.ChannelInstance);
        var rows = new string[n];
        for (var i = 0; i < n; i++)
        {
            var suffix = items[i].Revision is > 1 ? $"#r{items[i].Revision!.Value.ToString(CultureInfo.InvariantCulture)}" : string.Empty;
            rows[i] = TableKeys.Escape(items[i].ProviderMessageId + suffix);
        }

        if (rows.Distinct(StringComparer.Ordinal).Count() != n)
        {
            throw new ArgumentException("A batch's items have distinct provider message ids.", nameof(items));
        }

        // 1. The request, once. The per-attempt nonce keeps a retry from overwriting the first attempt's evidence.
        var datePath = first.ReceivedAt!.Value.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);
        var rawName = $"{first.ChannelInstance}/{datePath}/batch-{first.ReportId}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.bin";
        await evidenceStore.UploadEncryptedAsync(storage.Raw, rawName, batchRaw, EvidenceStore.Sha256Hex(batchRaw.Span), first.RawContentType, ct);

        // 2. The envelopes, packed into as few messages as fit, sent together.
        var built = new List<(int Index, byte[] Json, string Urgency)>(n);
        for (var i = 0; i < n; i++)
        {
            var s = items[i];
            var raw = new RawReference { Blob = $"{HubStorage.RawContainer}/{rawName}", Sha256 = EvidenceStore.Sha256Hex(s.RawBody.Span), Item = positions[i], ContentType = s.RawContentType, KeyId = privacy.Cipher.ActiveKeyId };
            var (envelope, json) = await BuildSizedAsync(s, s.ReportId!, s.ReceivedAt!.Value, ReferenceCodeFor(s.ChannelInstance, s.ProviderMessageId), [.. s.StoredEvidence], raw, datePath, ct);
            if (json.Length > MaxEnvelopeBytes)
            {
                outcomes[i] = new IntakeItemOutcome(null, new EnvelopeTooLargeException(json.Length));
                continue;
            }

            built.Add((i, json, envelope.Signals.Urgency));
        }

        var messages = Pack(built);
        var sends = messages.Select(m => storage.Reports.SendMessageAsync(m.Body, visibilityTimeout: null, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: ct)).ToArray();
        try
        {
            await Task.WhenAll(sends);
        }
        catch (Exception) when (sends.Any(t => t.IsCompletedSuccessfully))
        {
            // Part of the batch is queued: the items of the messages that failed are answered 503 below.
        }

        var queued = new List<int>(built.Count);
        for (var m = 0; m < messages.Count; m++)
        {
            if (sends[m].IsCompletedSuccessfully)
            {
                queued.AddRange(messages[m].Items);
                continue;
            }

            var failure = sends[m].Exception!.InnerException!;
            if (!HubStorage.IsUnavailable(failure))
            {
                throw failure;
            }

            foreach (var i in messages[m].Items)
            {
                outcomes[i] = new IntakeItemOutcome(null, new StorageUnavailableException("Storage failed part-way through the batch; this report was not queued.", failure));
            }
        }

        if (messages.Count == 0)
        {
            await DeleteQuietlyAsync(rawName); // every item too large: nothing refers to the blob
            return outcomes;
        }

        // 3. The dedup rows (only for what is queued), one transaction; the existing ones found on its failure.
        var urgencyOf = built.ToDictionary(b => b.Index, b => b.Urgency);
        var results = new Dictionary<int, IntakeResult>(queued.Count);
        foreach (var i in queued)
        {
            results[i] = new IntakeResult(items[i].ReportId!, ReferenceCodeFor(items[i].ChannelInstance, items[i].ProviderMessageId), urgencyOf[i], Duplicate: false) { ReceivedAt = items[i].ReceivedAt };
        }

        try
        {
            var seen = await AddDedupRowsAsync(partition, queued.Select(i => (i, rows[i], results[i])).ToList(), ct);
            foreach (var (i, existing) in seen)
            {
                results[i] = DuplicateOf(existing);
            }

            if (alongside is not null && results.Count > 0)
            {
                await alongside([.. queued.Select(i => (i, results[i]))], ct);
            }
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) && !ct.IsCancellationRequested)
        {
            foreach (var i in queued)
            {
                outcomes[i] = new IntakeItemOutcome(null, new StorageUnavailableException("Storage failed part-way through the batch; this report's rows were not written.", ex));
            }

            queued.Clear();
        }

        var accepted = 0;
        foreach (var i in queued)
        {
            outcomes[i] = new IntakeItemOutcome(results[i], null);
            if (!results[i].Duplicate)
            {
                accepted++;
                metrics.Acknowledged(first.Channel, "storage");
            }
        }

        LogBatchAccepted(logger, first.ChannelInstance, accepted, queued.Count - accepted, n - queued.Count, messages.Count, rawName);
        return outcomes;
    }

    /// <summary>
    /// Envelopes into <see cref="BatchSchema"/> messages of at most <see cref="MaxEnvelopeBytes"/>, in order; a message
    /// that would hold one envelope is that envelope alone (a plain <c>hub.report/v1</c> message).
    /// </summary>
    internal static List<(int[] Items, BinaryData Body)> Pack(IReadOnlyList<(int Index, byte[] Json, string Urgency)> envelopes)
    {
        // {"schema":"hub.report-batch/v1","reports":[ ... ]}
        var overhead = Encoding.UTF8.GetByteCount($"{{\"schema\":\"{BatchSchema}\",\"reports\":[]}}");
        var messages = new List<(int[] Items, BinaryData Body)>();
        var start = 0;
        while (start < envelopes.Count)
        {
            var size = overhead + envelopes[start].Json.Length;
            var end = start + 1;
            while (end < envelopes.Count && size + 1 + envelopes[end].Json.Length <= MaxEnvelopeBytes)
            {
                size += 1 + envelopes[end].Json.Length;
                end++;
            }

            var items = new int[end - start];
            for (var k = start; k < end; k++)
            {
                items[k - start] = envelopes[k].Index;
            }

            if (end - start == 1)
            {
                messages.Add((items, new BinaryData(envelopes[start].Json)));
            }
            else
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>(size);
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    writer.WriteString("schema"u8, BatchSchema);
                    writer.WriteStartArray("reports"u8);
                    for (var k = start; k < end; k++)
                    {
                        writer.WriteRawValue(envelopes[k].Json, skipInputValidation: true);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                messages.Add((items, new BinaryData(buffer.WrittenMemory)));
            }

            start = end;
        }

        return messages;
    }

    /// <summary>
    /// Adds the rows in entity group transactions (one partition, at most 100 each). When a transaction fails because
    /// a row exists (a retried or concurrent delivery), its rows are added one by one and each existing one is read.
    /// </summary>
    /// <returns>The items whose row existed, with that row.</returns>
    private async Task<List<(int Index, TableEntity Existing)>> AddDedupRowsAsync(string partition, List<(int Index, string Row, IntakeResult Result)> rows, CancellationToken ct)
    {
        var table = storage.Table(TableName);
        var seen = new List<(int, TableEntity)>();
        foreach (var chunk in rows.Chunk(100))
        {
            var entities = chunk.Select(r => new TableEntity(partition, r.Row)
            {
                ["ReportId"] = r.Result.ReportId,
                ["ReferenceCode"] = r.Result.ReferenceCode,
                ["Urgency"] = r.Result.Urgency,
                ["QueuedAt"] = r.Result.ReceivedAt,
            }).ToArray();
            try
            {
                await table.SubmitTransactionAsync(entities.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409)
            {
                var existing = await Task.WhenAll(chunk.Select(async (r, k) =>
                {
                    try
                    {
                        await table.AddEntityAsync(entities[k], ct);
                        return null;
                    }
                    catch (RequestFailedException add) when (add.Status == 409)
                    {
                        return (await table.GetEntityAsync<TableEntity>(partition, r.Row, cancellationToken: ct)).Value;
                    }
                }));
                seen.AddRange(existing.Select((e, k) => (chunk[k].Index, e)).Where(x => x.e is not null).Select(x => (x.Index, x.e!)));
            }
        }

        return seen;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch on {ChannelInstance}: {Accepted} reports accepted, {Duplicates} duplicates, {NotAccepted} not accepted; {Messages} queue messages, request stored as {RawBlob}")]
    private static partial void LogBatchAccepted(ILogger logger, string channelInstance, int accepted, int duplicates, int notAccepted, int messages, string rawBlob);

    private async Task DeleteQuietlyAsync(string rawName)
    {
        try
        {
            await storage.Raw.GetBlobClient(rawName).DeleteIfExistsAsync();
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) || ex is RequestFailedException)
        {
            // An orphaned, encrypted copy of a duplicate's raw body; nothing references it.
        }
    }

    private async Task<Evidence> StoreUploadAsync(string name, UploadedFile upload, CancellationToken ct)
    {
        var sha = EvidenceStore.Sha256Hex(upload.Bytes);
        await evidenceStore.UploadEncryptedAsync(storage.Evidence, name, upload.Bytes, sha, upload.ContentType, ct);
        return Hashing.EvidenceDigests.With(
            new Evidence { Kind = EvidenceStore.KindOf(upload.ContentType), Blob = $"{HubStorage.EvidenceContainer}/{name}", Sha256 = sha, ContentType = upload.ContentType, Size = upload.Bytes.Length },
            upload.Bytes);
    }

    private Task<Evidence> StoreMediaAsync(IntakeSubmission s, string id, string datePath, int index, CancellationToken ct) =>
        s.MediaPolicy is null
            ? Task.FromResult(new Evidence { Kind = EvidenceStore.KindOf(s.Media[index].ContentType), SourceUrl = s.Media[index].Url, ContentType = s.Media[index].ContentType, Error = "no media policy for this channel" })
            : evidenceStore.FetchAndStoreAsync(s.ChannelInstance, $"{s.ChannelInstance}/{datePath}/{id}/{index}", index, s.Media[index], s.MediaPolicy, ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted report {ReportId} on {ChannelInstance} (urgency {Urgency}, {EvidenceCount} evidence items)")]
    private static partial void LogAccepted(ILogger logger, string channelInstance, string reportId, string urgency, int evidenceCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unreachable: report {ReportId} on {ChannelInstance} (urgency {Urgency}) written to the local spool; the relay delivers it when storage returns")]
    private static partial void LogSpooled(ILogger logger, string channelInstance, string reportId, string urgency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Duplicate delivery on {ChannelInstance}: already accepted as {ReportId}")]
    private static partial void LogDuplicate(ILogger logger, string channelInstance, string? reportId);
}

/// <summary>Payloads of the local spool's records (source-generated, like the queue payloads).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IntakeSubmission))]
internal sealed partial class SpoolPayloadJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
