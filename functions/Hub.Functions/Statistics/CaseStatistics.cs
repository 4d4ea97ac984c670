using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Core.Statistics;
using System.Globalization;
using Npgsql;

namespace Hub.Functions.Statistics;

/// <summary>
/// The programme's statistics, computed with SQL from the case store's roll-up (docs/statistics.md#speed: each case's
/// contribution and their sums by day, folded in the background, with the cases changed since counted from their
/// rows, so every figure is exact). Counts
/// are of **cases** (one per child's situation: revisions of a report and follow-ups attached to the case count once),
/// by the time the case's first report was received, in <c>Asia/Ho_Chi_Minh</c>: a report at 23:30 UTC on 31 January
/// is a February case. <paramref name="from"/> and <paramref name="to"/> are Vietnamese calendar days, both included.
/// </summary>
public sealed class CaseStatistics(CaseDatabase database, TimeProvider time)
{
    public const string Zone = "Asia/Ho_Chi_Minh";

    /// <summary>The police and the content regulator: a violator referred to one of them is handled (docs/statistics.md#indicators).</summary>
    public static readonly IReadOnlyList<string> LawEnforcementTeams = ["agency-a05", "agency-criminal-police", "agency-mcst-broadcasting"];

    /// <summary>Buckets of the time to first response, for the distribution chart (the last: not answered yet).</summary>
    public static readonly IReadOnlyList<string> ResponseBuckets = ["<15m", "15m-1h", "1h-4h", "4h-12h", "12h-24h", ">24h", "none"];

    // The cases received in the period (Vietnamese days), in the filter's province and channel, in the scope.
    private const string Period =
        $"""
        c.received_at >= (@from::timestamp AT TIME ZONE '{Zone}') AND c.received_at < ((@to::timestamp + interval '1 day') AT TIME ZONE '{Zone}')
        AND (@province::text IS NULL OR COALESCE(c.province_code, 'unknown') = @province)
        AND (@channel::text IS NULL OR c.channel = @channel)
        AND (@all OR c.team_id = ANY(@teams) OR c.province_code = ANY(@provinces))
        """;

    // The cases a statistic counts: a case closed as a duplicate was merged into another and is counted there (its reports still count).
    private const string Where = Period + " AND c.close_reason IS DISTINCT FROM 'duplicate'";

    // A case with a child victim: not only an information request or a non-case, and not closed as one.
    private const string Victim =
        "(NOT (cardinality(c.categories) > 0 AND c.categories <@ ARRAY['INFO', 'NON_CASE']::text[]) " +
        "AND COALESCE(c.close_reason, '') NOT IN ('not-child-protection', 'duplicate', 'prank'))";


    // The same cases by their roll-up row (case_stats): the period, the filters, the scope.
    private const string Facts =
        """
        s.day >= @from::date AND s.day <= @to::date
        AND (@province::text IS NULL OR COALESCE(s.province, 'unknown') = @province)
        AND (@channel::text IS NULL OR s.channel = @channel)
        AND (@all OR s.team_id = ANY(@teams) OR s.province = ANY(@provinces))
        """;

    // The sums by day and channel (stats_daily): the period and the channel (the whole country's view only).
    private const string Daily = "d.day >= @from::date AND d.day <= @to::date AND (@channel::text IS NULL OR d.channel = @channel)";

    // The sums by team, day, channel and province (stats_scoped, V014): the period, the filters, the scope.
    private const string Scoped =
        """
        p.day >= @from::date AND p.day <= @to::date
        AND (@province::text IS NULL OR COALESCE(p.province, 'unknown') = @province)
        AND (@channel::text IS NULL OR p.channel = @channel)
        AND (@all OR p.team_id = ANY(@teams) OR p.province = ANY(@provinces))
        """;

    /// <summary>
    /// Reads the cases' rows one by one (case_stats) instead of the sums: the tests compare both. The sums by day serve
    /// every reader of every case with no province filter; a scope or a province filter reads the sums by team and
    /// province; the rows are read only for a scope's repeat reporters (who they are depends on the scope).
    /// </summary>
    internal bool RowsOnly { get; init; }

    private enum Source
    {
        Daily,
        Scoped,
        Rows,
    }

    private Source SourceOf(StatsFilter filter, StatsScope scope) =>
        RowsOnly ? Source.Rows : scope.All && filter.Province is null ? Source.Daily : Source.Scoped;

