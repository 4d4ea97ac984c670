using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Core.Taxonomy;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hub.Benchmarks;

/// <summary>
/// <c>cases</c>: the case store on a private PostgreSQL (fsync on), each figure beside a floor measured in the same run.
/// (1) ProcessReport's throughput into PostgreSQL against plain INSERTs of the same rows at the same concurrency;
/// (2) on 1,000,000 cases of which 5,000 are open: the team queue (keyset-paged), case detail (an audited read) and the
/// overdue list, beside a bare round trip; and the queue query's plan.
/// </summary>
internal static class CaseBenchmarks
{
    public static async Task<int> RunAsync(string[] args)
    {
        var reports = Arg(args, "--reports", 20_000);
        var concurrency = Arg(args, "--concurrency", 16);
        var total = Arg(args, "--cases", 1_000_000);
        var open = Arg(args, "--open", 5_000);
        var queries = Arg(args, "--queries", 2_000);
        await using var pg = await BenchDatabase.StartAsync();
        Console.WriteLine($"PostgreSQL {pg.Cluster.Binaries} (fsync on), {Environment.ProcessorCount} cores; {reports} reports at concurrency {concurrency}; {total} cases ({open} open)");

        var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        if (only is null or "throughput")
        {
            await ThroughputAsync(pg, reports, concurrency);
        }

        if (only is null or "scale")
        {
            await ScaleAsync(pg, total, open, queries);
        }
        return 0;
    }

    private static async Task ThroughputAsync(BenchDatabase pg, int reports, int concurrency)
    {
        var envelopes = Enumerable.Range(0, reports + 1000).Select(Envelope).ToArray();
        var (floorApp, _) = await pg.CreateAsync("floor");
        var (floor2App, _) = await pg.CreateAsync("floor2");
        var (procApp, procAdmin) = await pg.CreateAsync("processor");

        var floor1 = await FloorAsync(floorApp, envelopes, reports, concurrency);
        var options = Options.Create(new HubOptions { Cases = { ConnectionString = procApp, AdminConnectionString = procAdmin } });
        await using var database = BenchDatabase.Open(options);
        var store = new PostgresCaseStore(database, options, TimeProvider.System);
        var processor = new ReportProcessor(store, options, NullLogger<ReportProcessor>.Instance);
        var json = envelopes.Select(e => JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope)).ToArray();
        var (procRate, procLatencies) = await RunAtAsync(reports, concurrency, i => processor.ProcessAsync(json[i + 1000], CancellationToken.None), warmup: i => processor.ProcessAsync(json[i], CancellationToken.None));
        var floor2 = await FloorAsync(floor2App, envelopes, reports, concurrency);
        var floorRate = (floor1.Rate + floor2.Rate) / 2;
        Console.WriteLine();
        Console.WriteLine("| path | cases/s | p50 ms | p99 ms | ÷ floor |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(Row("floor: plain INSERTs of the same rows, no roll-up (before)", floor1.Rate, floor1.Latencies, floorRate));
        Console.WriteLine(Row("ProcessReport into PostgreSQL", procRate, procLatencies, floorRate));
        Console.WriteLine(Row("floor: plain INSERTs of the same rows, no roll-up (after)", floor2.Rate, floor2.Latencies, floorRate));
        await using var check = new NpgsqlConnection(procAdmin);
        await check.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM cases", check);
        Console.WriteLine($"processor database: {(long)(await count.ExecuteScalarAsync())!} cases for {reports + 1000} envelopes");

        // What the writers left for the statistics' folder (docs/statistics.md#speed): one fold of every new case, the work the hub does in the background.
        var folding = Stopwatch.StartNew();
        var folded = await Hub.Functions.Statistics.StatsFolder.FoldAsync(database, CancellationToken.None);
        folding.Stop();
        await using var exact = new NpgsqlCommand("SELECT stats_check()", check);
        Console.WriteLine($"statistics fold: {folded} cases recomputed in {folding.Elapsed.TotalMilliseconds:F0} ms ({folded / folding.Elapsed.TotalSeconds:F0} cases/s); stats_check() = {(long)(await exact.ExecuteScalarAsync())!}");
    }

