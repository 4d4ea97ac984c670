using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Core.Statistics;
using Hub.Functions.Statistics;
using Npgsql;

namespace Hub.Functions.Tests.Statistics;

/// <summary>
/// The statistics as they were first written: every figure a direct SQL statement over the case store's rows, no
/// roll-up. Slow (seconds per million cases) but plain; the tests require <see cref="CaseStatistics"/>, which reads the
/// roll-up, to give the same figures (the percentiles: to their bucket, docs/statistics.md#speed).
/// </summary>
internal sealed class ReferenceStatistics(CaseDatabase database, TimeProvider time)
{
    private const string Zone = CaseStatistics.Zone;

    private static readonly IReadOnlyList<string> LawEnforcementTeams = CaseStatistics.LawEnforcementTeams;

    private static readonly IReadOnlyList<string> ResponseBuckets = CaseStatistics.ResponseBuckets;

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

    // Support or intervention: a named person took or answered it, the 12-hour intervention was recorded, or a referral was accepted or done.
    private const string Supported =
        "(c.first_response_at IS NOT NULL OR c.intervention_done_at IS NOT NULL " +
        "OR EXISTS (SELECT 1 FROM referrals f WHERE f.case_id = c.id AND f.state IN ('accepted', 'done')))";

    // A reported violator is handled: its case was closed with a reason, referred to the police or the regulator, or the platform removed it.
    private const string Handled =
        "(c.status = 'closed' " +
        "OR EXISTS (SELECT 1 FROM referrals f WHERE f.case_id = c.id AND f.state NOT IN ('rejected', 'revoked') AND (f.to_team LIKE 'police-%' OR f.to_team = ANY(@law))) " +
        "OR EXISTS (SELECT 1 FROM case_takedowns t WHERE t.case_id = c.id AND t.removed_at IS NOT NULL))";

    // Indicator 2: each distinct URL or account named by a child-victim case's reports, once per case, and whether it was handled.
    private const string Violators =
        $"""
        SELECT count(*), count(*) FILTER (WHERE handled) FROM (
          SELECT DISTINCT c.id, lower(v.x), {Handled} AS handled
          FROM cases c JOIN reports r ON r.case_id = c.id
          CROSS JOIN LATERAL (
            SELECT jsonb_array_elements_text(COALESCE(r.envelope -> 'incident' -> 'urls', '[]'::jsonb))
            UNION SELECT jsonb_array_elements_text(COALESCE(r.envelope -> 'incident' -> 'reportedAccounts', '[]'::jsonb))) AS v(x)
          WHERE {Where} AND {Victim}) AS t
        """;

    private static string Seconds(string interval) => $"floor(extract(epoch FROM {interval}))::bigint";

    private static string Percentiles(string seconds) =>
        $"percentile_disc(0.5) WITHIN GROUP (ORDER BY {seconds}), percentile_disc(0.9) WITHIN GROUP (ORDER BY {seconds})";

    public Task<IReadOnlyList<VolumeRow>> VolumesAsync(DateOnly from, DateOnly to, StatsBucket bucket, StatsDimension by, CancellationToken ct) =>
        VolumesAsync(new StatsFilter(from, to), StatsScope.Everything, bucket, by, ct);

    public async Task<IReadOnlyList<VolumeRow>> VolumesAsync(StatsFilter filter, StatsScope scope, StatsBucket bucket, StatsDimension by, CancellationToken ct)
    {
        Check(filter);
        var db = await database.GetAsync(ct);
        await using var batch = db.CreateBatch();
        Add(batch, VolumeSql(bucket, by), filter, scope);
        await using var r = await batch.ExecuteReaderAsync(ct);
        return await VolumeRowsAsync(r, ct);
    }

    /// <summary>Only the programme's two indicators for a period (the page's comparison with the period before): two statements, not the dashboard's twenty.</summary>
    public async Task<Indicators> IndicatorsAsync(StatsFilter filter, StatsScope scope, CancellationToken ct)
    {
        Check(filter);
        var db = await database.GetAsync(ct);
        await using var batch = db.CreateBatch();
        Add(batch, $"SELECT count(*) FILTER (WHERE {Victim}), count(*) FILTER (WHERE {Victim} AND {Supported}) FROM cases c WHERE {Where}", filter, scope);
        Add(batch, Violators, filter, scope, law: true);
        await using var r = await batch.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var victims = new Share(r.GetInt64(1), r.GetInt64(0));
        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        return new Indicators(victims, new Share(r.GetInt64(1), r.GetInt64(0)));
    }

