using Azure.Data.Tables;
using Hub.Core.Privacy;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;

namespace Hub.Functions.Channels;

/// <summary>STOP/START per sender pseudonym, so later outbound SMS (call-backs, follow-ups) can respect them.</summary>
public sealed class OptOuts(HubStorage storage, PrivacyServices privacy, TimeProvider time)
{
    public const string TableName = "optouts";

    public async Task RecordAsync(string sender, string instance, bool optOut, CancellationToken ct)
    {
        try
        {
            var pseudonym = privacy.Pseudonymizer.For(Pseudonymizer.PhoneKind, sender);
            await storage.WithResourcesAsync(
                async () => optOut
                    ? await storage.Table(TableName).UpsertEntityAsync(new TableEntity(TableKeys.Escape(instance), pseudonym) { ["At"] = time.GetUtcNow() }, cancellationToken: ct)
                    : await storage.Table(TableName).DeleteEntityAsync(TableKeys.Escape(instance), pseudonym, cancellationToken: ct),
                ct);
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) && !ct.IsCancellationRequested)
        {
            throw new StorageUnavailableException("Storage is unreachable; the keyword was not recorded.", ex);
        }
    }

    /// <summary>Whether the reporter with this pseudonym sent STOP to <paramref name="instance"/> (and no START since).</summary>
    public async Task<bool> IsOptedOutAsync(string instance, string pseudonym, CancellationToken ct)
    {
        var found = await storage.WithResourcesAsync(() => storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(instance), pseudonym, select: ["PartitionKey"], cancellationToken: ct), ct);
        return found.HasValue;
    }
}
