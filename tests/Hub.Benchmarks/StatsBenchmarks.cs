using System.Globalization;
using Hub.OperatorConsole;
using Hub.Core.Statistics;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Hub.Functions.Statistics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hub.Benchmarks;

/// <summary>
/// <c>stats</c>: the Thống kê page's one round trip (<see cref="CaseStatistics.DashboardAsync"/>) and the annual report
/// (the same figures for a calendar year, suppressed, written as XLSX) on a private PostgreSQL (fsync on) holding
/// <c>--cases</c> synthetic cases over two years (<see cref="Hub.Functions.Cases.CaseSeeder"/>), beside a floor measured
/// in the same run: one <c>count(*)</c> over the same year's cases, the least any exact figure over them can cost.
/// </summary>
internal static class StatsBenchmarks
{
    public static async Task<int> RunAsync(string[] args)
    {
        var total = CaseBenchmarks.Arg(args, "--cases", 5_000_000);
        var queries = CaseBenchmarks.Arg(args, "--queries", 20);
        await using var pg = await BenchDatabase.StartAsync();
        Console.WriteLine($"PostgreSQL {pg.Cluster.Binaries} (fsync on), {Environment.ProcessorCount} cores; {total:N0} cases over two years; {queries} runs of each");
        var (app, admin) = await pg.CreateAsync("stats");
        var seeded = await BenchDatabase.SeedAsync(admin, total, open: 5_000);
        Console.WriteLine($"seeded in {seeded.TotalSeconds:F0} s");

        // The hub's statements give up after Npgsql's default 30 s; on millions of cases a year's figures take longer, and that is what is measured.
        var patient = new NpgsqlConnectionStringBuilder(app) { CommandTimeout = 900 }.ConnectionString;
        var options = Options.Create(new HubOptions { Cases = { ConnectionString = patient, AdminConnectionString = admin, MigrateOnStart = false } });
        await using var database = BenchDatabase.Open(options);
        var stats = new CaseStatistics(database, TimeProvider.System);
        var source = await database.GetAsync(CancellationToken.None);

        var zone = TimeZoneInfo.FindSystemTimeZoneById(CaseStatistics.Zone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(TimeProvider.System.GetUtcNow(), zone).DateTime);
        var year = new StatsFilter(today.AddDays(-364), today);
        var calendar = new StatsFilter(new DateOnly(today.Year - 1, 1, 1), new DateOnly(today.Year - 1, 12, 31));
        var team = new StatsScope(false, ["province-01"], ["01"]);

        long inYear = 0;
        async Task Floor(StatsFilter f)
        {
            await using var cmd = source.CreateCommand(
                $"SELECT count(*) FROM cases c WHERE c.received_at >= ($1::timestamp AT TIME ZONE '{CaseStatistics.Zone}') AND c.received_at < (($2::timestamp + interval '1 day') AT TIME ZONE '{CaseStatistics.Zone}')");
            cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = f.From.ToDateTime(TimeOnly.MinValue) });
            cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = f.To.ToDateTime(TimeOnly.MinValue) });
            cmd.CommandTimeout = 600;
            inYear = (long)(await cmd.ExecuteScalarAsync())!;
        }

        Dashboard? last = null;
        var xlsxBytes = 0;
        var floor = await CaseBenchmarks.TimeEachAsync(queries, _ => Floor(year));
        var yearCases = inYear;
        var everything = await CaseBenchmarks.TimeEachAsync(queries, async _ => last = await stats.DashboardAsync(year, StatsScope.Everything, people: false, CancellationToken.None));
        var supervisor = await CaseBenchmarks.TimeEachAsync(queries, async _ => await stats.DashboardAsync(year, team, people: true, CancellationToken.None));
        var before = year with { From = year.From.AddDays(-365), To = year.From.AddDays(-1) };
        var page = await CaseBenchmarks.TimeEachAsync(queries, async _ =>
        {
            await stats.DashboardAsync(year, StatsScope.Everything, people: false, CancellationToken.None);
            await stats.IndicatorsAsync(before, StatsScope.Everything, CancellationToken.None);
        });
        var annual = await CaseBenchmarks.TimeEachAsync(Math.Max(1, queries / 4), async _ =>
        {
            var d = await stats.DashboardAsync(calendar, StatsScope.Everything, people: false, CancellationToken.None);
            xlsxBytes = StatsExports.Xlsx(StatsTables.Build(d, suppress: true, people: false), [("Báo cáo", "năm " + calendar.From.Year)]).Length;
        });
        var floorCalendar = await CaseBenchmarks.TimeEachAsync(Math.Max(1, queries / 4), _ => Floor(calendar));

        Console.WriteLine();
        Console.WriteLine($"| {total.ToString("N0", CultureInfo.InvariantCulture)} cases; a year = {yearCases.ToString("N0", CultureInfo.InvariantCulture)} of them | runs | p50 ms | p99 ms | p99 ÷ floor p99 |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, l, f) in new[]
        {
            ("floor: count(*) of the year's cases", floor, floor),
            ("dashboard, a year, the whole country (analyst, central supervisor)", everything, floor),
            ("dashboard, a year, one province's supervisor (with work per person)", supervisor, floor),
            ("the page's figures: the country's dashboard + the year before's indicators", page, floor),
            ("floor: count(*) of the calendar year's cases", floorCalendar, floorCalendar),
            ($"annual report for {calendar.From.Year}: figures + suppression + XLSX ({xlsxBytes / 1024} KB)", annual, floorCalendar),
        })
        {
            Console.WriteLine($"| {name} | {l.Count} | {CaseBenchmarks.P(l, 0.50):F0} | {CaseBenchmarks.P(l, 0.99):F0} | {CaseBenchmarks.P(l, 0.99) / CaseBenchmarks.P(f, 0.99):F1}× |");
        }

        if (args.Contains("--slow"))
        {
            // Which of the dashboard's statements cost what: PostgreSQL logs each one slower than 100 ms of one more run.
            await using (var set = new NpgsqlCommand("ALTER SYSTEM SET log_min_duration_statement = 100; SELECT pg_reload_conf()", new NpgsqlConnection(admin)))
            {
                await set.Connection!.OpenAsync();
                await set.ExecuteNonQueryAsync();
            }

            var mark = new FileInfo(pg.Cluster.LogFile).Length;
            await stats.DashboardAsync(year, StatsScope.Everything, people: false, CancellationToken.None);
            await using var log = new FileStream(pg.Cluster.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            log.Seek(mark, SeekOrigin.Begin);
            var text = await new StreamReader(log).ReadToEndAsync();
            foreach (var line in text.Split('\n').Where(l => l.Contains("duration:", StringComparison.Ordinal)))
            {
                Console.WriteLine(line.Length > 400 ? line[..400] : line);
            }
        }

        Console.WriteLine($"check: the dashboard counted {last!.Cases.ToString("N0", CultureInfo.InvariantCulture)} cases in the year; the floor counted {yearCases.ToString("N0", CultureInfo.InvariantCulture)} (all seeded cases count: none is a merged duplicate)");
        return last.Cases == yearCases ? 0 : 1;
    }
}
