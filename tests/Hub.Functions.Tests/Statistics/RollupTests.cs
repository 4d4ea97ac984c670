using System.Text.Json;
using Hub.Core.Statistics;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Statistics;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Hub.Functions.Tests.Statistics;

/// <summary>
/// The statistics' roll-up (docs/statistics.md#speed) against the rows it sums: two thousand seeded cases over two
/// years, then changed row by row with the triggers live — provinces, categories, closes, reopenings, merges, reporters
/// moved, cases moved in time and deleted, referrals, call-backs, takedowns, follow-up reports, chat replies, known
/// material. After that, the roll-up must be exactly a recomputation (<c>stats_check()</c> = 0), and every figure of
/// the dashboard must be the same read three ways: from the sums by day, from the cases' rows of the roll-up, and by
/// the plain SQL the statistics were first written in (<see cref="ReferenceStatistics"/>, percentiles to their bucket).
/// </summary>
public sealed class RollupTests(RollupStory story) : IClassFixture<RollupStory>
{
    public static TheoryData<string> Periods => ["2032-07-01..2034-06-30", "2033-01-01..2033-12-31", "2033-03-01..2033-05-31", "2033-03-01..2033-03-31", "2033-03-10..2033-03-10", "2034-06-01..2034-06-30"];

    [Fact]
    public async Task TheRollup_IsExactlyARecomputation_AfterEveryKindOfChange()
    {
        (await story.ScalarAsync("SELECT stats_check()")).ShouldBe(0);
        (await story.ScalarAsync("SELECT count(*) FROM stats_cases")).ShouldBe(await story.ScalarAsync("SELECT count(*) FROM cases"), "one row per case");

        // the story really changed what the roll-up counts: these are not seeded, so the triggers put them there
        (await story.ScalarAsync("SELECT COALESCE(sum(n), 0)::bigint FROM stats_days WHERE key LIKE 'ref.state:%'")).ShouldBeGreaterThan(0);
        (await story.ScalarAsync("SELECT COALESCE(sum(n), 0)::bigint FROM stats_days WHERE key = 'ho.answered'")).ShouldBeGreaterThan(0);
        (await story.ScalarAsync("SELECT COALESCE(sum(n), 0)::bigint FROM stats_days WHERE key = 'known'")).ShouldBeGreaterThan(0);
        (await story.ScalarAsync("SELECT COALESCE(sum(n), 0)::bigint FROM stats_days WHERE key = 'known.bank:bank-b'")).ShouldBeGreaterThan(0);
        (await story.ScalarAsync("SELECT COALESCE(sum(n), 0)::bigint FROM stats_days WHERE key LIKE 'h.td:%'")).ShouldBeGreaterThan(0);
        (await story.ScalarAsync("SELECT COALESCE(sum(n), 0)::bigint FROM stats_days WHERE key LIKE 'close:duplicate%'")).ShouldBe(0, "a merged case counts only its reports");
    }

    [Fact]
    public async Task Folding_MovesTheDeltaIntoTheSums_AndChangesNoFigure()
    {
        var year = Parse("2033-01-01..2033-12-31");
        await using (var db = story.Admin())
        await using (var change = db.CreateCommand("UPDATE cases SET urgency = 'high' WHERE id IN (SELECT id FROM cases WHERE received_at >= '2033-02-01' ORDER BY id LIMIT 5)"))
        {
            (await change.ExecuteNonQueryAsync()).ShouldBe(5, "a change to fold, whatever the other tests folded before");
        }

        var before = Json(await story.Stats.DashboardAsync(year, StatsScope.Everything, false, CancellationToken.None));
        var pending = await story.ScalarAsync("SELECT count(DISTINCT case_id) FROM stats_dirty");
        pending.ShouldBeGreaterThanOrEqualTo(5, "the changes were noted by the triggers");

        (await StatsFolder.FoldAsync(story.Database, CancellationToken.None)).ShouldBe(pending);
        (await story.ScalarAsync("SELECT count(*) FROM stats_dirty")).ShouldBe(0);
        (await story.ScalarAsync("SELECT count(*) FROM stats_delta")).ShouldBe(0);
        (await story.ScalarAsync("SELECT stats_check()")).ShouldBe(0);
        (await story.ScalarAsync("SELECT count(*) FROM (SELECT * FROM case_stats EXCEPT SELECT * FROM stats_rows(ARRAY(SELECT id FROM cases))) AS d")).ShouldBe(0, "folded: the stored rows are exact");
        (await story.ScalarAsync("SELECT count(*) FROM case_stats")).ShouldBe(await story.ScalarAsync("SELECT count(*) FROM cases"), "a deleted case's row went with the fold");
        Json(await story.Stats.DashboardAsync(year, StatsScope.Everything, false, CancellationToken.None)).ShouldBe(before);
        (await StatsFolder.FoldAsync(story.Database, CancellationToken.None)).ShouldBe(0, "nothing left to fold");
    }