    private bool ReadsDaily(StatsFilter filter, StatsScope scope) => SourceOf(filter, scope) == Source.Daily;

    private const string NotRepeat = "d.key NOT LIKE 'rep:%' AND d.key NOT LIKE 'repc:%'";

    // The sums of every key the cases of the filter contribute (docs/statistics.md#speed), but the repeat reporters'.
    private string SumsSql(StatsFilter filter, StatsScope scope, string? keys = null) => SourceOf(filter, scope) switch
    {
        Source.Daily => $"SELECT d.key, sum(d.n)::bigint FROM stats_days d WHERE {Daily} AND {keys ?? NotRepeat} GROUP BY 1",
        Source.Scoped => $"SELECT p.key, sum(p.n)::bigint FROM stats_scoped_days p WHERE {Scoped} AND {(keys ?? NotRepeat).Replace("d.key", "p.key", StringComparison.Ordinal)} GROUP BY 1",
        _ => $"SELECT u.key, sum(u.n)::bigint FROM stats_cases s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n) WHERE {Facts} AND {(keys ?? NotRepeat).Replace("d.key", "u.key", StringComparison.Ordinal)} GROUP BY 1",
    };

    public Task<IReadOnlyList<VolumeRow>> VolumesAsync(DateOnly from, DateOnly to, StatsBucket bucket, StatsDimension by, CancellationToken ct) =>
        VolumesAsync(new StatsFilter(from, to), StatsScope.Everything, bucket, by, ct);

    public async Task<IReadOnlyList<VolumeRow>> VolumesAsync(StatsFilter filter, StatsScope scope, StatsBucket bucket, StatsDimension by, CancellationToken ct)
    {
        Check(filter);
        var db = await database.GetAsync(ct);
        await using var batch = db.CreateBatch();
        Add(batch, VolumeSql(filter, scope, bucket, by), filter, scope);
        await using var r = await batch.ExecuteReaderAsync(ct);
        return await VolumeRowsAsync(r, ct);
    }

    /// <summary>Only the programme's two indicators for a period (the page's comparison with the period before).</summary>
    public async Task<Indicators> IndicatorsAsync(StatsFilter filter, StatsScope scope, CancellationToken ct)
    {
        Check(filter);
        var db = await database.GetAsync(ct);
        await using var batch = db.CreateBatch();
        Add(batch, SumsSql(filter, scope, "d.key IN ('victim', 'supported', 'viol', 'viol.handled')"), filter, scope);
        await using var r = await batch.ExecuteReaderAsync(ct);
        var sums = await SumsAsync(r, ct);
        return new Indicators(new Share(sums.Get("supported"), sums.Get("victim")), new Share(sums.Get("viol.handled"), sums.Get("viol")));
    }

