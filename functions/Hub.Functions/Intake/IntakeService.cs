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
using Hub.Functions.Privacy;
using Hub.Functions.Storage;

namespace Hub.Functions.Intake;

/// <summary>A media item a channel names; the intake fetches it under the channel's policy.</summary>
public sealed record MediaReference(string Url, string? ContentType);

/// <summary>Everything a channel hands to the shared write path after it verified and parsed a request.</summary>
public sealed record IntakeSubmission
{
    public required string Channel { get; init; }

    public required string ChannelInstance { get; init; }

    public required string Provider { get; init; }

    public string? ProviderAccount { get; init; }

    public required string ProviderMessageId { get; init; }

    public string? ConversationId { get; init; }

    public string? Carrier { get; init; }

    /// <summary>The sender's raw id (E.164 number, PSID…): pseudonymised and encrypted here, never stored as is.</summary>
    public string? SenderId { get; init; }

    public string SenderKind { get; init; } = Pseudonymizer.PhoneKind;

    /// <summary>What the reporter wrote, already NFC.</summary>
    public string? Text { get; init; }

    public required ReadOnlyMemory<byte> RawBody { get; init; }

    public string? RawContentType { get; init; }

    public IReadOnlyList<MediaReference> Media { get; init; } = [];

    public MediaPolicy? MediaPolicy { get; init; }

    /// <summary>A province the channel instance stands for (a provincial number or OA).</summary>
    public string? ProvinceCode { get; init; }

    public DateTimeOffset? OccurredAt { get; init; }
}

public sealed record IntakeResult(string ReportId, string ReferenceCode, string Urgency, bool Duplicate);

