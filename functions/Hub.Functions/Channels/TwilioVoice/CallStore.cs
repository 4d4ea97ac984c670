using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hub.Core.Envelope;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;

namespace Hub.Functions.Channels.TwilioVoice;

/// <summary>Calls in the <c>calls</c> table (PK instance, RK CallSid), changed with ETag concurrency; the caller's number sealed.</summary>
public sealed class CallStore(HubStorage storage, PrivacyServices privacy, TimeProvider time)
{
    public const string TableName = "calls";

    private const string Purpose = "calls/caller";

    /// <summary>Whether a callback was already merged into the call (so its work, e.g. a download, can be skipped).</summary>
    public async Task<bool> HasAppliedAsync(string instance, string callSid, string eventKey, CancellationToken ct)
    {
        var found = await storage.WithResourcesAsync(() => storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(instance), TableKeys.Escape(callSid), select: ["State"], cancellationToken: ct), ct);
        return found.HasValue && found.Value?.GetString("State") is { } json
            && (JsonSerializer.Deserialize(json, CallJsonContext.Default.CallState)?.Applied.Contains(eventKey) ?? false);
    }

    /// <summary>
    /// Applies <paramref name="change"/> (skipped when <paramref name="eventKey"/> was applied before) and returns
    /// the state, the caller's number and whether anything changed. Concurrent callbacks re-run on the newer state.
    /// </summary>
    /// <remarks>Through <see cref="HubStorage.WithResourcesAsync{T}"/>: a <c>calls</c> table lost or deleted is re-created,
    /// not a 500 on every call until a restart (found by the load benchmark, which resets its emulator per channel).</remarks>
    public Task<(CallState State, string? Caller, bool Changed)> ApplyAsync(string instance, string callSid, string? from, string eventKey, Func<CallState, bool> change, CancellationToken ct) =>
        storage.WithResourcesAsync(() => ApplyCoreAsync(instance, callSid, from, eventKey, change, ct), ct);

    private async Task<(CallState State, string? Caller, bool Changed)> ApplyCoreAsync(string instance, string callSid, string? from, string eventKey, Func<CallState, bool> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        var pk = TableKeys.Escape(instance);
        var rk = TableKeys.Escape(callSid);
        for (var attempt = 0; ; attempt++)
        {
            var found = await storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(pk, rk, cancellationToken: ct);
            var existing = found.HasValue ? found.Value : null;
            var state = existing?.GetString("State") is { } json
                ? JsonSerializer.Deserialize(json, CallJsonContext.Default.CallState) ?? new CallState()
                : new CallState { ReportId = Core.Envelope.ReportId.New(time), StartedAt = time.GetUtcNow() };
            var caller = existing?.GetString("Caller") is { } sealedCaller ? privacy.Cipher.Unprotect(sealedCaller, Purpose) : from;
            if (state.Applied.Contains(eventKey) || !change(state))
            {
                return (state, caller, false);
            }

            state.Applied.Add(eventKey);
            state.Revision++;
            var entity = new TableEntity(pk, rk)
            {
                ["State"] = JsonSerializer.Serialize(state, CallJsonContext.Default.CallState),
                ["Caller"] = caller is null ? null : privacy.Cipher.Protect(caller, Purpose),
                ["Revision"] = state.Revision,
                ["Missed"] = state.Missed,
            };
            try
            {
                if (existing is null)
                {
                    await storage.Table(TableName).AddEntityAsync(entity, ct);
                }
                else
                {
                    await storage.Table(TableName).UpdateEntityAsync(entity, existing.ETag, TableUpdateMode.Replace, ct);
                }

                return (state, caller, true);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 10)
            {
                // Another callback of this call got there first: apply ours to its state.
            }
        }
    }
}