    /// <summary>What the processor's one statement amounts to, as two plain INSERTs in one round trip (no idempotency, no follow-up, no clocks).</summary>
    private static async Task<(double Rate, List<double> Latencies)> FloorAsync(string connection, ReportEnvelope[] envelopes, int reports, int concurrency)
    {
        // The same connection settings as the hub's (statements prepared automatically), so only the work differs; the
        // statistics' roll-up deferred (hub.stats_deferred), so the floor is the rows alone and the processor's figure
        // includes what its triggers cost (docs/statistics.md#speed).
        await using var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connection) { MaxAutoPrepare = 64, Options = "-c hub.stats_deferred=on" });
        async Task Insert(int i)
        {
            var e = envelopes[i];
            await using var batch = source.CreateBatch();
            var c = new NpgsqlBatchCommand(
                "INSERT INTO cases (id, reference_code, channel, channel_instance, urgency, categories, province_code, reporter_pseudonym, received_at, created_at, team_id, queue_rank, first_response_due) " +
                "VALUES (@id, @code, @channel, @instance, @urgency, @categories, @province, @pseudonym, @received, @now, @team, @rank, @due)");
            c.Parameters.Add(new NpgsqlParameter<string>("id", e.Id));
            c.Parameters.Add(new NpgsqlParameter<string>("code", e.ReferenceCode));
            c.Parameters.Add(new NpgsqlParameter<string>("channel", e.Channel));
            c.Parameters.Add(new NpgsqlParameter<string>("instance", e.ChannelInstance));
            c.Parameters.Add(new NpgsqlParameter<string>("urgency", e.Signals.Urgency));
            c.Parameters.Add(new NpgsqlParameter<string[]>("categories", e.Incident.Categories.ToArray()));
            c.Parameters.Add(new NpgsqlParameter<string>("province", e.Location!.ProvinceCode!));
            c.Parameters.Add(new NpgsqlParameter<string>("pseudonym", e.Reporter.Pseudonym!));
            c.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("received", e.ReceivedAt.ToUniversalTime()));
            c.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", TimeProvider.System.GetUtcNow()));
            c.Parameters.Add(new NpgsqlParameter<string>("team", "province-" + e.Location.ProvinceCode));
            c.Parameters.Add(new NpgsqlParameter<short>("rank", CaseClock.Rank(e.Signals.Urgency)));
            c.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("due", CaseClock.FirstResponseDue(e.ReceivedAt, e.Signals.Urgency, new CaseClockOptions()).ToUniversalTime()));
            var r = new NpgsqlBatchCommand(
                "INSERT INTO reports (id, case_id, channel_instance, provider_message_id, reference_code, revision, received_at, created_at, envelope) VALUES (@id, @id, @instance, @mid, @code, 1, @received, @now, @envelope::jsonb)");
            r.Parameters.Add(new NpgsqlParameter<string>("id", e.Id));
            r.Parameters.Add(new NpgsqlParameter<string>("instance", e.ChannelInstance));
            r.Parameters.Add(new NpgsqlParameter<string>("mid", e.Source.ProviderMessageId));
            r.Parameters.Add(new NpgsqlParameter<string>("code", e.ReferenceCode));
            r.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("received", e.ReceivedAt.ToUniversalTime()));
            r.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", TimeProvider.System.GetUtcNow()));
            r.Parameters.Add(new NpgsqlParameter<string>("envelope", JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope)));
            batch.BatchCommands.Add(c);
            batch.BatchCommands.Add(r);
            await batch.ExecuteNonQueryAsync();
        }

        return await RunAtAsync(reports, concurrency, i => Insert(i + 1000), warmup: Insert);
    }

    private static async Task ScaleAsync(BenchDatabase pg, int total, int open, int queries)
    {
        var (app, admin) = await pg.CreateAsync("scale");
        var seeded = await BenchDatabase.SeedAsync(admin, total, open);
        Console.WriteLine();
        Console.WriteLine($"seeded {total} cases ({open} open) in {seeded.TotalSeconds:F0} s");
        var options = Options.Create(new HubOptions { Cases = { ConnectionString = app, AdminConnectionString = admin, MigrateOnStart = false } });
        await using var database = BenchDatabase.Open(options);
        var audit = new AuditLog(database, TimeProvider.System);
        var service = new CaseService(database, audit, TimeProvider.System);
        var actor = Actor.Console("bench");
        var teams = Provinces.All.Select(p => "province-" + p.Code).Append(PostgresCaseStore.CentralTeam).ToArray();
        var rng = new Random(830);
        var source = await database.GetAsync(CancellationToken.None);

        async Task RoundTrip()
        {
            await using var cmd = source.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync();
        }

        var floor = await TimeEachAsync(queries, _ => RoundTrip());
        var page1 = await TimeEachAsync(queries, _ => service.QueueAsync(actor, teams[rng.Next(teams.Length)], null, null, 50, CancellationToken.None));
        var page2 = await TimeEachAsync(queries, async _ =>
        {
            var first = await service.QueueAsync(actor, teams[rng.Next(teams.Length)], null, null, 50, CancellationToken.None);
            if (first.Count > 0)
            {
                await service.QueueAsync(actor, first[0].TeamId, null, CaseService.Cursor(first[^1]), 50, CancellationToken.None);
            }
        });
        var detail = await TimeEachAsync(queries, _ => service.GetDetailAsync(actor, "SEED" + (1 + rng.Next(total)).ToString("D22", CultureInfo.InvariantCulture), CancellationToken.None));
        var overdue = await TimeEachAsync(queries / 4, _ => service.OverdueAsync(actor, teams[rng.Next(teams.Length)], 100, CancellationToken.None));
        var overdueAll = await TimeEachAsync(queries / 10, _ => service.OverdueByTeamAsync(CancellationToken.None));

        Console.WriteLine();
        Console.WriteLine($"| query ({total.ToString("N0", CultureInfo.InvariantCulture)} cases, {open.ToString("N0", CultureInfo.InvariantCulture)} open) | p50 ms | p99 ms | p99 ÷ round trip p99 |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, l) in new[]
        {
            ("floor: a bare round trip (SELECT 1)", floor),
            ("team queue, first page of 50", page1),
            ("team queue, first page + the next by keyset", page2),
            ("case detail (history, notes, links, call-backs, repeat counts; audited)", detail),
            ("overdue list of one team (100)", overdue),
            ("overdue counts per team and urgency", overdueAll),
        })
        {
            Console.WriteLine($"| {name} | {P(l, 0.50):F2} | {P(l, 0.99):F2} | {P(l, 0.99) / P(floor, 0.99):F1}× |");
        }

        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync();
        await using var explain = new NpgsqlCommand(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.reference_code, c.urgency, c.queue_rank, c.status, c.received_at FROM cases c " +
            "WHERE c.team_id = 'province-01' AND c.status <> 'closed' AND c.status = ANY('{new,reopened,open,referred}') " +
            "AND (c.queue_rank, c.received_at, c.id) > (-1, '-infinity', '') ORDER BY c.queue_rank, c.received_at, c.id LIMIT 50", conn);
        Console.WriteLine();
        Console.WriteLine("EXPLAIN of the team queue query:");
        await using (var r = await explain.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                Console.WriteLine("    " + r.GetString(0));
            }
        }

        await using var size = new NpgsqlCommand("SELECT pg_size_pretty(pg_total_relation_size('cases')), pg_size_pretty(pg_total_relation_size('reports')), pg_size_pretty(pg_relation_size('cases_queue'))", conn);
        await using (var r = await size.ExecuteReaderAsync())
        {
            await r.ReadAsync();
            Console.WriteLine($"sizes: cases {r.GetString(0)} (with indexes), reports {r.GetString(1)}, the queue index {r.GetString(2)}");
        }
    }

    private static ReportEnvelope Envelope(int i)
    {
        var p = Provinces.All[i % Provinces.All.Count];
        return new ReportEnvelope
        {
            Id = ReportId.New(TimeProvider.System),
            ReceivedAt = TimeProvider.System.GetUtcNow(),
            Channel = ReportChannels.Sms,
            ChannelInstance = "bench-sms",
            ReferenceCode = "B" + (i % 1000).ToString("D3", CultureInfo.InvariantCulture) + "-" + (i / 1000 % 10000).ToString("D4", CultureInfo.InvariantCulture),
            Source = new ReportSource { Provider = "twilio", ProviderMessageId = "SM" + Guid.NewGuid().ToString("N") },
            Reporter = new Reporter { Pseudonym = "ps1_" + (i % 5000).ToString("x8", CultureInfo.InvariantCulture), ContactRef = "v1.b1.c2VhbGVkLWNvbnRhY3Q" },
            Incident = new Incident { Description = "Có người dọa tung ảnh của em lên mạng, em ở " + p.Name, Categories = ["OCSEA.SEXTORTION"] },
            Location = new Location { ProvinceCode = p.Code, Basis = "text" },
            Signals = new Signals { Urgency = (i % 4) switch { 0 => Urgencies.Immediate, 1 => Urgencies.High, 2 => Urgencies.Normal, _ => Urgencies.Low } },
        };
    }

    private static async Task<(double Rate, List<double> Latencies)> RunAtAsync(int count, int concurrency, Func<int, Task> work, Func<int, Task> warmup)
    {
        for (var i = 0; i < 1000; i += concurrency)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(concurrency, 1000 - i)).Select(warmup));
        }

        var latencies = new List<double>(count);
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var mine = new List<double>();
            for (int i; (i = Interlocked.Increment(ref next)) < count;)
            {
                var t = Stopwatch.GetTimestamp();
                await work(i);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }

            lock (latencies)
            {
                latencies.AddRange(mine);
            }
        }));
        return (count / clock.Elapsed.TotalSeconds, latencies);
    }

    internal static async Task<List<double>> TimeEachAsync(int count, Func<int, Task> work)
    {
        for (var i = 0; i < Math.Min(50, count); i++)
        {
            await work(i);
        }

        var list = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await work(i);
            list.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        return list;
    }

    private static string Row(string name, double rate, List<double> latencies, double floor) =>
        $"| {name} | {rate:F0} | {P(latencies, 0.50):F2} | {P(latencies, 0.99):F2} | {rate / floor:F2} |";

    internal static double P(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }

    internal static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
