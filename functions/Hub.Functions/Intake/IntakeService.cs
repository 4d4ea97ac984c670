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
    MediaFetcher media,
    LocalSpool spool,
    TimeProvider time,
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
        try
        {
            return await storage.WithResourcesAsync(() => AcceptCoreAsync(s, ct), ct);
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

            var urgency = UrgencyOf(s, Triage.Assess(s.Text));
            LogSpooled(logger, s.ChannelInstance, s.ReportId!, urgency);
            return new IntakeResult(s.ReportId!, ReferenceCodeFor(s.ChannelInstance, s.ProviderMessageId), urgency, Duplicate: false);
        }
    }

    public string ReferenceCodeFor(string channelInstance, string providerMessageId) =>
        privacy.Pseudonymizer.ReferenceCodeFor(ReportEnvelope.DedupKeyFor(channelInstance, providerMessageId));

    private static string UrgencyOf(IntakeSubmission s, TriageResult triage) => s.Urgency is null ? triage.Urgency : Triage.Max(s.Urgency, triage.Urgency);

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
        var rawSha = Sha256Hex(s.RawBody.Span);
        var lookup = storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: ct);
        var upload = UploadEncryptedAsync(storage.Raw, rawName, s.RawBody, rawSha, s.RawContentType, ct);
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

        var evidence = new List<Evidence>(s.Media.Count + s.StoredEvidence.Count + 1);
        if (s.RawIsTranscript)
        {
            evidence.Add(new Evidence { Kind = "transcript", Blob = $"{HubStorage.RawContainer}/{rawName}", Sha256 = rawSha, ContentType = s.RawContentType, Size = s.RawBody.Length });
        }

        evidence.AddRange(s.StoredEvidence);
        for (var i = 0; i < s.Media.Count; i++)
        {
            evidence.Add(await StoreMediaAsync(s, id, datePath, i, ct));
        }

        var triage = Triage.Assess(s.Text);
        var categories = s.Categories.Concat(triage.Categories).Distinct(StringComparer.Ordinal).ToList();
        var urgency = UrgencyOf(s, triage);
        var reasons = s.Reasons.Concat(triage.Reasons).Distinct(StringComparer.Ordinal).ToList();
        var province = Provinces.ByCodeOrNull(s.ProvinceCode) is { } p
            ? new Location { ProvinceCode = p.Code, Basis = s.ProvinceBasis }
            : Provinces.Find(s.Text) is { } found ? new Location { ProvinceCode = found.Code, Basis = "text" } : null;

        var envelope = new ReportEnvelope
        {
            Id = id,
            ReceivedAt = receivedAt,
            Channel = s.Channel,
            ChannelInstance = s.ChannelInstance,
            ReferenceCode = referenceCode,
            Source = new ReportSource
            {
                Provider = s.Provider,
                ProviderAccount = s.ProviderAccount,
                ProviderMessageId = s.ProviderMessageId,
                ConversationId = s.ConversationId,
                FollowUpOf = s.FollowUpOf,
                Carrier = s.Carrier,
            },
            Reporter = new Reporter
            {
                Pseudonym = s.SenderId is { Length: > 0 } ? privacy.Pseudonymizer.For(s.SenderKind, s.SenderId) : null,
                ContactRef = s.SenderId is { Length: > 0 } ? privacy.Cipher.Protect(s.SenderId, PrivacyServices.ContactPurpose) : null,
                Anonymous = s.SenderId is not { Length: > 0 },
                Role = s.ReporterRole ?? ReporterRoles.Unknown,
                AgeBand = s.AgeBand ?? "unknown",
            },
            Incident = new Incident
            {
                Categories = categories,
                Description = s.Text,
                Urls = s.Urls.Concat(Urls.Extract(s.Text)).Distinct(StringComparer.Ordinal).Take(Urls.MaxPerReport).ToList(),
                ReportedAccounts = s.ReportedAccounts,
                OccurredAt = s.OccurredAt,
                Victim = s.Victim,
                VictimAgeBand = s.VictimAgeBand,
                Platform = s.Platform,
            },
            Evidence = evidence,
            Location = province,
            Signals = new Signals { Urgency = urgency, Reasons = reasons, Handoff = s.Handoff },
            Raw = new RawReference { Blob = $"{HubStorage.RawContainer}/{rawName}", Sha256 = rawSha, ContentType = s.RawContentType, KeyId = privacy.Cipher.ActiveKeyId },
            Trace = Activity.Current?.Id is { } traceId ? new TraceContext { Traceparent = traceId } : null,
            Revision = s.Revision,
        };

        var json = JsonSerializer.Serialize(envelope, HubJsonContext.Default.ReportEnvelope);
        if (Encoding.UTF8.GetByteCount(json) > MaxEnvelopeBytes && s.Text is { Length: > 4000 })
        {
            // Only a pathological text gets here (SMS bodies are at most 1,600 characters): keep it whole in
            // an evidence blob and carry a prefix in the envelope, rather than fail or lose the report.
            var full = Encoding.UTF8.GetBytes(s.Text ?? string.Empty);
            var fullSha = Sha256Hex(full);
            var textName = $"{s.ChannelInstance}/{datePath}/{id}/text.txt";
            await UploadEncryptedAsync(storage.Evidence, textName, full, fullSha, "text/plain; charset=utf-8", ct);
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

        await storage.Reports.SendMessageAsync(json, cancellationToken: ct);

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

    /// <summary>
    /// Fetches one attachment under the channel's policy and stores it encrypted as <c>evidence/{name}</c>; a
    /// failed fetch becomes an evidence entry carrying the error. Storage outages surface as
    /// <see cref="StorageUnavailableException"/>. Used by chat channels while a conversation is still running.
    /// </summary>
    public async Task<Evidence> StoreAttachmentAsync(string instance, string name, MediaReference item, MediaPolicy policy, CancellationToken ct)
    {
        try
        {
            return await storage.WithResourcesAsync(() => FetchAndStoreAsync(instance, name, 0, item, policy, ct), ct);
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) && !ct.IsCancellationRequested)
        {
            throw new StorageUnavailableException("Storage is unreachable; the attachment was not stored.", ex);
        }
    }

    private Task<Evidence> StoreMediaAsync(IntakeSubmission s, string id, string datePath, int index, CancellationToken ct) =>
        s.MediaPolicy is null
            ? Task.FromResult(new Evidence { Kind = KindOf(s.Media[index].ContentType), SourceUrl = s.Media[index].Url, ContentType = s.Media[index].ContentType, Error = "no media policy for this channel" })
            : FetchAndStoreAsync(s.ChannelInstance, $"{s.ChannelInstance}/{datePath}/{id}/{index}", index, s.Media[index], s.MediaPolicy, ct);

    private async Task<Evidence> FetchAndStoreAsync(string instance, string name, int index, MediaReference item, MediaPolicy policy, CancellationToken ct)
    {
        var kind = KindOf(item.ContentType);
        try
        {
            var fetched = await media.FetchAsync(item.Url, policy, ct);
            var contentType = fetched.ContentType ?? item.ContentType;
            var sha = Sha256Hex(fetched.Content);
            await UploadEncryptedAsync(storage.Evidence, name, fetched.Content, sha, contentType, ct);
            return new Evidence
            {
                Kind = KindOf(contentType),
                Blob = $"{HubStorage.EvidenceContainer}/{name}",
                Sha256 = sha,
#pragma warning disable CA5351 // MD5 is recorded for interoperability with NCMEC/hash banks, never for security.
                Md5 = Convert.ToHexStringLower(MD5.HashData(fetched.Content)),
#pragma warning restore CA5351
                ContentType = contentType,
                Size = fetched.Content.Length,
                SourceUrl = item.Url,
            };
        }
        catch (Exception ex) when (ex is MediaFetchException or HttpRequestException or Polly.Timeout.TimeoutRejectedException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // The report itself is not lost for want of its attachment: the evidence entry says what failed.
            LogMediaFailed(logger, instance, index, ex.Message);
            return new Evidence { Kind = kind, SourceUrl = item.Url, ContentType = item.ContentType, Error = ex.Message };
        }
    }

    /// <summary>Uploads AES-GCM ciphertext bound to container/name, with the plaintext's SHA-256 in metadata.</summary>
    internal async Task UploadEncryptedAsync(Azure.Storage.Blobs.BlobContainerClient container, string name, ReadOnlyMemory<byte> plaintext, string sha256, string? contentType, CancellationToken ct)
    {
        // The purpose (container/name) is bound into the ciphertext: a blob cannot be swapped for another.
        var sealedBytes = privacy.Cipher.EncryptBlob(plaintext.Span, $"{container.Name}/{name}");
        await container.GetBlobClient(name).UploadAsync(
            new BinaryData(sealedBytes),
            new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
                Metadata = new Dictionary<string, string>
                {
                    ["hubEncryption"] = "aes-256-gcm",
                    ["hubKeyId"] = privacy.Cipher.ActiveKeyId,
                    ["hubContentType"] = contentType ?? "application/octet-stream",
                    ["hubSha256"] = sha256,
                },
            },
            ct);
    }

    internal static string Sha256Hex(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    internal static string KindOf(string? contentType) => contentType switch
    {
        null => "file",
        _ when contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) => "image",
        _ when contentType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) => "audio",
        _ when contentType.StartsWith("video/", StringComparison.OrdinalIgnoreCase) => "video",
        _ => "file",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted report {ReportId} on {ChannelInstance} (urgency {Urgency}, {EvidenceCount} evidence items)")]
    private static partial void LogAccepted(ILogger logger, string channelInstance, string reportId, string urgency, int evidenceCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unreachable: report {ReportId} on {ChannelInstance} (urgency {Urgency}) written to the local spool; the relay delivers it when storage returns")]
    private static partial void LogSpooled(ILogger logger, string channelInstance, string reportId, string urgency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Duplicate delivery on {ChannelInstance}: already accepted as {ReportId}")]
    private static partial void LogDuplicate(ILogger logger, string channelInstance, string? reportId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Media {Index} on {ChannelInstance} not stored: {Reason}")]
    private static partial void LogMediaFailed(ILogger logger, string channelInstance, int index, string reason);
}

/// <summary>Payloads of the local spool's records (source-generated, like the queue payloads).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IntakeSubmission))]
internal sealed partial class SpoolPayloadJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
