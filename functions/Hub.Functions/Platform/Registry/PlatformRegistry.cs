using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Platform;

/// <summary>A platform as the API sees it, wherever it was registered.</summary>
public sealed record RegisteredPlatform(string Id, PlatformOptions Options, string Source);

/// <summary>
/// Who may call the platform API: platforms in configuration (<c>Hub:Platforms</c>) and platforms registered
/// with the <c>platform register</c> command (table <c>platforms</c>, secrets sealed with the hub's content key
/// so a storage dump does not hand out report-signing keys). Configuration wins when both name one id.
/// Table lookups are cached briefly, unknown ids too, so a flood of made-up ids costs no storage calls.
/// </summary>
public sealed class PlatformRegistry(
    IOptions<PlatformsOptions> configured,
    IOptions<PlatformApiOptions> api,
    HubStorage storage,
    PrivacyServices privacy,
    TimeProvider time)
{
    /// <summary>Platforms registered by the admin command (secrets sealed), beside those in configuration.</summary>
    public const string TableName = "platforms";

    private const string Partition = "platform";
    private readonly ConcurrentDictionary<string, (RegisteredPlatform? Platform, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<RegisteredPlatform?> FindAsync(string? id, CancellationToken ct)
    {
        if (!PlatformIds.IsValid(id))
        {
            return null;
        }

        if (configured.Value.Instances.TryGetValue(id!, out var o))
        {
            return new RegisteredPlatform(id!, o, "configuration");
        }

        var now = time.GetUtcNow();
        if (_cache.TryGetValue(id!, out var hit) && hit.Expires > now)
        {
            return hit.Platform;
        }

        var found = await storage.WithResourcesAsync(() => storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(Partition, id!, cancellationToken: ct), ct);
        var platform = found.HasValue && found.Value is { } e ? FromEntity(e) : null;
        _cache[id!] = (platform, now + api.Value.RegistryCacheTime);
        return platform;
    }

    /// <summary>Registers a new platform with a fresh secret; returns the secret (shown once) or null when the id exists.</summary>
    public async Task<string?> RegisterAsync(string id, string? callbackUrl, int ratePerMinute, CancellationToken ct)
    {
        var secret = PlatformIds.NewSecret();
        var entity = new TableEntity(Partition, id)
        {
            ["SealedSecret"] = Seal(id, secret),
            ["CallbackUrl"] = callbackUrl,
            ["RatePerMinute"] = ratePerMinute,
            ["RegisteredAt"] = time.GetUtcNow(),
        };
        try
        {
            await storage.WithResourcesAsync(() => storage.Table(TableName).AddEntityAsync(entity, ct), ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return null;
        }

        _cache.TryRemove(id, out _);
        return secret;
    }

    /// <summary>A new primary secret; the old primary stays valid as the secondary until the next rotation.</summary>
    public async Task<string?> RotateAsync(string id, CancellationToken ct)
    {
        var found = await storage.WithResourcesAsync(() => storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: ct), ct);
        if (!found.HasValue || found.Value is not { } e)
        {
            return null;
        }

        var secret = PlatformIds.NewSecret();
        e["SealedSecondary"] = e.GetString("SealedSecret") is { } old ? Seal(id, Unseal(id, old)) : null;
        e["SealedSecret"] = Seal(id, secret);
        e["RotatedAt"] = time.GetUtcNow();
        await storage.Table(TableName).UpdateEntityAsync(e, e.ETag, TableUpdateMode.Replace, ct);
        _cache.TryRemove(id, out _);
        return secret;
    }

    public async Task<IReadOnlyList<RegisteredPlatform>> ListAsync(CancellationToken ct)
    {
        var list = configured.Value.Instances.Select(kv => new RegisteredPlatform(kv.Key, kv.Value, "configuration")).ToList();
        await storage.EnsureCreatedAsync(ct);
        await foreach (var e in storage.Table(TableName).QueryAsync<TableEntity>(x => x.PartitionKey == Partition, cancellationToken: ct))
        {
            if (!configured.Value.Instances.ContainsKey(e.RowKey))
            {
                list.Add(FromEntity(e));
            }
        }

        return list;
    }

    private RegisteredPlatform FromEntity(TableEntity e) => new(
        e.RowKey,
        new PlatformOptions
        {
            Secret = e.GetString("SealedSecret") is { } s ? Unseal(e.RowKey, s) : null,
            SecondarySecret = e.GetString("SealedSecondary") is { } s2 ? Unseal(e.RowKey, s2) : null,
            CallbackUrl = e.GetString("CallbackUrl"),
            RatePerMinute = e.GetInt32("RatePerMinute") ?? 600,
        },
        "table, registered " + (e.GetDateTimeOffset("RegisteredAt")?.ToString("u", CultureInfo.InvariantCulture) ?? "?"));

    private string Seal(string id, string secret) => privacy.Cipher.Protect(secret, "platform-secret/" + id);

    private string Unseal(string id, string sealedSecret) => privacy.Cipher.Unprotect(sealedSecret, "platform-secret/" + id);
}