    /// <summary>
    /// Everything the Thống kê page shows, in one round trip to the case store (two with <paramref name="people"/>:
    /// the names): the sums of what the period's cases contribute (the roll-up), the series, the repeat reporters, and
    /// what depends on the clock — overdue now, not yet due — from the rows still waiting, by their partial indexes.
    /// <paramref name="people"/>: whether to count work per person (a supervisor's own view only).
    /// </summary>
    public async Task<Dashboard> DashboardAsync(StatsFilter filter, StatsScope scope, bool people, CancellationToken ct)
    {
        Check(filter);
        var now = time.GetUtcNow();
        var bucket = SeriesBucketFor(filter);
        var daily = ReadsDaily(filter, scope);
        var db = await database.GetAsync(ct);
        await using var batch = db.CreateBatch();

        // 0: the sums; 1: the series over time, by channel
        Add(batch, SumsSql(filter, scope), filter, scope);
        Add(batch, VolumeSql(filter, scope, bucket, StatsDimension.Channel), filter, scope);

        // 2: repeat reporters: a reporter with two cases or more in the period. From the sums, each case knows the days
        // since its reporter's case before it (g1) and the one before that (g2): a case whose g1 reaches back into the
        // period is a repeat reporter's case after their first in it; when g2 does not, it is their second: one per repeat
        // reporter, and it also stands for that reporter's first case in the period.
        Add(batch,
            daily
                ? $"""
                  SELECT COALESCE(sum(n) FILTER (WHERE g1 <= since AND since < g2), 0)::bigint,
                    COALESCE(sum(n) FILTER (WHERE g1 <= since), 0)::bigint + COALESCE(sum(n) FILTER (WHERE g1 <= since AND since < g2), 0)::bigint FROM (
                    SELECT d.n, d.day - @from::date AS since, split_part(d.key, ':', 2)::int AS g1, split_part(d.key, ':', 3)::int AS g2
                    FROM stats_days d WHERE {Daily} AND d.key LIKE @rep) AS t
                  """
                : $"""
                  SELECT count(*), COALESCE(sum(n), 0)::bigint FROM (
                    SELECT count(*) AS n FROM stats_cases s
                    WHERE {Facts} AND 'cases' = ANY(s.keys) AND s.reporter IS NOT NULL GROUP BY s.reporter HAVING count(*) > 1) AS t
                  """,
            filter, scope, rep: filter.Channel is null ? "rep:%" : "repc:%");

        // 3…9: what the clock decides, from the rows still waiting (each statement on its partial index)
        Add(batch, $"SELECT count(*) FROM cases c WHERE c.first_response_at IS NULL AND c.status <> 'closed' AND c.first_response_due < @now AND {Where}", filter, scope, now);
        Add(batch, $"SELECT count(*) FROM cases c WHERE c.first_response_at IS NULL AND c.first_response_due >= @now AND {Where}", filter, scope, now);
        Add(batch, $"SELECT count(*) FROM cases c WHERE c.intervention_due IS NOT NULL AND c.intervention_done_at IS NULL AND c.intervention_due >= @now AND {Victim} AND {Where}", filter, scope, now);
        Add(batch, $"SELECT count(*) FROM cases c WHERE c.intervention_due IS NOT NULL AND c.intervention_done_at IS NULL AND c.status <> 'closed' AND c.intervention_due < @now AND {Where}", filter, scope, now);
        Add(batch, $"SELECT count(*) FROM referrals f JOIN cases c ON c.id = f.case_id WHERE f.acknowledged_at IS NULL AND f.acknowledge_due >= @now AND {Where}", filter, scope, now);
        Add(batch, $"SELECT count(*) FROM callback_tasks k JOIN cases c ON c.id = k.case_id WHERE k.status = 'open' AND k.due_at < @now AND {Where}", filter, scope, now);
        Add(batch, $"SELECT count(*) FROM callback_tasks k JOIN cases c ON c.id = k.case_id WHERE k.status <> 'done' AND k.due_at >= @now AND {Where}", filter, scope, now);

        Sums sums;
        IReadOnlyList<VolumeRow> series;
        long repeat, repeatCases;
        var clock = new long[7];
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            sums = await SumsAsync(r, ct);
            await r.NextResultAsync(ct);
            series = await VolumeRowsAsync(r, ct);
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            (repeat, repeatCases) = (r.GetInt64(0), r.GetInt64(1));
            for (var i = 0; i < clock.Length; i++)
            {
                await r.NextResultAsync(ct);
                await r.ReadAsync(ct);
                clock[i] = r.GetInt64(0);
            }
        }

        var (responseOverdue, unansweredNotDue, interventionPending, interventionOverdue, unacknowledgedNotDue, callbacksOverdue, callbacksNotDue) =
            (clock[0], clock[1], clock[2], clock[3], clock[4], clock[5], clock[6]);

        var responded = sums.Get("fr.responded");
        var responseTimes = sums.Histogram("h.fr:");
        var firstResponse = new Durations(responded, Percentile(responseTimes, 0.5m), Percentile(responseTimes, 0.9m),
            new Share(sums.Get("fr.ontime"), responded + sums.Get("fr.unanswered") - unansweredNotDue));
        var distribution = ResponseBuckets.Select(b => new Count(b, b == "none" ? sums.Get("fr.unanswered") : responseTimes.Where(h => ResponseBucketOf(h.Seconds) == b).Sum(h => h.N))).ToList();

        var referralTimes = sums.Histogram("h.ref:");
        var firstReferral = new Durations(referralTimes.Sum(h => h.N), Percentile(referralTimes, 0.5m), Percentile(referralTimes, 0.9m), null);
        var acknowledged = sums.Get("ack.n");
        var ackTimes = sums.Histogram("h.ack:");
        var acknowledgement = new Durations(acknowledged, Percentile(ackTimes, 0.5m), Percentile(ackTimes, 0.9m),
            new Share(sums.Get("ack.ontime"), acknowledged + sums.Get("ack.unacked") - unacknowledgedNotDue));

