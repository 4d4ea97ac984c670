using System.Globalization;
using Hub.Core.Platform;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hashing;
using Hub.Functions.Hosting;

namespace Hub.Functions.Platform;

/// <summary>
/// The platform hash API (docs/platform-api.md#hashes), signed like every platform call: look hashes up in the hub's
/// banks (<c>POST /hashes/match</c>), contribute hashes to the platform's own bank (<c>POST /hashes</c>), vote on an
/// entry a lookup returned (<c>POST /hashes/votes</c>). Answers are about hashes only: no case, report, person or
/// media is ever named. Rate-limited per platform by hashes (a bucket apart from reports).
/// </summary>
public static class PlatformHashApi
{
    /// <summary>The bank a platform's contributions go to (kind <c>platform</c>, owned by the hotline's central team).</summary>
    public static string BankOf(string platformId) => "platform-" + platformId;

    internal static async Task<IResult> MatchAsync(PlatformRequest r, CancellationToken ct)
    {
        if (Read(r, PlatformHashRequests.Lookups, "The lookup is invalid; every invalid hash is listed under errors by JSON path, and nothing was looked up.", out var lookups) is { } refused)
        {
            return refused;
        }

        var matcher = r.Http.RequestServices.GetRequiredService<HashMatcher>();
        var found = await matcher.MatchEachAsync([.. lookups.Select(l => new HashQuery(l.Type, l.Value, l.Quality))], ct);
        var results = new HashLookupResult[lookups.Count];
        for (var i = 0; i < lookups.Count; i++)
        {
            var low = lookups[i].Type == "pdq" && (lookups[i].Quality ?? 100) < HashMatcher.MinQuality;
            results[i] = new HashLookupResult(i, [.. found[i].Select(m => new HashMatchView(m.Entry, m.Bank, m.Classification, m.Type, m.Distance))], low ? "low-quality" : null);
        }

        return Results.Json(new HashMatchResult(results), PlatformHashJsonContext.Default.HashMatchResult);
    }

    internal static async Task<IResult> ContributeAsync(PlatformRequest r, CancellationToken ct)
    {
        if (Read(r, PlatformHashRequests.Contributions, "The contribution is invalid; every invalid hash is listed under errors by JSON path, and nothing was added.", out var items) is { } refused)
        {
            return refused;
        }

        var source = "platform:" + r.Platform.Id;
        var actor = new Actor(null, source, new HashSet<string>(), new HashSet<string>(), r.Http.Connection.RemoteIpAddress?.ToString() ?? source);
        var services = r.Http.RequestServices;
        var result = await services.GetRequiredService<HashBanks>().ContributeAsync(actor, BankOf(r.Platform.Id), PostgresCaseStore.CentralTeam, "platform", items, source, ct);
        if (result.Added > 0)
        {
            await services.GetRequiredService<HashMatcher>().RefreshAsync(ct); // matched here at once; other instances within their refresh
        }

        return Results.Json(result, PlatformHashJsonContext.Default.HashContributionResult);
    }

    internal static async Task<IResult> VoteAsync(PlatformRequest r, CancellationToken ct)
    {
        if (Read(r, PlatformHashRequests.Votes, "The votes are invalid; every invalid field is listed under errors by JSON path, and nothing was recorded.", out var votes) is { } refused)
        {
            return refused;
        }

        var missing = await r.Http.RequestServices.GetRequiredService<HashBanks>().PlatformVotesAsync(r.Platform.Id, votes, ct);
        if (missing.Count > 0)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            for (var i = 0; i < votes.Count; i++)
            {
                if (missing.Contains(votes[i].Entry))
                {
                    errors[$"$.votes[{i}].entry"] = [$"no bank entry {votes[i].Entry.ToString(CultureInfo.InvariantCulture)}"];
                }
            }

            return Problems.BadRequest("A vote names an entry the hub does not have; nothing was recorded.", errors);
        }

        return Results.Json(new HashVoteResult(votes.Count), PlatformHashJsonContext.Default.HashVoteResult);
    }

    /// <summary>The request's items, or its refusal: not JSON (415), any invalid item (400 listing each), over the hash limit (429).</summary>
    private static IResult? Read<T>(PlatformRequest r, Func<byte[], PlatformHashRequests.Parsed<T>> parse, string invalid, out IReadOnlyList<T> items)
    {
        items = [];
        if (!Problems.IsJson(r.Http.Request))
        {
            return Problems.UnsupportedMediaType("application/json");
        }

        var parsed = parse(r.Body);
        if (parsed.Items is null)
        {
            return Problems.BadRequest(invalid, parsed.Errors);
        }

        items = parsed.Items;
        return Limited(r, items.Count);
    }

    private static IResult? Limited(PlatformRequest r, int permits) =>
        PlatformApi.Limited(r, r.Platform.Id + "#hashes", r.Platform.Options.HashesPerMinute, PlatformHashLimits.MaxHashes, permits, "hashes");
}
