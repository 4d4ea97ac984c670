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
        if (Refuse(r) is { } refused)
        {
            return refused;
        }

        var parsed = PlatformHashRequests.Lookups(r.Body);
        if (parsed.Items is not { } lookups)
        {
            return Problems.BadRequest("The lookup is invalid; every invalid hash is listed under errors by JSON path, and nothing was looked up.", parsed.Errors);
        }

        if (Limited(r, lookups.Count) is { } limited)
        {
            return limited;
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
        if (Refuse(r) is { } refused)
        {
            return refused;
        }

        var parsed = PlatformHashRequests.Contributions(r.Body);
        if (parsed.Items is not { } items)
        {
            return Problems.BadRequest("The contribution is invalid; every invalid hash is listed under errors by JSON path, and nothing was added.", parsed.Errors);
        }

        if (Limited(r, items.Count) is { } limited)
        {
            return limited;
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
        if (Refuse(r) is { } refused)
        {
            return refused;
        }

        var parsed = PlatformHashRequests.Votes(r.Body);
        if (parsed.Items is not { } votes)
        {
            return Problems.BadRequest("The votes are invalid; every invalid field is listed under errors by JSON path, and nothing was recorded.", parsed.Errors);
        }

        if (Limited(r, votes.Count) is { } limited)
        {
            return limited;
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

    private static IResult? Refuse(PlatformRequest r) => Problems.IsJson(r.Http.Request) ? null : Problems.UnsupportedMediaType("application/json");

    private static IResult? Limited(PlatformRequest r, int permits)
    {
        var limiter = r.Http.RequestServices.GetRequiredService<PlatformRateLimiter>();
        var rate = r.Platform.Options.HashesPerMinute;
        if (limiter.TryAcquire(r.Platform.Id + "#hashes", rate, PlatformHashLimits.MaxHashes, permits, out var wait))
        {
            return null;
        }

        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        r.Http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Results.Problem(
            title: "Too many requests",
            detail: $"Over this platform's limit of {rate} hashes per minute. Retry after {seconds} s.",
            statusCode: StatusCodes.Status429TooManyRequests);
    }
}