/// <summary>
/// The one write path every channel shares (DESIGN "The flow"): raw body and media to blobs with SHA-256,
/// the envelope to the <c>reports</c> queue, then the dedup row. The caller answers 2xx only when this
/// returns; a storage failure surfaces as <see cref="StorageUnavailableException"/> and nothing is acknowledged.
/// The dedup row is written after the queue write on purpose: a crash between them can at worst enqueue a
/// second copy, which the case processor collapses; the reverse order could acknowledge a report never queued.
/// </summary>
public sealed partial class IntakeService(
    HubStorage storage,
    PrivacyServices privacy,
    MediaFetcher media,
    TimeProvider time,
    ILogger<IntakeService> logger)
{
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

    private async Task<IntakeResult> AcceptCoreAsync(IntakeSubmission s, CancellationToken ct)
    {
        var partition = TableKeys.Escape(s.ChannelInstance);
        var row = TableKeys.Escape(s.ProviderMessageId);

        var existing = await storage.Intake.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: ct);
        if (existing.HasValue && existing.Value is { } seen)
        {
            LogDuplicate(logger, s.ChannelInstance, seen.GetString("ReportId"));
            return new IntakeResult(seen.GetString("ReportId"), seen.GetString("ReferenceCode"), seen.GetString("Urgency") ?? Urgencies.Normal, Duplicate: true);
        }

        var receivedAt = time.GetUtcNow();
        var id = ReportId.New(time);
        var referenceCode = privacy.Pseudonymizer.ReferenceCodeFor(ReportEnvelope.DedupKeyFor(s.ChannelInstance, s.ProviderMessageId));
        var datePath = receivedAt.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);

        var rawName = $"{s.ChannelInstance}/{datePath}/{id}.bin";
        var rawSha = Sha256Hex(s.RawBody.Span);
        await UploadEncryptedAsync(storage.Raw, rawName, s.RawBody, rawSha, s.RawContentType, ct);

        var evidence = new List<Evidence>(s.Media.Count);
        for (var i = 0; i < s.Media.Count; i++)
        {
            evidence.Add(await StoreMediaAsync(s, id, datePath, i, ct));
        }

        var triage = Triage.Assess(s.Text);
        var province = Provinces.ByCodeOrNull(s.ProvinceCode) is { } p
            ? new Location { ProvinceCode = p.Code, Basis = "channel-instance" }
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
                Carrier = s.Carrier,
            },
            Reporter = new Reporter
            {
                Pseudonym = s.SenderId is { Length: > 0 } ? privacy.Pseudonymizer.For(s.SenderKind, s.SenderId) : null,
                ContactRef = s.SenderId is { Length: > 0 } ? privacy.Cipher.Protect(s.SenderId, PrivacyServices.ContactPurpose) : null,
                Anonymous = s.SenderId is not { Length: > 0 },
            },
            Incident = new Incident
            {
                Categories = triage.Categories,
                Description = s.Text,
                Urls = ExtractUrls(s.Text),
                OccurredAt = s.OccurredAt,
            },
            Evidence = evidence,
            Location = province,
            Signals = new Signals { Urgency = triage.Urgency, Reasons = triage.Reasons },
            Raw = new RawReference { Blob = $"{HubStorage.RawContainer}/{rawName}", Sha256 = rawSha, ContentType = s.RawContentType, KeyId = privacy.Cipher.ActiveKeyId },
            Trace = Activity.Current?.Id is { } traceId ? new TraceContext { Traceparent = traceId } : null,
        };

        var json = JsonSerializer.Serialize(envelope, HubJsonContext.Default.ReportEnvelope);
        if (Encoding.UTF8.GetByteCount(json) > MaxEnvelopeBytes)
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

        await storage.Reports.SendMessageAsync(json, cancellationToken: ct);

        var dedup = new TableEntity(partition, row)
        {
            ["ReportId"] = id,
            ["ReferenceCode"] = referenceCode,
            ["Urgency"] = triage.Urgency,
            ["QueuedAt"] = receivedAt,
        };
        try
        {
            await storage.Intake.AddEntityAsync(dedup, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // A concurrent delivery of the same message won the race; both envelopes collapse into one case.
        }

        LogAccepted(logger, s.ChannelInstance, id, triage.Urgency, evidence.Count);
        return new IntakeResult(id, referenceCode, triage.Urgency, Duplicate: false);
    }

    private async Task<Evidence> StoreMediaAsync(IntakeSubmission s, string id, string datePath, int index, CancellationToken ct)
    {
        var item = s.Media[index];
        var kind = KindOf(item.ContentType);
        if (s.MediaPolicy is null)
        {
            return new Evidence { Kind = kind, SourceUrl = item.Url, ContentType = item.ContentType, Error = "no media policy for this channel" };
        }

        try
        {
            var fetched = await media.FetchAsync(item.Url, s.MediaPolicy, ct);
            var name = $"{s.ChannelInstance}/{datePath}/{id}/{index}";
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
            LogMediaFailed(logger, s.ChannelInstance, index, ex.Message);
            return new Evidence { Kind = kind, SourceUrl = item.Url, ContentType = item.ContentType, Error = ex.Message };
        }
    }

    private async Task UploadEncryptedAsync(Azure.Storage.Blobs.BlobContainerClient container, string name, ReadOnlyMemory<byte> plaintext, string sha256, string? contentType, CancellationToken ct)
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

    internal static IReadOnlyList<string> ExtractUrls(string? text) =>
        string.IsNullOrEmpty(text)
            ? []
            : UrlPattern().Matches(text).Select(m => m.Value.TrimEnd('.', ',', ')', ';', '!', '?')).Distinct(StringComparer.Ordinal).Take(20).ToList();

    private static string KindOf(string? contentType) => contentType switch
    {
        null => "file",
        _ when contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) => "image",
        _ when contentType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) => "audio",
        _ when contentType.StartsWith("video/", StringComparison.OrdinalIgnoreCase) => "video",
        _ => "file",
    };

    [GeneratedRegex(@"\bhttps?://[^\s<>""']{3,2000}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex UrlPattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted report {ReportId} on {ChannelInstance} (urgency {Urgency}, {EvidenceCount} evidence items)")]
    private static partial void LogAccepted(ILogger logger, string channelInstance, string reportId, string urgency, int evidenceCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Duplicate delivery on {ChannelInstance}: already accepted as {ReportId}")]
    private static partial void LogDuplicate(ILogger logger, string channelInstance, string? reportId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Media {Index} on {ChannelInstance} not stored: {Reason}")]
    private static partial void LogMediaFailed(ILogger logger, string channelInstance, int index, string reason);
}