    /// <summary>
    /// Everything the Thống kê page shows, in one round trip to the case store: totals, the indicators, timeliness,
    /// outcomes, operations, the series over time, the provinces and the breakdowns. <paramref name="people"/>: whether
    /// to count work per person (a supervisor's own view only).
    /// </summary>
    public async Task<Dashboard> DashboardAsync(StatsFilter filter, StatsScope scope, bool people, CancellationToken ct)
    {
        Check(filter);
        var now = time.GetUtcNow();
        var bucket = CaseStatistics.SeriesBucketFor(filter);
        var db = await database.GetAsync(ct);
        await using var batch = db.CreateBatch();

        // 0: totals, indicator 1, first response, the 12-hour deadline
        Add(batch,
            $"""
            SELECT count(*), count(*) FILTER (WHERE {Victim}), count(*) FILTER (WHERE {Victim} AND {Supported}),
              count(c.first_response_at), count(*) FILTER (WHERE c.first_response_at <= c.first_response_due),
              count(*) FILTER (WHERE c.first_response_at IS NOT NULL OR c.first_response_due < @now),
              {Percentiles(Seconds("c.first_response_at - c.received_at"))},
              count(*) FILTER (WHERE c.first_response_at IS NULL AND c.status <> 'closed'),
              count(*) FILTER (WHERE c.first_response_at IS NULL AND c.status <> 'closed' AND c.first_response_due < @now),
              count(*) FILTER (WHERE c.intervention_due IS NOT NULL AND {Victim}),
              count(*) FILTER (WHERE c.intervention_due IS NOT NULL AND {Victim} AND c.intervention_done_at <= c.intervention_due),
              count(*) FILTER (WHERE c.intervention_due IS NOT NULL AND {Victim} AND (c.intervention_done_at > c.intervention_due OR (c.intervention_done_at IS NULL AND c.intervention_due < @now))),
              count(*) FILTER (WHERE c.intervention_due IS NOT NULL AND {Victim} AND c.intervention_done_at IS NULL AND c.intervention_due >= @now),
              count(*) FILTER (WHERE c.intervention_due IS NOT NULL AND c.intervention_done_at IS NULL AND c.intervention_due < @now AND c.status <> 'closed')
            FROM cases c WHERE {Where}
            """, filter, scope, now);

        // 1: the reports of the period's cases (follow-ups and merged duplicates included; a revision is its report)
        Add(batch, $"SELECT count(*) FROM cases c JOIN reports r ON r.case_id = c.id WHERE {Period}", filter, scope);

        // 2: indicator 2, the reported violators
        Add(batch, Violators, filter, scope, law: true);

        // 3: the distribution of the time to first response
        Add(batch,
            $"""
            SELECT CASE WHEN c.first_response_at IS NULL THEN 'none'
                        WHEN c.first_response_at - c.received_at < interval '15 minutes' THEN '<15m'
                        WHEN c.first_response_at - c.received_at < interval '1 hour' THEN '15m-1h'
                        WHEN c.first_response_at - c.received_at < interval '4 hours' THEN '1h-4h'
                        WHEN c.first_response_at - c.received_at < interval '12 hours' THEN '4h-12h'
                        WHEN c.first_response_at - c.received_at < interval '24 hours' THEN '12h-24h'
                        ELSE '>24h' END, count(*)
            FROM cases c WHERE {Where} GROUP BY 1
            """, filter, scope);

        // 4: time to the first referral
        Add(batch,
            $"""
            SELECT count(*), {Percentiles("s")} FROM (
              SELECT {Seconds("min(f.sent_at) - c.received_at")} AS s FROM cases c JOIN referrals f ON f.case_id = c.id WHERE {Where} GROUP BY c.id, c.received_at) AS t
            """, filter, scope);

        // 5: referral acknowledgement (Decree 56's clock for the receiving team)
        Add(batch,
            $"""
            SELECT count(f.acknowledged_at), count(*) FILTER (WHERE f.acknowledged_at <= f.acknowledge_due),
              count(*) FILTER (WHERE f.acknowledged_at IS NOT NULL OR f.acknowledge_due < @now),
              {Percentiles(Seconds("f.acknowledged_at - f.sent_at"))}
            FROM cases c JOIN referrals f ON f.case_id = c.id WHERE {Where}
            """, filter, scope, now);

        // 6, 7, 8: closure reasons, referral states, referral outcomes
        Add(batch, $"SELECT c.close_reason, count(*) FROM cases c WHERE {Where} AND c.status = 'closed' GROUP BY 1 ORDER BY 2 DESC, 1", filter, scope);
        Add(batch, $"SELECT f.state, count(*) FROM cases c JOIN referrals f ON f.case_id = c.id WHERE {Where} GROUP BY 1 ORDER BY 2 DESC, 1", filter, scope);
        Add(batch, $"SELECT f.outcome, count(*) FROM cases c JOIN referrals f ON f.case_id = c.id WHERE {Where} AND f.outcome IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1", filter, scope);

        // 9: takedowns per platform
        Add(batch,
            $"""
            SELECT t.platform, count(*), count(t.confirmed_at), count(t.removed_at), {Percentiles(Seconds("t.removed_at - t.requested_at"))}
            FROM cases c JOIN case_takedowns t ON t.case_id = c.id WHERE {Where} GROUP BY 1 ORDER BY 2 DESC, 1
            """, filter, scope);

        // 10: known material: cases with a match, and per bank
        Add(batch,
            $"""
            SELECT m.bank, count(DISTINCT c.id) FROM cases c JOIN reports r ON r.case_id = c.id JOIN case_hash_matches m ON m.report_id = r.id
            WHERE {Where} GROUP BY ROLLUP (1) ORDER BY 1 NULLS FIRST
            """, filter, scope);

        // 11: missed calls called back
        Add(batch,
            $"""
            SELECT count(*), count(*) FILTER (WHERE k.status = 'done'), count(*) FILTER (WHERE k.status = 'open' AND k.due_at < @now),
              count(*) FILTER (WHERE k.status = 'done' AND k.done_at <= k.due_at), count(*) FILTER (WHERE k.status = 'done' OR k.due_at < @now),
              {Percentiles(Seconds("k.done_at - k.created_at"))}
            FROM cases c JOIN callback_tasks k ON k.case_id = c.id WHERE {Where}
            """, filter, scope, now);

        // 12: chats handed over to a person, answered by one (the first reply after the handoff), and the wait
        Add(batch,
            $"""
            SELECT count(*), count(a.at), {Percentiles(Seconds("a.at - r.received_at"))}
            FROM cases c JOIN reports r ON r.case_id = c.id
            LEFT JOIN LATERAL (SELECT min(x.at) AS at FROM audit x WHERE x.case_id = c.id AND x.action = 'conversation.reply' AND x.at >= r.received_at) AS a ON true
            WHERE {Where} AND (r.envelope -> 'signals' ->> 'handoff') = 'true'
            """, filter, scope);

        // 13: repeat reporters (by pseudonym; counted, never listed)
        Add(batch,
            $"""
            SELECT count(*), COALESCE(sum(n), 0)::bigint FROM (
              SELECT count(*) AS n FROM cases c WHERE {Where} AND c.reporter_pseudonym IS NOT NULL GROUP BY c.reporter_pseudonym HAVING count(*) > 1) AS t
            """, filter, scope);

        // 14: work per team
        Add(batch,
            $"SELECT c.team_id, count(*), count(*) FILTER (WHERE c.status = 'closed'), count(*) FILTER (WHERE c.status <> 'closed') FROM cases c WHERE {Where} GROUP BY 1 ORDER BY 2 DESC, 1",
            filter, scope);

        // 15: work per person (or nothing)
        Add(batch,
            people
                ? $"SELECT u.id, u.display_name, count(*) FILTER (WHERE c.status <> 'closed'), count(*) FILTER (WHERE c.status = 'closed') FROM cases c JOIN users u ON u.id = c.owner_id WHERE {Where} GROUP BY 1, 2 ORDER BY 2, 1"
                : "SELECT 0::bigint, '', 0::bigint, 0::bigint WHERE false",
            filter, scope);

        // 16: provinces with their support indicator
        Add(batch,
            $"SELECT COALESCE(c.province_code, 'unknown'), count(*), count(*) FILTER (WHERE {Victim}), count(*) FILTER (WHERE {Victim} AND {Supported}) FROM cases c WHERE {Where} GROUP BY 1",
            filter, scope);

        // 17: the series over time, by channel
        Add(batch, VolumeSql(bucket, StatsDimension.Channel), filter, scope);

        // 18…: the breakdowns (one period: the whole filter)
        var dimensions = new[] { StatsDimension.Channel, StatsDimension.Category, StatsDimension.Urgency, StatsDimension.ReporterRole, StatsDimension.AgeBand };
        foreach (var d in dimensions)
        {
            Add(batch, $"SELECT {KeyOf(d)}, count(*) FROM cases c {JoinOf(d)} WHERE {Where} GROUP BY 1 ORDER BY 2 DESC, 1", filter, scope);
        }

        await using var r = await batch.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var (cases, victims, supported) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
        var firstResponse = new Durations(r.GetInt64(3), Long(r, 6), Long(r, 7), new Share(r.GetInt64(4), r.GetInt64(5)));
        var (awaiting, overdue) = (r.GetInt64(8), r.GetInt64(9));
        var (iDue, iMet, iMissed, iPending, iOverdue) = (r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13), r.GetInt64(14));

        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var reports = r.GetInt64(0);

        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var violators = new Share(r.GetInt64(1), r.GetInt64(0));

