using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Hub.Core.Hashing;
using Hub.Functions.Cases;
using Hub.Functions.Hashing;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Benchmarks;

/// <summary>
/// <c>hashapi [--bank N] [--seconds N] [--concurrency N]</c> (docs/benchmarks.md#hash-api): a bank of N random PDQ
/// hashes imported into PostgreSQL (timed), the index built from it as at start-up (timed, with its memory), then
/// signed <c>POST /api/platform/v1/hashes/match</c> requests of 1,000 PDQ hashes (one in ten a near-duplicate of a bank
/// entry) through the running hub, beside the floor: the same 1,000 lookups on the matcher in process, same run.
/// </summary>
internal static class HashApiRun
{
    public delegate Task<LoadRun.Result> PhaseRunner(string name, int seconds, int concurrency, Func<int, Task<bool>> operation, int itemsPerOperation = 1);

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, int seconds, int concurrency, Func<string, string, HttpRequestMessage> sign, HttpClient http, PhaseRunner phase)
    {
        var size = LoadRun.Arg(args, "--bank", 1_000_000);
        var banks = services.GetRequiredService<HashBanks>();
        var random = new Random(830);
        var bank = new List<PdqHash>(size);
        for (var i = 0; i < size; i++)
        {
            bank.Add(new PdqHash(Next(random), Next(random), Next(random), Next(random)));
        }

        Console.WriteLine($"# hash API: bank of {size:N0} PDQ hashes, requests of 1,000 hashes, {concurrency} workers, {seconds} s per phase, {Environment.ProcessorCount} cores");
        await banks.CreateBankAsync(Actor.Console("bench"), "bench-list", "agency-a05", "agency", CancellationToken.None);
        var started = Stopwatch.GetTimestamp();
        var imported = await ImportAsync(banks, bank);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  import (one transaction, binary COPY): {imported.Added:N0} hashes in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));

        // The index as HashIndexStartup builds it when the hub starts: read from PostgreSQL, one build. Loaded twice: the
        // second load's retained memory (after full collections) is what one matcher costs, the driver's pools already warm.
        started = Stopwatch.GetTimestamp();
        using (var first = new HashMatcher(banks, TimeProvider.System))
        {
            await first.RefreshAsync(CancellationToken.None);
            var load = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var before = Retained();
            using var second = new HashMatcher(banks, TimeProvider.System);
            await second.RefreshAsync(CancellationToken.None);
            var bytes = Retained() - before;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  start-up load from PostgreSQL: {first.PdqCount:N0} hashes in {load:F1} s; one matcher holds {bytes / (double)Math.Max(1, second.PdqCount):F0} B/hash (index, entry labels, dictionaries)"));
        }

        var matcher = services.GetRequiredService<HashMatcher>();
        await matcher.RefreshAsync(CancellationToken.None);
        var requests = Enumerable.Range(0, 64).Select(_ => Request(random, bank)).ToArray();
        var bodies = requests.Select(r => "{\"hashes\":[" + string.Join(',', r.Select(q => $"{{\"type\":\"pdq\",\"value\":\"{q.Value}\",\"quality\":100}}")) + "]}").ToArray();
        var expected = (await matcher.MatchEachAsync(requests[0], CancellationToken.None)).Count(m => m.Count > 0);
        Console.WriteLine($"  one request's 1,000 hashes: {expected} match (the near-duplicates), the rest match nothing");

        async Task<bool> Floor(int worker)
        {
            var found = await matcher.MatchEachAsync(requests[(worker + Environment.TickCount) & 63], CancellationToken.None);
            return found.Count == 1000;
        }

        async Task<bool> Api(int worker)
        {
            using var request = sign("/api/platform/v1/hashes/match", bodies[(worker + Environment.TickCount) & 63]);
            using var response = await http.SendAsync(request);
            return response.IsSuccessStatusCode && (await response.Content.ReadAsByteArrayAsync()).Length > 1000;
        }

        await phase("warm-up", 3, concurrency, Floor, 1000);
        await phase("warm-up", 3, concurrency, Api, 1000);
        var floor = await phase("floor: 1,000 lookups on the matcher, in process", seconds, concurrency, Floor, 1000);
        var api = await phase("hub: POST /hashes/match with 1,000 hashes -> 200", seconds, concurrency, Api, 1000);
        Console.WriteLine();
        Console.WriteLine("| path | hashes/s | requests/s | p50 ms | p95 ms | p99 ms | errors |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(floor.PlatformRow);
        Console.WriteLine(api.PlatformRow);
        return floor.Errors + api.Errors == 0 ? 0 : 1;
    }

    /// <summary>The bank as a list file, imported as an agency would (its own method, so nothing of it outlives the import).</summary>
    private static async Task<ImportResult> ImportAsync(HashBanks banks, List<PdqHash> bank)
    {
        var path = Path.GetTempFileName();
        try
        {
            await using (var file = File.CreateText(path))
            {
                foreach (var h in bank)
                {
                    await file.WriteLineAsync("pdq," + h.ToString() + ",csam-a1");
                }
            }

            using var reader = File.OpenText(path);
            return await banks.ImportAsync(Actor.Console("bench"), "bench-list", reader, "import", CancellationToken.None);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long Retained()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static ulong Next(Random r) => (ulong)r.NextInt64() ^ ((ulong)r.Next(4) << 62);

    /// <summary>1,000 queries: one in ten within 10 bits of a bank entry, the rest random.</summary>
    private static List<HashQuery> Request(Random random, List<PdqHash> bank)
    {
        var list = new List<HashQuery>(1000);
        for (var i = 0; i < 1000; i++)
        {
            PdqHash h;
            if (i % 10 == 0)
            {
                var b = bank[random.Next(bank.Count)];
                h = new PdqHash(b.W0 ^ 0x3FF ^ (1UL << random.Next(10, 64)), b.W1, b.W2, b.W3); // 11 bits away
            }
            else
            {
                h = new PdqHash(Next(random), Next(random), Next(random), Next(random));
            }

            list.Add(new HashQuery("pdq", h.ToString(), 100));
        }

        return list;
    }
}
