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
            // The processor runs: the "new report visible" figure goes from a provider's 2xx through the queue to the page.
            ["Hub:Processor:Enabled"] = "true",
            ["Hub:Processor:MaxPollInterval"] = "00:00:00.200",
            ["Hub:Channels:bench-sms:Type"] = "twilio-sms",
            ["Hub:Channels:bench-sms:AuthToken"] = SmsToken,
            ["Hub:Channels:bench-sms:Province"] = "48",
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

        await PagesAsync(baseUrl, province, central, ids, queries, open);
        await NewReportVisibleAsync(baseUrl, central, Arg(args, "--reports", 30));
        await EventsAsync(baseUrl, admin, ids, waiters, rounds);
        await hub.StopAsync();
        return 0;
    }

    /// <summary>The console's pages, server-rendered, signed in: the queue with every open case in view, a province's queue, a case.</summary>
    private static async Task PagesAsync(string baseUrl, HttpClient province, HttpClient central, List<string> ids, int queries, int open)
    {
        var rng = new Random(56);
        var floor = await TimeEachAsync(queries, _ => GetAsync(province, "/"));
        var all = await TimeEachAsync(queries, _ => GetAsync(central, "/console"));
        var mine = await TimeEachAsync(queries, _ => GetAsync(province, "/console"));
        var live = await TimeEachAsync(queries, _ => GetAsync(central, "/console/live"));
        var detail = await TimeEachAsync(queries, _ => GetAsync(province, "/console/cases/" + ids[rng.Next(ids.Count)]));
        var floorAfter = await TimeEachAsync(queries, _ => GetAsync(province, "/"));
        var floorP99 = (P(floor, 0.99) + P(floorAfter, 0.99)) / 2;
        Console.WriteLine();
        Console.WriteLine($"| console page over HTTP, signed in ({open.ToString("N0", CultureInfo.InvariantCulture)} open cases) | p50 ms | p99 ms | p99 ÷ floor p99 |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, l) in new[]
        {
            ("floor: GET / (no sign-in), before", floor),
            ("GET /console, the central queue (every open case in scope): tiles, waiting chats, first 50", all),
            ("GET /console, a province's queue", mine),
            ("GET /console/live, the fragment the script refreshes", live),
            ("GET /console/cases/{id} (audited detail, related cases, people)", detail),
            ("floor: GET / (no sign-in), after", floorAfter),
        })
        {
            Console.WriteLine($"| {name} | {P(l, 0.50):F2} | {P(l, 0.99):F2} | {P(l, 0.99) / floorP99:F1}× |");
        }

        // The first view's bytes: the page and everything it loads (one stylesheet, one script, both from the hub).
        var html = await GetAsync(central, "/console");
        var assets = AssetPattern().Matches(html).Select(m => m.Groups[1].Value).ToList();
        var sizes = new List<(string, int)> { ("HTML", System.Text.Encoding.UTF8.GetByteCount(html)) };
        foreach (var asset in assets)
        {
            if (!asset.StartsWith('/'))
            {
                throw new InvalidOperationException($"the page loads {asset} from another host");
            }

            sizes.Add((asset, System.Text.Encoding.UTF8.GetByteCount(await GetAsync(central, asset))));
        }

        Console.WriteLine($"first view of the queue: {string.Join(" + ", sizes.Select(x => $"{x.Item1} {x.Item2 / 1024.0:F1} KB"))} = {sizes.Sum(x => x.Item2) / 1024.0:F1} KB uncompressed; {assets.Count} requests besides the page, all to the hub");
    }

    /// <summary>
    /// A console open on the queue (parked on /events, then fetching the fragment as the script does); a provider
    /// posts an SMS and gets its 2xx; how long until the fragment shows one more SMS waiting.
    /// </summary>
    private static async Task NewReportVisibleAsync(string baseUrl, HttpClient console, int reports)
    {
        using var provider = new HttpClient { BaseAddress = new Uri(baseUrl) };
        var latencies = new List<double>();
        for (var i = 0; i < reports; i++)
        {
            var before = SmsWaiting(await GetAsync(console, "/console/live"));
            using var start = JsonDocument.Parse(await GetAsync(console, "/api/console/v1/events"));
            var cursor = start.RootElement.GetProperty("cursor").GetString()!;
            var acknowledged = 0L;
            var watcher = Task.Run(async () =>
            {
                while (true)
                {
                    using var e = JsonDocument.Parse(await GetAsync(console, "/api/console/v1/events?after=" + Uri.EscapeDataString(cursor)));
                    cursor = e.RootElement.GetProperty("cursor").GetString()!;
                    if (e.RootElement.GetProperty("changed").GetArrayLength() > 0 && SmsWaiting(await GetAsync(console, "/console/live")) > before)
                    {
                        return Stopwatch.GetElapsedTime(Interlocked.Read(ref acknowledged)).TotalMilliseconds;
                    }
                }
            });

            // Let the watcher reach its wait (a benchmark's settle time, not a readiness check).
            await Task.Delay(200);
            var sid = "SMbench" + Guid.NewGuid().ToString("N");
            var form = new List<KeyValuePair<string, string>>
            {
                new("ToCountry", "VN"), new("SmsMessageSid", sid), new("NumMedia", "0"), new("SmsSid", sid), new("SmsStatus", "received"),
                new("Body", "Cứu em với, có người dọa tung ảnh của em"), new("FromCountry", "VN"), new("To", "+842873001111"),
                new("NumSegments", "1"), new("MessageSid", sid), new("AccountSid", "AC0123456789abcdef0123456789abcdef"),
                new("From", "+8490" + (2000000 + i).ToString(CultureInfo.InvariantCulture)), new("ApiVersion", "2010-04-01"),
            };
            const string path = "/api/channels/twilio-sms/bench-sms";
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", Hub.Core.Signatures.TwilioSignature.Compute(SmsToken, baseUrl + path, form));
            using (var response = await provider.SendAsync(request))
            {
                Interlocked.Exchange(ref acknowledged, Stopwatch.GetTimestamp());
                response.EnsureSuccessStatusCode();
            }

            latencies.Add(await watcher.WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Console.WriteLine();
        Console.WriteLine($"| a new report in an open console ({reports} SMS, processor on) | p50 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| provider's 2xx → the queue fragment shows it (queue, case write, NOTIFY, /events, fragment) | {P(latencies, 0.50):F0} | {P(latencies, 0.99):F0} | {latencies.Max():F0} |");
    }

    private static int SmsWaiting(string fragment) =>
        SmsTile().Match(fragment) is { Success: true } m ? int.Parse(m.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.GetCultureInfo("vi-VN")) : throw new InvalidOperationException("no SMS tile in the queue");

    private const string SmsToken = "bench-sms-token-0123456789abcdef";

    [GeneratedRegex("(?:href|src)=\"(/console/assets/[^\"]+)\"")]
    private static partial Regex AssetPattern();

    [GeneratedRegex("""href="/console\?channel=sms">\s*<span class="tile-name">[^<]*</span>\s*<span class="tile-count">([0-9.]+)""")]
    private static partial Regex SmsTile();

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