        await r.NextResultAsync(ct);
        var buckets = (await CountsAsync(r, ct)).ToDictionary(x => x.Key, x => x.N, StringComparer.Ordinal);
        var distribution = ResponseBuckets.Select(b => new Count(b, buckets.GetValueOrDefault(b))).ToList();

        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var firstReferral = new Durations(r.GetInt64(0), Long(r, 1), Long(r, 2), null);

        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var acknowledgement = new Durations(r.GetInt64(0), Long(r, 3), Long(r, 4), new Share(r.GetInt64(1), r.GetInt64(2)));

        await r.NextResultAsync(ct);
        var closeReasons = await CountsAsync(r, ct);
        await r.NextResultAsync(ct);
        var referralStates = await CountsAsync(r, ct);
        await r.NextResultAsync(ct);
        var referralOutcomes = await CountsAsync(r, ct);

        await r.NextResultAsync(ct);
        var takedowns = new List<TakedownRow>();
        while (await r.ReadAsync(ct))
        {
            takedowns.Add(new TakedownRow(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), Long(r, 4), Long(r, 5)));
        }

        await r.NextResultAsync(ct);
        long knownCases = 0;
        var byBank = new List<Count>();
        while (await r.ReadAsync(ct))
        {
            if (r.IsDBNull(0))
            {
                knownCases = r.GetInt64(1);
            }
            else
            {
                byBank.Add(new Count(r.GetString(0), r.GetInt64(1)));
            }
        }

        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var (cbCreated, cbDone, cbOverdue) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
        var callbackTime = new Durations(cbDone, Long(r, 5), Long(r, 6), new Share(r.GetInt64(3), r.GetInt64(4)));

        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var (handoffs, answered) = (r.GetInt64(0), r.GetInt64(1));
        var wait = new Durations(answered, Long(r, 2), Long(r, 3), null);

        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var (repeat, repeatCases) = (r.GetInt64(0), r.GetInt64(1));

        await r.NextResultAsync(ct);
        var teams = new List<TeamWork>();
        while (await r.ReadAsync(ct))
        {
            teams.Add(new TeamWork(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)));
        }

        await r.NextResultAsync(ct);
        var persons = new List<PersonWork>();
        while (await r.ReadAsync(ct))
        {
            persons.Add(new PersonWork(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        }

        await r.NextResultAsync(ct);
        var provinces = new List<ProvinceRow>();
        while (await r.ReadAsync(ct))
        {
            provinces.Add(new ProvinceRow(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)));
        }

        await r.NextResultAsync(ct);
        var series = await VolumeRowsAsync(r, ct);

        var breakdowns = new Dictionary<StatsDimension, IReadOnlyList<Count>>();
        foreach (var d in dimensions)
        {
            await r.NextResultAsync(ct);
            breakdowns[d] = await CountsAsync(r, ct);
        }

        return new Dashboard(
            filter,
            now,
            cases,
            reports,
            new Indicators(new Share(supported, victims), violators),
            new Timeliness(firstResponse, awaiting, overdue, distribution, firstReferral, acknowledgement, iDue, iMet, iMissed, iPending, iOverdue),
            new Outcomes(closeReasons.Sum(x => x.N), closeReasons, referralStates, referralOutcomes, takedowns, knownCases, byBank),
            new Operations(cbCreated, cbDone, callbackTime, cbOverdue, handoffs, answered, wait, repeat, repeatCases, teams, persons),
            bucket,
            series,
            [.. provinces.OrderBy(p => p.Support.Rate ?? 2).ThenByDescending(p => p.Cases).ThenBy(p => p.Province, StringComparer.Ordinal)],
            breakdowns);
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

    private static string KeyOf(StatsDimension by) => by switch
    {
        StatsDimension.Channel => "c.channel",
        StatsDimension.ChannelInstance => "c.channel_instance",
        StatsDimension.Province => "COALESCE(c.province_code, 'unknown')",
        StatsDimension.Category => "COALESCE(k.category, 'unclassified')",
        StatsDimension.Urgency => "c.urgency",
        StatsDimension.ReporterRole => "COALESCE(r.envelope -> 'reporter' ->> 'role', 'unknown')",
        _ => "COALESCE(r.envelope -> 'reporter' ->> 'ageBand', 'unknown')",
    };

    private static string JoinOf(StatsDimension by) => by switch
    {
        StatsDimension.Category => "LEFT JOIN LATERAL unnest(CASE WHEN cardinality(c.categories) = 0 THEN NULL ELSE c.categories END) AS k(category) ON true",
        StatsDimension.ReporterRole or StatsDimension.AgeBand => "JOIN reports r ON r.id = c.id", // the report that opened the case
        _ => string.Empty,
    };

    private static string VolumeSql(StatsBucket bucket, StatsDimension by)
    {
        var unit = bucket switch
        {
            StatsBucket.Day => "day",
            StatsBucket.Week => "week",
            StatsBucket.Month => "month",
            _ => "year",
        };
        return $"SELECT date_trunc('{unit}', c.received_at AT TIME ZONE '{Zone}')::date AS period, {KeyOf(by)} AS key, count(*) FROM cases c {JoinOf(by)} WHERE {Where} GROUP BY 1, 2 ORDER BY 1, 2";
    }

    private static void Add(NpgsqlBatch batch, string sql, StatsFilter filter, StatsScope scope, DateTimeOffset? now = null, bool law = false)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("from", filter.From.ToDateTime(TimeOnly.MinValue)));
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("to", filter.To.ToDateTime(TimeOnly.MinValue)));
        cmd.Parameters.Add(Sql.Text("province", filter.Province));
        cmd.Parameters.Add(Sql.Text("channel", filter.Channel));
        cmd.Parameters.Add(new NpgsqlParameter<bool>("all", scope.All));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("teams", [.. scope.Teams]));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("provinces", [.. scope.Provinces]));
        if (now is { } n)
        {
            cmd.Parameters.Add(Sql.Ts("now", n));
        }

        if (law)
        {
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("law", [.. LawEnforcementTeams]));
        }

        batch.BatchCommands.Add(cmd);
    }

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static async Task<IReadOnlyList<Count>> CountsAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        var rows = new List<Count>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new Count(r.IsDBNull(0) ? "unknown" : r.GetString(0), r.GetInt64(1)));
        }

        return rows;
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
