using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using Hub.Core.Envelope;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;

namespace Hub.Functions.Media;

/// <summary>
/// Evidence in storage, for every area that keeps some (the intake's media, chat attachments while a conversation
/// runs, voice recordings, the coming hash bank): fetched only under a channel's <see cref="MediaPolicy"/>, sealed with
/// AES-GCM bound to its container and name, and described by its SHA-256 (and MD5 for hash banks).
/// </summary>
public sealed partial class EvidenceStore(HubStorage storage, PrivacyServices privacy, MediaFetcher media, ILogger<EvidenceStore> logger)
{
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

    /// <summary>Fetches one item under <paramref name="policy"/> and stores it encrypted as <c>evidence/{name}</c> with its digests (<see cref="Hashing.EvidenceDigests"/>); a failure becomes an entry carrying the error.</summary>
    public async Task<Evidence> FetchAndStoreAsync(string instance, string name, int index, MediaReference item, MediaPolicy policy, CancellationToken ct)
    {
        var kind = KindOf(item.ContentType);
        try
        {
            var fetched = await media.FetchAsync(item.Url, policy, ct);
            var contentType = fetched.ContentType ?? item.ContentType;
            var sha = Sha256Hex(fetched.Content);
            await UploadEncryptedAsync(storage.Evidence, name, fetched.Content, sha, contentType, ct);
            return Hashing.EvidenceDigests.With(
                new Evidence
                {
                    Kind = KindOf(contentType),
                    Blob = $"{HubStorage.EvidenceContainer}/{name}",
                    Sha256 = sha,
                    ContentType = contentType,
                    Size = fetched.Content.Length,
                    SourceUrl = item.Url,
                },
                fetched.Content);
        }
        catch (Exception ex) when (ex is MediaFetchException or HttpRequestException or Polly.Timeout.TimeoutRejectedException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // The report itself is not lost for want of its attachment: the evidence entry says what failed.
            LogMediaFailed(logger, instance, index, ex.Message);
            return new Evidence { Kind = kind, SourceUrl = item.Url, ContentType = item.ContentType, Error = ex.Message };
        }
    }

    /// <summary>Uploads AES-GCM ciphertext bound to container/name, with the plaintext's SHA-256 in metadata.</summary>
    public async Task UploadEncryptedAsync(Azure.Storage.Blobs.BlobContainerClient container, string name, ReadOnlyMemory<byte> plaintext, string sha256, string? contentType, CancellationToken ct)
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

    public static string Sha256Hex(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    public static string KindOf(string? contentType) => contentType switch
    {
        null => "file",
        _ when contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) => "image",
        _ when contentType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) => "audio",
        _ when contentType.StartsWith("video/", StringComparison.OrdinalIgnoreCase) => "video",
        _ => "file",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Media {Index} on {ChannelInstance} not stored: {Reason}")]
    private static partial void LogMediaFailed(ILogger logger, string channelInstance, int index, string reason);
}