        var takedowns = sums.Under("td:")
            .Select(p =>
            {
                var times = sums.Histogram($"h.td:{p.Key}:");
                return new TakedownRow(p.Key, p.N, sums.Get($"td.confirmed:{p.Key}"), sums.Get($"td.removed:{p.Key}"), Percentile(times, 0.5m), Percentile(times, 0.9m));
            })
            .OrderByDescending(t => t.Requested).ThenBy(t => t.Platform, StringComparer.Ordinal).ToList();

        var callbacksDone = sums.Get("cb.done");
        var callbackTimes = sums.Histogram("h.cb:");
        var callbackTime = new Durations(callbacksDone, Percentile(callbackTimes, 0.5m), Percentile(callbackTimes, 0.9m),
            new Share(sums.Get("cb.ontime"), callbacksDone + sums.Get("cb.notdone") - callbacksNotDue));
        var answered = sums.Get("ho.answered");
        var waits = sums.Histogram("h.ho:");
        var wait = new Durations(answered, Percentile(waits, 0.5m), Percentile(waits, 0.9m), null);

        var teams = sums.Under("team:")
            .Select(t => new TeamWork(t.Key, t.N, sums.Get($"team.closed:{t.Key}"), t.N - sums.Get($"team.closed:{t.Key}")))
            .OrderByDescending(t => t.Cases).ThenBy(t => t.Team, StringComparer.Ordinal).ToList();
        var persons = people ? await PeopleAsync(db, sums, ct) : [];
        var provinces = sums.Under("province:")
            .Select(p => new ProvinceRow(p.Key, p.N, sums.Get($"pv.victim:{p.Key}"), sums.Get($"pv.supported:{p.Key}")))
            .OrderBy(p => p.Support.Rate ?? 2).ThenByDescending(p => p.Cases).ThenBy(p => p.Province, StringComparer.Ordinal).ToList();

        var breakdowns = new Dictionary<StatsDimension, IReadOnlyList<Count>>
        {
            [StatsDimension.Channel] = Ordered(series.GroupBy(x => x.Key, StringComparer.Ordinal).Select(g => new Count(g.Key, g.Sum(x => x.Cases)))),
            [StatsDimension.Category] = Ordered(sums.Under("category:")),
            [StatsDimension.Urgency] = Ordered(sums.Under("urgency:")),
            [StatsDimension.ReporterRole] = Ordered(sums.Under("role:")),
            [StatsDimension.AgeBand] = Ordered(sums.Under("age:")),
        };

