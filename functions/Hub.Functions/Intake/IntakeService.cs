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

public sealed record IntakeResult(string ReportId, string ReferenceCode, string Urgency, bool Duplicate);

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

    public async Task<IntakeResult> AcceptAsync(IntakeSubmission s, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(s);
        using var span = Telemetry.HubTelemetry.Source.StartActivity("intake");
        span?.SetTag("hub.report_channel", s.Channel);
        span?.SetTag("hub.channel_instance", s.ChannelInstance);
        try
        {
            var result = await storage.WithResourcesAsync(() => AcceptCoreAsync(s, ct), ct);
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

    private async Task<IntakeResult> AcceptCoreAsync(IntakeSubmission s, CancellationToken ct)
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
            return new IntakeResult(seen.GetString("ReportId"), seen.GetString("ReferenceCode"), seen.GetString("Urgency") ?? Urgencies.Normal, Duplicate: true);
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

        var hasSender = s.SenderId is { Length: > 0 };
        var envelope = EnvelopeBuilder.Build(s, new EnvelopeStamp(
            id,
            receivedAt,
            referenceCode,
            hasSender ? privacy.Pseudonymizer.For(s.SenderKind, s.SenderId!) : null,
            hasSender ? privacy.Cipher.Protect(s.SenderId!, PrivacyServices.ContactPurpose) : null,
            evidence,
            new RawReference { Blob = $"{HubStorage.RawContainer}/{rawName}", Sha256 = rawSha, ContentType = s.RawContentType, KeyId = privacy.Cipher.ActiveKeyId },
            Activity.Current?.Id));

        var json = JsonSerializer.Serialize(envelope, HubJsonContext.Default.ReportEnvelope);
        if (Encoding.UTF8.GetByteCount(json) > MaxEnvelopeBytes && s.Text is { Length: > 4000 })
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
            json = JsonSerializer.Serialize(envelope, HubJsonContext.Default.ReportEnvelope);
        }

        if (Encoding.UTF8.GetByteCount(json) is var size && size > MaxEnvelopeBytes)
        {
            // Lists (URLs, files, accounts) at the schemas' limits cannot get here; refuse rather than queue a
            // message the queue would reject, and take back the raw blob so nothing is left half-written.
            await storage.Raw.GetBlobClient(rawName).DeleteIfExistsAsync(cancellationToken: ct);
            throw new EnvelopeTooLargeException(size);
        }

        await storage.Reports.SendMessageAsync(json, visibilityTimeout: null, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: ct); // never expires: a report waits as long as the case store does

        var urgency = envelope.Signals.Urgency;
        var dedup = new TableEntity(partition, row)
        {
            ["ReportId"] = id,
            ["ReferenceCode"] = referenceCode,
            ["Urgency"] = urgency,
            ["QueuedAt"] = receivedAt,
        };
        try
        {
            await storage.Table(TableName).AddEntityAsync(dedup, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // A concurrent delivery of the same message won the race; both envelopes collapse into one case.
        }

        LogAccepted(logger, s.ChannelInstance, id, urgency, evidence.Count);
        metrics.Acknowledged(s.Channel, "storage");
        return new IntakeResult(id, referenceCode, urgency, Duplicate: false);
    }

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
