using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hub.Functions.Cases;
using Hub.Functions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hub.Benchmarks;

/// <summary>
/// <c>console</c>: the operator API over real HTTP (Kestrel on loopback), signed in, on 1,000,000 cases of which
/// 5,000 are open. Each figure sits beside floors measured in the same run: an unauthenticated round trip to
/// the hub (<c>GET /</c>) and a signed-in <c>GET /me</c> (cookie + the per-request user check). Then
/// <c>/events</c> with 200 clients parked on the long-poll: the time from a case change's commit to each
/// client's answer.
/// </summary>
internal static partial class ConsoleBenchmarks
{
    private static Task<List<double>> TimeEachAsync(int n, Func<int, Task> work) => CaseBenchmarks.TimeEachAsync(n, work);

    private static double P(List<double> values, double q) => CaseBenchmarks.P(values, q);

    private static int Arg(string[] args, string name, int fallback) => CaseBenchmarks.Arg(args, name, fallback);

    public static async Task<int> RunAsync(string[] args)
    {
        var total = Arg(args, "--cases", 1_000_000);
        var open = Arg(args, "--open", 5_000);
        var queries = Arg(args, "--queries", 2_000);
        var waiters = Arg(args, "--waiters", 200);
        var rounds = Arg(args, "--rounds", 10);
        var exe = AzuriteProcess.FindExecutable(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run 'npm ci' first");
        await using var azurite = new AzuriteProcess(
            Path.Combine(Path.GetTempPath(), "hub-console-azurite", Guid.NewGuid().ToString("N")),
            AzuriteProcess.FreePort(), AzuriteProcess.FreePort(), AzuriteProcess.FreePort());
        await azurite.StartAsync(exe);
        await using var pg = await BenchDatabase.StartAsync();
        var (app, admin) = await pg.CreateAsync("console");
        var seeded = await BenchDatabase.SeedAsync(admin, total, open);
        Console.WriteLine($"PostgreSQL {pg.Cluster.Binaries} (fsync on), {Environment.ProcessorCount} cores; seeded {total} cases ({open} open) in {seeded.TotalSeconds:F0} s");

        // Development: the demo users and /auth/dev sign-in (the measured path — cookie, user check, query, audit — is production's).
        var port = AzuriteProcess.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = baseUrl,
            ["Hub:PublicBaseUrl"] = baseUrl,
            ["Hub:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Hub:Cases:ConnectionString"] = app,
            ["Hub:Cases:AdminConnectionString"] = admin,
            ["Hub:Privacy:PseudonymKey"] = Convert.ToBase64String(new byte[32]),
            ["Hub:Privacy:ContactKeys:b1"] = Convert.ToBase64String(new byte[32]),
            ["Hub:Privacy:ActiveContactKeyId"] = "b1",
            ["Hub:Processor:Enabled"] = "false",
            ["Hub:Spool:Path"] = azurite.Location + "-spool",
            ["Hub:Auth:SignInPermitsPerMinute"] = "10000",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning).AddConsole();
        builder.AddHub();
        await using var hub = builder.Build();
        hub.MapHub();
        await hub.StartAsync();

        using var province = await SignInAsync(baseUrl, "demo.counsellor");
        using var central = await SignInAsync(baseUrl, "demo.central");
        var ids = new List<string>();
        await using (var source = NpgsqlDataSource.Create(admin))
        await using (var cmd = source.CreateCommand("SELECT id FROM cases WHERE team_id = 'province-48' ORDER BY random() LIMIT 500"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                ids.Add(r.GetString(0));
            }
        }

        var rng = new Random(830);
        var floor = await TimeEachAsync(queries, _ => GetAsync(province, "/"));
        var me = await TimeEachAsync(queries, _ => GetAsync(province, "/api/console/v1/me"));
        var queue = await TimeEachAsync(queries, _ => GetAsync(province, "/api/console/v1/cases"));
        var next = await TimeEachAsync(queries, async _ =>
        {
            using var page = JsonDocument.Parse(await GetAsync(province, "/api/console/v1/cases?limit=50"));
            var cursor = page.RootElement.GetProperty("next").GetString();
            if (cursor is not null)
            {
                await GetAsync(province, "/api/console/v1/cases?limit=50&cursor=" + Uri.EscapeDataString(cursor));
            }
        });
        var all = await TimeEachAsync(queries, _ => GetAsync(central, "/api/console/v1/cases"));
        var detail = await TimeEachAsync(queries, _ => GetAsync(province, "/api/console/v1/cases/" + ids[rng.Next(ids.Count)]));
        var floorAfter = await TimeEachAsync(queries, _ => GetAsync(province, "/"));

        Console.WriteLine();
        Console.WriteLine($"| signed-in request over HTTP ({total.ToString("N0", CultureInfo.InvariantCulture)} cases, {open.ToString("N0", CultureInfo.InvariantCulture)} open) | p50 ms | p99 ms | p99 ÷ floor p99 |");
        Console.WriteLine("|---|---:|---:|---:|");
        var floorP99 = (P(floor, 0.99) + P(floorAfter, 0.99)) / 2;
        foreach (var (name, l) in new[]
        {
            ("floor: GET / (no sign-in), before", floor),
            ("GET /me (cookie, the user read again, roles)", me),
            ("GET /cases, a province's queue, first page of 50", queue),
            ("GET /cases, first page + the next by keyset", next),
            ("GET /cases, the central team's queue (every open case)", all),
            ("GET /cases/{id} (detail, audited: the audit row is written before the answer)", detail),
            ("floor: GET / (no sign-in), after", floorAfter),
        })
        {
            Console.WriteLine($"| {name} | {P(l, 0.50):F2} | {P(l, 0.99):F2} | {P(l, 0.99) / floorP99:F1}× |");
        }

        await EventsAsync(baseUrl, admin, ids, waiters, rounds);
        await hub.StopAsync();
        return 0;
    }