        var closeReasons = Ordered(sums.Under("close:"));
        return new Dashboard(
            filter,
            now,
            sums.Get("cases"),
            sums.Get("reports"),
            new Indicators(new Share(sums.Get("supported"), sums.Get("victim")), new Share(sums.Get("viol.handled"), sums.Get("viol"))),
            new Timeliness(firstResponse, sums.Get("fr.awaiting"), responseOverdue, distribution, firstReferral, acknowledgement,
                sums.Get("iv.due"), sums.Get("iv.met"), sums.Get("iv.late") + sums.Get("iv.undone") - interventionPending, interventionPending, interventionOverdue),
            new Outcomes(closeReasons.Sum(x => x.N), closeReasons, Ordered(sums.Under("ref.state:")), Ordered(sums.Under("ref.outcome:")), takedowns,
                sums.Get("known"), [.. sums.Under("known.bank:").OrderBy(b => b.Key, StringComparer.Ordinal)]),
            new Operations(sums.Get("cb"), callbacksDone, callbackTime, callbacksOverdue, sums.Get("ho"), answered, wait, repeat, repeatCases, teams, persons),
            bucket,
            series,
            provinces,
            breakdowns);
    }

    /// <summary>
    /// The value below which a share <paramref name="p"/> of the durations lie, as PostgreSQL's <c>percentile_disc</c>
    /// gives it (the first whose position reaches p × N), to its bucket's lower bound; null when nothing was measured.
    /// </summary>
    internal static long? Percentile(IReadOnlyList<(long Seconds, long N)> histogram, decimal p)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var total = histogram.Sum(h => h.N);
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(p * total));
        long seen = 0;
        foreach (var (seconds, n) in histogram)
        {
            seen += n;
            if (seen >= rank)
            {
                return seconds;
            }
        }

        return histogram[^1].Seconds;
    }

    internal static string ResponseBucketOf(long seconds) => seconds switch
    {
        < 900 => "<15m",
        < 3600 => "15m-1h",
        < 14400 => "1h-4h",
        < 43200 => "4h-12h",
        < 86400 => "12h-24h",
        _ => ">24h",
    };

    private static List<Count> Ordered(IEnumerable<Count> counts) =>
        [.. counts.Where(c => c.N != 0).OrderByDescending(c => c.N).ThenBy(c => c.Key, StringComparer.Ordinal)];

    private static async Task<IReadOnlyList<PersonWork>> PeopleAsync(NpgsqlDataSource db, Sums sums, CancellationToken ct)
    {
        var ids = sums.Under("owner.open:").Concat(sums.Under("owner.closed:")).Select(x => long.Parse(x.Key, CultureInfo.InvariantCulture)).Distinct().ToArray();
        if (ids.Length == 0)
        {
            return [];
        }

        var names = new Dictionary<long, string>();
        await using (var cmd = db.CreateCommand("SELECT id, display_name FROM users WHERE id = ANY(@ids)"))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long[]>("ids", ids));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                names[r.GetInt64(0)] = r.GetString(1);
            }
        }

        return [.. ids.Where(names.ContainsKey)
            .Select(id => new PersonWork(id, names[id], sums.Get(Key("owner.open:", id)), sums.Get(Key("owner.closed:", id))))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.UserId)];
    }

    private static string Key(string prefix, long id) => prefix + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The keys and their sums, as the roll-up gives them (docs/statistics.md#speed lists the keys).</summary>
    private sealed class Sums(Dictionary<string, long> values)
    {
        public long Get(string key) => values.GetValueOrDefault(key);

        /// <summary>The keys under a prefix (<c>urgency:</c>) without it, with their sums; none at zero.</summary>
        public IEnumerable<Count> Under(string prefix) =>
            values.Where(x => x.Key.StartsWith(prefix, StringComparison.Ordinal) && x.Value != 0).Select(x => new Count(x.Key[prefix.Length..], x.Value));

        /// <summary>A histogram's buckets (lower bounds in seconds) in order, with their counts.</summary>
        public IReadOnlyList<(long Seconds, long N)> Histogram(string prefix) =>
            [.. Under(prefix).Where(x => !x.Key.Contains(':', StringComparison.Ordinal)).Select(x => (long.Parse(x.Key, CultureInfo.InvariantCulture), x.N)).OrderBy(x => x.Item1)];
    }

    private static async Task<Sums> SumsAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await r.ReadAsync(ct))
        {
            values[r.GetString(0)] = r.GetInt64(1);
        }

        return new Sums(values);
    }

    /// <summary>Days for up to two months, ISO weeks up to six months, months beyond: a series a chart can hold.</summary>
    public static StatsBucket SeriesBucketFor(StatsFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var days = filter.To.DayNumber - filter.From.DayNumber + 1;
        return days <= 62 ? StatsBucket.Day : days <= 183 ? StatsBucket.Week : StatsBucket.Month;
    }

    private static void Check(StatsFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.To < filter.From)
        {
            throw new CaseOperationException(CaseProblem.Invalid, "a period ends on or after the day it starts");
        }

        if (filter.To.DayNumber - filter.From.DayNumber > 3660)
        {
            throw new CaseOperationException(CaseProblem.Invalid, "a period is at most ten years");
        }
    }

    private static string PrefixOf(StatsDimension by) => by switch
    {
        StatsDimension.ChannelInstance => "instance:",
        StatsDimension.Province => "province:",
        StatsDimension.Category => "category:",
        StatsDimension.Urgency => "urgency:",
        StatsDimension.ReporterRole => "role:",
        _ => "age:",
    };

    private string VolumeSql(StatsFilter filter, StatsScope scope, StatsBucket bucket, StatsDimension by)
    {
        var unit = bucket switch
        {
            StatsBucket.Day => "day",
            StatsBucket.Week => "week",
            StatsBucket.Month => "month",
            _ => "year",
        };
        if (by == StatsDimension.Channel)
        {
            return SourceOf(filter, scope) switch
            {
                Source.Daily => $"SELECT date_trunc('{unit}', d.day)::date, d.channel, sum(d.n)::bigint FROM stats_days d WHERE {Daily} AND d.key = 'cases' AND d.n <> 0 GROUP BY 1, 2 HAVING sum(d.n) <> 0 ORDER BY 1, 2",
                Source.Scoped => $"SELECT date_trunc('{unit}', p.day)::date, p.channel, sum(p.n)::bigint FROM stats_scoped_days p WHERE {Scoped} AND p.key = 'cases' AND p.n <> 0 GROUP BY 1, 2 HAVING sum(p.n) <> 0 ORDER BY 1, 2",
                _ => $"SELECT date_trunc('{unit}', s.day)::date, s.channel, count(*) FROM stats_cases s WHERE {Facts} AND 'cases' = ANY(s.keys) GROUP BY 1, 2 ORDER BY 1, 2",
            };
        }

        var prefix = PrefixOf(by);
        return SourceOf(filter, scope) switch
        {
            Source.Daily => $"SELECT date_trunc('{unit}', d.day)::date, substr(d.key, {prefix.Length + 1}), sum(d.n)::bigint FROM stats_days d WHERE {Daily} AND d.key LIKE '{prefix}%' GROUP BY 1, 2 HAVING sum(d.n) <> 0 ORDER BY 1, 2",
            Source.Scoped => $"SELECT date_trunc('{unit}', p.day)::date, substr(p.key, {prefix.Length + 1}), sum(p.n)::bigint FROM stats_scoped_days p WHERE {Scoped} AND p.key LIKE '{prefix}%' GROUP BY 1, 2 HAVING sum(p.n) <> 0 ORDER BY 1, 2",
            _ => $"SELECT date_trunc('{unit}', s.day)::date, substr(u.key, {prefix.Length + 1}), sum(u.n)::bigint FROM stats_cases s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n) WHERE {Facts} AND u.key LIKE '{prefix}%' GROUP BY 1, 2 ORDER BY 1, 2",
        };
    }

    private static void Add(NpgsqlBatch batch, string sql, StatsFilter filter, StatsScope scope, DateTimeOffset? now = null, string? rep = null)
    {
        // The filter and the scope written into the statement, not left to parameters: the hub's statements are
        // prepared, and a prepared plan for "@all OR team = ANY(@teams)" cannot use the (team_id, day) and
        // (province, day) indexes — a province's supervisor's year read all 5,000,000 rows.
        foreach (var a in "csdp")
        {
            var province = a switch { 'c' => "c.province_code", 'p' => "p.province", _ => "s.province" };
            var team = a == 'c' ? "c.team_id" : a + ".team_id";
            var unknown = a == 'p' ? "p.province = ''" : $"{province} IS NULL"; // stats_scoped keeps the unknown province as ''
            sql = sql
                .Replace($"(@province::text IS NULL OR COALESCE({province}, 'unknown') = @province)",
                    filter.Province is null ? "true" : filter.Province == "unknown" ? unknown : $"{province} = @province", StringComparison.Ordinal)
                .Replace($"(@channel::text IS NULL OR {a}.channel = @channel)", filter.Channel is null ? "true" : $"{a}.channel = @channel", StringComparison.Ordinal)
                .Replace($"(@all OR {team} = ANY(@teams) OR {province} = ANY(@provinces))", scope.All ? "true" : $"({team} = ANY(@teams) OR {province} = ANY(@provinces))", StringComparison.Ordinal);
        }

        var cmd = new NpgsqlBatchCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("from", filter.From.ToDateTime(TimeOnly.MinValue)));
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("to", filter.To.ToDateTime(TimeOnly.MinValue)));
        cmd.Parameters.Add(Sql.Text("province", filter.Province));
        cmd.Parameters.Add(Sql.Text("channel", filter.Channel));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("teams", [.. scope.Teams]));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("provinces", [.. scope.Provinces]));
        if (now is { } n)
        {
            cmd.Parameters.Add(Sql.Ts("now", n));
        }

        if (rep is not null)
        {
            cmd.Parameters.Add(new NpgsqlParameter<string>("rep", rep));
        }

        batch.BatchCommands.Add(cmd);
    }

    private static async Task<IReadOnlyList<VolumeRow>> VolumeRowsAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        var rows = new List<VolumeRow>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new VolumeRow(DateOnly.FromDateTime(r.GetDateTime(0)), r.GetString(1), r.GetInt64(2)));
        }

        return rows;
    }
}