    [Fact]
    public async Task ConcurrentChangesToOneCase_AreAllCounted()
    {
        // four writers at once on the same three cases, each change in its own transaction, as the hub's functions
        // write them (the app's role): a referral here, a call-back there, a follow-up report, the case's own row;
        // meanwhile a folder folds again and again, as the hub's does every few seconds
        var source = await story.App();
        using var stop = new CancellationTokenSource();
        var folds = 0;
        var folder = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await StatsFolder.FoldAsync(story.Database, CancellationToken.None) >= 0)
                {
                    folds++;
                }
            }
        });
        string[] ids = [.. await story.IdsAsync("SELECT id FROM cases WHERE status <> 'closed' ORDER BY id LIMIT 3")];
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 15; i++)
            {
                var id = ids[(w + i) % ids.Length];
                var key = $"{w}-{i}";
                var sql = (i % 4) switch
                {
                    0 => $"INSERT INTO callback_tasks (case_id, contact_ref, created_at, due_at) SELECT id, 'race-{key}', received_at, received_at + interval '1 hour' FROM cases WHERE id = '{id}'",
                    1 => $"INSERT INTO referrals (id, case_id, to_team, from_team, state, reason, sharing, consent_basis, sent_at, acknowledge_due) SELECT 'RACE{key}', id, 'police-48', team_id, 'accepted', 'chuyển', 'summary', 'reporter', received_at, received_at + interval '1 hour' FROM cases WHERE id = '{id}'",
                    2 => $"INSERT INTO reports (id, case_id, channel_instance, provider_message_id, reference_code, revision, received_at, created_at, envelope) SELECT 'RACE{key}', id, 'seed', 'race-{key}', reference_code, 1, received_at, received_at, jsonb_build_object('incident', jsonb_build_object('urls', jsonb_build_array('https://race.example/{key}'))) FROM cases WHERE id = '{id}'",
                    _ => $"UPDATE cases SET first_response_at = CASE WHEN first_response_at IS NULL THEN received_at + interval '{i} minutes' END WHERE id = '{id}'",
                };
                await using var cmd = source.CreateCommand(sql);
                (await cmd.ExecuteNonQueryAsync()).ShouldBe(1);
            }
        }));
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await folder;
        folds.ShouldBeGreaterThan(0);

        (await story.ScalarAsync("SELECT stats_check()")).ShouldBe(0, "no writer's change was lost to another's or to a fold");
        await StatsFolder.FoldAsync(story.Database, CancellationToken.None);
        (await story.ScalarAsync("SELECT count(*) FROM (SELECT * FROM case_stats EXCEPT SELECT * FROM stats_rows(ARRAY(SELECT id FROM cases))) AS d")).ShouldBe(0);
        (await story.ScalarAsync($"SELECT sum(n)::bigint FROM stats_days WHERE key = 'cb' AND day IN (SELECT day FROM case_stats WHERE case_id IN ('{string.Join("', '", ids)}'))"))
            .ShouldBeGreaterThanOrEqualTo(16);
    }

    [Fact]
    public async Task ACorruptedSum_IsFound_AndARebuildMakesItExactAgain()
    {
        await using var db = story.Admin();
        await using (var tx = await db.OpenConnectionAsync())
        {
            await using var t = await tx.BeginTransactionAsync();
            await using (var corrupt = new NpgsqlCommand("UPDATE stats_daily SET n = n + 1 WHERE (day, channel, key) IN (SELECT day, channel, key FROM stats_daily WHERE key = 'cases' LIMIT 3)", tx, t))
            {
                await corrupt.ExecuteNonQueryAsync();
            }

            await using (var check = new NpgsqlCommand("SELECT stats_check()", tx, t))
            {
                ((long)(await check.ExecuteScalarAsync())!).ShouldBe(3);
            }

            // The sums by team and province are checked too (a scope's dashboard reads them).
            await using (var corrupt = new NpgsqlCommand("UPDATE stats_scoped SET n = n - 1 WHERE (team_id, day, channel, province, key) IN (SELECT team_id, day, channel, province, key FROM stats_scoped WHERE key = 'victim' AND n > 0 LIMIT 2)", tx, t))
            {
                (await corrupt.ExecuteNonQueryAsync()).ShouldBe(2);
            }

            await using (var check = new NpgsqlCommand("SELECT stats_check()", tx, t))
            {
                ((long)(await check.ExecuteScalarAsync())!).ShouldBe(5);
            }

            await using (var rebuild = new NpgsqlCommand("SELECT stats_rebuild()", tx, t))
            {
                ((long)(await rebuild.ExecuteScalarAsync())!).ShouldBe(await story.ScalarAsync("SELECT count(*) FROM cases"));
            }

            await using (var check = new NpgsqlCommand("SELECT stats_check()", tx, t))
            {
                ((long)(await check.ExecuteScalarAsync())!).ShouldBe(0);
            }

            await t.RollbackAsync(); // the other tests read the story as the triggers left it
        }
    }

    [Theory]
    [MemberData(nameof(Periods))]
    public async Task TheDashboard_IsTheSameReadEveryWay_ForTheWholeCountry(string period)
    {
        var filter = Parse(period);
        await SameEveryWayAsync(filter, StatsScope.Everything);
        await SameEveryWayAsync(filter with { Channel = "sms" }, StatsScope.Everything);
    }

    [Theory]
    [MemberData(nameof(Periods))]
    public async Task TheDashboard_IsTheSameReadEveryWay_ByProvinceAndScope(string period)
    {
        var filter = Parse(period);
        await SameEveryWayAsync(filter with { Province = "48" }, StatsScope.Everything);
        await SameEveryWayAsync(filter with { Province = "unknown", Channel = "zalo" }, StatsScope.Everything);
        await SameEveryWayAsync(filter, new StatsScope(false, ["province-48"], ["48"]));
        await SameEveryWayAsync(filter, new StatsScope(false, ["central-111"], []));
    }

    [Fact]
    public async Task RepeatReporters_AreCountedInThePeriodOnly()
    {
        // the story's reporters come back every few weeks: a year has many, a day has none that the month has
        var year = await story.Stats.DashboardAsync(Parse("2033-01-01..2033-12-31"), StatsScope.Everything, false, CancellationToken.None);
        var day = await story.Stats.DashboardAsync(Parse("2033-03-10..2033-03-10"), StatsScope.Everything, false, CancellationToken.None);
        year.Operations.RepeatReporters.ShouldBeGreaterThan(30);
        year.Operations.RepeatReporterCases.ShouldBeGreaterThan(year.Operations.RepeatReporters * 2);
        day.Operations.RepeatReporters.ShouldBeLessThan(year.Operations.RepeatReporters);
    }

    [Fact]
    public async Task TheLawEnforcementTeams_AreTheSameInCodeAndInTheRollup()
    {
        await using var db = story.Admin();
        await using var cmd = db.CreateCommand("SELECT stats_law_teams()");
        ((string[])(await cmd.ExecuteScalarAsync())!).ShouldBe([.. CaseStatistics.LawEnforcementTeams]);
    }

    [Fact]
    public async Task TheBuckets_OfCodeAndSql_Agree()
    {
        long[] samples = [0, 59, 60, 899, 900, 3599, 3600, 3601, 14399, 43200, 86399, 86400, 90000, 604799, 604800, 700000, 9_000_000];
        await using var db = story.Admin();
        foreach (var s in samples)
        {
            await using var cmd = db.CreateCommand($"SELECT stats_bucket({s})");
            ((long)(await cmd.ExecuteScalarAsync())!).ShouldBe(Bucket(s), $"{s} s");
        }
    }

    private static StatsFilter Parse(string period)
    {
        var parts = period.Split("..");
        return new StatsFilter(DateOnly.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task SameEveryWayAsync(StatsFilter filter, StatsScope scope)
    {
        var people = !scope.All;
        var daily = await story.Stats.DashboardAsync(filter, scope, people, CancellationToken.None);
        var rows = await story.RowStats.DashboardAsync(filter, scope, people, CancellationToken.None);
        var reference = Bucketed(await story.Reference.DashboardAsync(filter, scope, people, CancellationToken.None));

        var expected = Json(reference);
        Json(rows).ShouldBe(expected, $"the roll-up's rows, {filter} {scope.All}");
        Json(daily).ShouldBe(expected, $"the sums by day, {filter} {scope.All}");
        (await story.Stats.IndicatorsAsync(filter, scope, CancellationToken.None)).ShouldBe(reference.Indicators);
        if (filter.To.DayNumber - filter.From.DayNumber >= 27)
        {
            reference.Cases.ShouldBeGreaterThan(0, "each month of the story has cases in every filter");
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static string Json(Dashboard d) => JsonSerializer.Serialize(d, Indented);

    // The same as stats_bucket in V013: to the minute under an hour, ten minutes under a day, the hour under a week, the day beyond.
    internal static long Bucket(long s) => s switch
    {
        < 0 => 0,
        < 3600 => s / 60 * 60,
        < 86400 => s / 600 * 600,
        < 604800 => s / 3600 * 3600,
        _ => s / 86400 * 86400,
    };

    private static long? B(long? s) => s is { } v ? Bucket(v) : null;

    private static Durations B(Durations d) => d with { P50Seconds = B(d.P50Seconds), P90Seconds = B(d.P90Seconds) };

    // The plain SQL's percentiles are measured values; the roll-up's, their bucket's lower bound (a monotonic map, so
    // the bucket of the exact percentile is the percentile of the buckets).
    private static Dashboard Bucketed(Dashboard d) => d with
    {
        Timeliness = d.Timeliness with
        {
            FirstResponse = B(d.Timeliness.FirstResponse),
            FirstReferral = B(d.Timeliness.FirstReferral),
            ReferralAcknowledgement = B(d.Timeliness.ReferralAcknowledgement),
        },
        Outcomes = d.Outcomes with
        {
            Takedowns = [.. d.Outcomes.Takedowns.Select(t => t with { P50RemovalSeconds = B(t.P50RemovalSeconds), P90RemovalSeconds = B(t.P90RemovalSeconds) })],
        },
        Operations = d.Operations with { CallbackTime = B(d.Operations.CallbackTime), HandoffWait = B(d.Operations.HandoffWait) },
    };
}

/// <summary>The seeded and changed cases of <see cref="RollupTests"/>, in their own database.</summary>
public sealed class RollupStory : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2034, 6, 30, 5, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);

    private PostgresDatabase _database = null!;
    private CaseDatabase _cases = null!;

    public CaseStatistics Stats => new(_cases, _time);

    public CaseDatabase Database => _cases;

    public CaseStatistics RowStats => new(_cases, _time) { RowsOnly = true };

    internal ReferenceStatistics Reference => new(_cases, _time);

    public NpgsqlDataSource Admin() => NpgsqlDataSource.Create(_database.AdminConnectionString);

    /// <summary>The hub's own connections (the app role), as its functions write.</summary>
    public async Task<NpgsqlDataSource> App() => await _cases.GetAsync(CancellationToken.None);

    public async Task<IReadOnlyList<string>> IdsAsync(string sql)
    {
        await using var db = Admin();
        await using var cmd = db.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await r.ReadAsync())
        {
            ids.Add(r.GetString(0));
        }

        return ids;
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var db = Admin();
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task InitializeAsync()
    {
        _database = await PostgresServer.CreateDatabaseAsync();
        _cases = _database.Open();
        await _cases.GetAsync(CancellationToken.None); // migrated
        await using var admin = Admin();

        // 2,000 cases over two years, the last 200 still waiting; 60 reporters, each back every few weeks
        await CaseSeeder.SeedAsync(admin, 2000, 200, 60, Now, CancellationToken.None);

        // every statement below changes rows one by one with the triggers live (no deferral); halfway, a fold
        string[] changes =
        [
            "INSERT INTO users (login, display_name, created_at) VALUES ('tv-1', 'Tư vấn 1', now()), ('tv-2', 'Tư vấn 2', now()), ('tv-3', 'Tư vấn 3', now())",
            "UPDATE cases SET province_code = (ARRAY['01', '48', '79'])[1 + n % 3] FROM (SELECT id AS cid, substr(id, 5)::int AS n FROM cases) AS x WHERE id = cid AND n % 4 <> 0",
            "UPDATE cases SET categories = ARRAY['INFO'] WHERE substr(id, 5)::int % 11 = 0",
            "UPDATE cases SET categories = '{}' WHERE substr(id, 5)::int % 13 = 0",
            "UPDATE cases SET categories = ARRAY['ONLINE.BULLYING', 'OCSEA.SEXTORTION'] WHERE substr(id, 5)::int % 14 = 0",
            "UPDATE cases SET owner_id = (SELECT id FROM users ORDER BY id OFFSET substr(cases.id, 5)::int % 3 LIMIT 1) WHERE status = 'closed' AND substr(id, 5)::int % 2 = 0",
            "UPDATE cases SET status = 'open', owner_id = (SELECT min(id) FROM users), first_response_at = received_at + interval '3 minutes' WHERE status = 'new' AND substr(id, 5)::int % 3 = 0",
            "UPDATE cases SET close_reason = 'duplicate' WHERE status = 'closed' AND substr(id, 5)::int % 17 = 0",
            "UPDATE cases SET close_reason = 'not-child-protection' WHERE status = 'closed' AND substr(id, 5)::int % 19 = 0",
            "UPDATE cases SET close_reason = 'prank' WHERE status = 'closed' AND substr(id, 5)::int % 53 = 0",
            "UPDATE cases SET status = 'reopened', close_reason = NULL, closed_at = NULL, owner_id = NULL WHERE status = 'closed' AND substr(id, 5)::int % 23 = 0",
            "UPDATE cases SET first_response_at = NULL WHERE substr(id, 5)::int % 29 = 0",
            "UPDATE cases SET first_response_at = received_at + interval '30 hours' WHERE first_response_at IS NOT NULL AND substr(id, 5)::int % 47 = 0",
            "UPDATE cases SET intervention_done_at = received_at + make_interval(hours => substr(id, 5)::int % 20) WHERE intervention_due IS NOT NULL AND substr(id, 5)::int % 4 = 0",
            "UPDATE cases SET reporter_pseudonym = 'seed-7' WHERE substr(id, 5)::int % 31 = 0",
            "UPDATE cases SET reporter_pseudonym = NULL WHERE substr(id, 5)::int % 59 = 0",
            "UPDATE cases SET received_at = received_at - interval '9 days' WHERE substr(id, 5)::int % 37 = 0",
            "UPDATE cases SET channel = 'web' WHERE substr(id, 5)::int % 41 = 0",
            """
            INSERT INTO referrals (id, case_id, to_team, from_team, state, reason, sharing, consent_basis, sent_at, acknowledge_due, acknowledged_at, outcome)
            SELECT 'REF' || c.id, c.id, (ARRAY['police-48', 'agency-a05', 'agency-moet', 'province-01', 'agency-criminal-police'])[1 + n % 5], c.team_id,
                   (ARRAY['sent', 'acknowledged', 'accepted', 'rejected', 'done', 'revoked'])[1 + n % 6], 'chuyển', 'summary', 'reporter',
                   c.received_at + make_interval(mins => 5 + n % 300), c.received_at + make_interval(mins => 65 + n % 300),
                   CASE WHEN n % 6 = 0 THEN NULL ELSE c.received_at + make_interval(mins => 5 + n % 300 + n % 130) END,
                   CASE WHEN n % 6 = 4 THEN (ARRAY['protected', 'prosecuted'])[1 + n % 2] END
            FROM (SELECT *, substr(id, 5)::int AS n FROM cases) AS c WHERE n % 5 = 0
            """,
            """
            INSERT INTO referrals (id, case_id, to_team, from_team, state, reason, sharing, consent_basis, sent_at, acknowledge_due, acknowledged_at)
            SELECT 'RF2' || c.id, c.id, 'agency-mcst-broadcasting', c.team_id, 'sent', 'chuyển', 'summary', 'reporter', c.received_at + interval '2 days', c.received_at + interval '3 days', NULL
            FROM (SELECT *, substr(id, 5)::int AS n FROM cases) AS c WHERE n % 25 = 0
            """,
            "UPDATE referrals SET state = 'done', outcome = 'protected' WHERE substr(case_id, 5)::int % 10 = 0 AND state = 'sent' AND id LIKE 'REF%'",
            """
            INSERT INTO callback_tasks (case_id, contact_ref, created_at, due_at, status, done_at)
            SELECT c.id, 'cb-' || n, c.received_at, c.received_at + interval '1 hour', (ARRAY['open', 'done', 'cancelled', 'done'])[1 + n % 4],
                   CASE WHEN n % 4 IN (1, 3) THEN c.received_at + make_interval(mins => n % 200) END
            FROM (SELECT *, substr(id, 5)::int AS n FROM cases) AS c WHERE n % 7 = 0
            """,
            "DELETE FROM callback_tasks WHERE substr(case_id, 5)::int % 49 = 0",
            """
            INSERT INTO case_takedowns (id, case_id, platform, requested_at, status, confirmed_at, outcome, removed_at)
            SELECT 'TD' || c.id, c.id, (ARRAY['nen-tang', 'mang-xa-hoi'])[1 + n % 2], c.received_at + interval '1 hour',
                   CASE WHEN n / 9 % 3 = 0 THEN 'requested' ELSE 'confirmed' END,
                   CASE WHEN n / 9 % 3 <> 0 THEN c.received_at + interval '2 hours' END,
                   CASE WHEN n / 9 % 3 <> 0 THEN 'removed' END,
                   CASE WHEN n / 9 % 3 = 1 THEN c.received_at + make_interval(hours => 1 + n % 90) END
            FROM (SELECT *, substr(id, 5)::int AS n FROM cases) AS c WHERE n % 9 = 0
            """,
            // the changes so far folded, the rest left for the readers to count live (both paths are read)
            "SELECT stats_fold()",
            // follow-up reports: a URL and an account each, some handed over to a person in chat
            """
            INSERT INTO reports (id, case_id, channel_instance, provider_message_id, reference_code, revision, received_at, created_at, envelope)
            SELECT 'FOLLOW' || c.id, c.id, 'seed', 'follow-' || c.id, c.reference_code, 1, c.received_at + interval '20 minutes', c.received_at + interval '20 minutes',
                   jsonb_build_object('incident', jsonb_build_object('urls', jsonb_build_array('https://social.example/p/' || (n % 300), 'HTTPS://SOCIAL.EXAMPLE/P/' || (n % 300)),
                                                                   'reportedAccounts', jsonb_build_array('@acc' || (n % 40))),
                                      'signals', jsonb_build_object('handoff', n % 16 = 0))
            FROM (SELECT *, substr(id, 5)::int AS n FROM cases) AS c WHERE n % 8 = 0
            """,
            """
            INSERT INTO hash_banks (name, owner_team, kind, created_at) VALUES ('bank-a', 'central-111', 'agency', now()), ('bank-b', 'central-111', 'platform', now())
            """,
            """
            INSERT INTO hash_entries (bank_id, hash_type, value, classification, source, added_at)
            SELECT b.id, 'md5', md5(b.name), 'A1', 'import', now() FROM hash_banks b
            """,
            """
            INSERT INTO case_hash_matches (report_id, entry_id, bank, classification, hash_type, distance, matched_at)
            SELECT r.id, e.id, b.name, 'A1', 'md5', 0, r.received_at FROM reports r JOIN hash_entries e ON true JOIN hash_banks b ON b.id = e.bank_id
            WHERE r.id LIKE 'FOLLOW%' AND (substr(r.case_id, 5)::int % 3 = 1 OR b.name = 'bank-a') AND substr(r.case_id, 5)::int % 5 <> 0
            """,
            // a merge moves a report to the case it duplicates
            "UPDATE reports SET case_id = (SELECT min(id) FROM cases) WHERE id LIKE 'FOLLOW%' AND substr(case_id, 5)::int % 24 = 0",
            // cases deleted with what names them (a retention run does this)
            """
            WITH gone AS (SELECT id FROM cases WHERE substr(id, 5)::int % 43 = 0),
                 a AS (DELETE FROM case_hash_matches WHERE report_id IN (SELECT id FROM reports WHERE case_id IN (SELECT id FROM gone))),
                 b AS (DELETE FROM referrals WHERE case_id IN (SELECT id FROM gone)),
                 d AS (DELETE FROM callback_tasks WHERE case_id IN (SELECT id FROM gone)),
                 e AS (DELETE FROM case_takedowns WHERE case_id IN (SELECT id FROM gone)),
                 f AS (DELETE FROM reports WHERE case_id IN (SELECT id FROM gone))
            SELECT 1
            """,
            "DELETE FROM cases WHERE substr(id, 5)::int % 43 = 0",
        ];

        await using (var conn = await admin.OpenConnectionAsync())
        {
            foreach (var sql in changes)
            {
                await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
                await cmd.ExecuteNonQueryAsync();
            }
        }

        // replies in the chats handed over (the audit, as the console writes it): some before the handoff (not an answer), most after
        var handoffs = new List<(string CaseId, DateTimeOffset At, int N)>();
        await using (var cmd = admin.CreateCommand("SELECT case_id, received_at, substr(case_id, 5)::int FROM reports WHERE (envelope -> 'signals' ->> 'handoff') = 'true' ORDER BY received_at"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                handoffs.Add((r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetInt32(2)));
            }
        }

        var source = await _cases.GetAsync(CancellationToken.None);
        foreach (var (caseId, at, n) in handoffs.Where(h => h.N % 5 != 0))
        {
            var audit = new AuditLog(_cases, new FakeTimeProvider(at + TimeSpan.FromMinutes(n % 3 == 0 ? -5 : 3 + (n % 90))));
            await using var conn = await source.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            await audit.AppendAsync(conn, tx, null, "conversation.reply", caseId, [], null, CancellationToken.None);
            await tx.CommitAsync();
        }
    }

    public async Task DisposeAsync()
    {
        await _cases.DisposeAsync();
        await _database.DisposeAsync();
    }
}