    /// <summary>200 clients wait on <c>/events</c>; a case of their province changes; how long until each is answered.</summary>
    private static async Task EventsAsync(string baseUrl, string admin, List<string> ids, int waiters, int rounds)
    {
        using var browser = await SignInAsync(baseUrl, "demo.counsellor", waiters + 8);
        await using var source = NpgsqlDataSource.Create(admin);
        var latencies = new List<double>();
        var missed = 0;
        for (var round = 0; round < rounds; round++)
        {
            using var start = JsonDocument.Parse(await GetAsync(browser, "/api/console/v1/events"));
            var cursor = start.RootElement.GetProperty("cursor").GetString()!;
            var answered = new double[waiters];
            var changedAt = 0L;
            var clients = Enumerable.Range(0, waiters).Select(async i =>
            {
                var body = await GetAsync(browser, "/api/console/v1/events?after=" + Uri.EscapeDataString(cursor));
                answered[i] = Stopwatch.GetElapsedTime(Interlocked.Read(ref changedAt)).TotalMilliseconds;
                return body.Contains("\"changed\":[{", StringComparison.Ordinal);
            }).ToArray();

            // Let every request reach its wait (a benchmark's settle time, not a readiness check).
            await Task.Delay(TimeSpan.FromSeconds(1));
            await using (var touch = source.CreateCommand("UPDATE cases SET version = version + 1 WHERE id = @id"))
            {
                touch.Parameters.Add(new NpgsqlParameter<string>("id", ids[round % ids.Count]));
                Interlocked.Exchange(ref changedAt, Stopwatch.GetTimestamp());
                await touch.ExecuteNonQueryAsync();
            }

            var got = await Task.WhenAll(clients);
            missed += got.Count(g => !g);
            latencies.AddRange(answered);
        }

        Console.WriteLine();
        Console.WriteLine($"| /events, {waiters} clients parked on the long-poll, {rounds} changes | p50 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| commit of a case change → each client's answer | {P(latencies, 0.50):F1} | {P(latencies, 0.99):F1} | {latencies.Max():F1} |");
        Console.WriteLine($"clients answered without the change: {missed} of {waiters * rounds}");
    }

    private static async Task<HttpClient> SignInAsync(string baseUrl, string login, int connections = 4)
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, AllowAutoRedirect = false, MaxConnectionsPerServer = connections }) { BaseAddress = new Uri(baseUrl) };
        for (var i = 0; ; i++)
        {
            var page = await client.GetStringAsync("/auth/dev");
            if (page.Contains(login, StringComparison.Ordinal))
            {
                var token = TokenPattern().Match(page).Groups[1].Value;
                using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token), ["login"] = login });
                using var signIn = await client.PostAsync("/auth/dev", form);
                return signIn.StatusCode == HttpStatusCode.Redirect ? client : throw new InvalidOperationException($"sign-in as {login}: {signIn.StatusCode}");
            }

            // The demo users are created by a background service at start-up.
            if (i > 100)
            {
                throw new InvalidOperationException("the demo users did not appear");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<string> GetAsync(HttpClient client, string path)
    {
        using var r = await client.GetAsync(path);
        var body = await r.Content.ReadAsStringAsync();
        return r.IsSuccessStatusCode ? body : throw new InvalidOperationException($"{path}: {(int)r.StatusCode} {body}");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
