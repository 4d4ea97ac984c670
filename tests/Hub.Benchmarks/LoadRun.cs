using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Queues;
using Hub.Core.Envelope;
using Hub.Core.Signatures;
using Hub.Functions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Hub.Benchmarks;

/// <summary>
/// Accepted SMS per second and latency through the running hub (real Kestrel, real HTTP on loopback, real
/// Azurite), next to the storage floor: a bare QueueClient.SendMessageAsync loop at the same concurrency, in
/// the same run, against the same Azurite. Each phase runs for a fixed time and stops by itself.
/// </summary>
public static class LoadRun
{
    private const string Token = "load-auth-token-0123456789";

    public static async Task<int> RunAsync(string[] args, bool chat = false, bool platform = false)
    {
        var seconds = Arg(args, "--seconds", 20);
        var concurrency = Arg(args, "--concurrency", 16);
        var processor = !args.Contains("off", StringComparer.Ordinal);
        var exe = AzuriteProcess.FindExecutable(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run 'npm ci' first");
        await using var azurite = new AzuriteProcess(
            Path.Combine(Path.GetTempPath(), "hub-load-azurite", Guid.NewGuid().ToString("N")),
            AzuriteProcess.FreePort(), AzuriteProcess.FreePort(), AzuriteProcess.FreePort());
        await azurite.StartAsync(exe);

        // Chat turns run in the background against a simulated provider, as they would in production.
        await using var simulator = await Hub.Functions.Admin.ProviderSimulator.StartAsync();
        simulator.Lenient = true;
        var port = AzuriteProcess.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Benchmark", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = baseUrl,
            ["Hub:PublicBaseUrl"] = baseUrl,
            ["Hub:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Hub:Privacy:PseudonymKey"] = Convert.ToBase64String(new byte[32]),
            ["Hub:Privacy:ContactKeys:b1"] = Convert.ToBase64String(new byte[32]),
            ["Hub:Privacy:ActiveContactKeyId"] = "b1",
            ["Hub:Channels:load-sms:Type"] = "twilio-sms",
            ["Hub:Channels:load-sms:AuthToken"] = Token,
            ["Hub:Channels:load-fb:Type"] = "messenger",
            ["Hub:Channels:load-fb:AppSecret"] = Token,
            ["Hub:Channels:load-fb:VerifyToken"] = Token,
            ["Hub:Channels:load-fb:PageAccessToken"] = Token,
            ["Hub:Channels:load-fb:GraphApiBaseUrl"] = simulator.BaseUrl,
            ["Hub:Channels:load-zl:Type"] = "zalo",
            ["Hub:Channels:load-zl:AppId"] = ZaloAppId,
            ["Hub:Channels:load-zl:OaSecretKey"] = Token,
            ["Hub:Channels:load-zl:AppSecretKey"] = Token,
            ["Hub:Channels:load-zl:RefreshToken"] = Token,
            ["Hub:Channels:load-zl:ZaloApiBaseUrl"] = simulator.BaseUrl,
            ["Hub:Channels:load-zl:ZaloOAuthBaseUrl"] = simulator.BaseUrl,
            ["Hub:Platforms:load-platform:Secret"] = PlatformSecret,
            ["Hub:Platforms:load-platform:RatePerMinute"] = "1000000",
            ["Hub:Processor:Enabled"] = processor ? "true" : "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Hub"] = "Warning",
        });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning).AddConsole();
        builder.AddHub();
        await using var app = builder.Build();
        app.MapHub();
        await app.StartAsync();

        var envelopeSample = SampleEnvelopeJson();
        var queue = new QueueClient(azurite.ConnectionString, "floor", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(baseUrl),
        };

        if (platform)
        {
            var batchConcurrency = Arg(args, "--batch-concurrency", 2);
            Console.WriteLine($"platform API run: single reports with {concurrency} workers, batches of {Hub.Core.Platform.PlatformBatch.MaxItems} with {batchConcurrency} workers, {seconds} s per phase, case processor {(processor ? "on" : "off")}, {Environment.ProcessorCount} cores");
            await Phase("warm-up", 3, concurrency, _ => PostPlatformReport(http));
            await Phase("warm-up", 3, batchConcurrency, _ => PostPlatformBatch(http), Hub.Core.Platform.PlatformBatch.MaxItems);
            var single = await Phase("platform: one report -> 202", seconds, concurrency, _ => PostPlatformReport(http));
            var batch = await Phase("platform: batch of 100 -> 202", seconds, batchConcurrency, _ => PostPlatformBatch(http), Hub.Core.Platform.PlatformBatch.MaxItems);
            Console.WriteLine();
            Console.WriteLine("| path | accepted reports/s | requests/s | p50 ms | p95 ms | p99 ms | errors |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(single.PlatformRow);
            Console.WriteLine(batch.PlatformRow);
            await app.StopAsync();
            return single.Errors + batch.Errors == 0 ? 0 : 1;
        }

        if (chat)
        {
            Console.WriteLine($"chat webhook run: {concurrency} concurrent workers, {seconds} s per phase, turn processors {(processor ? "on (replies to a simulated provider)" : "off")}, {Environment.ProcessorCount} cores");
            await Phase("warm-up", 3, concurrency, i => PostMessenger(http, i));
            await Phase("warm-up", 3, concurrency, i => PostZalo(http, i));
            var fb = await Phase("Messenger webhook -> 200", seconds, concurrency, i => PostMessenger(http, i));
            var zl = await Phase("Zalo webhook -> 200", seconds, concurrency, i => PostZalo(http, i));
            Console.WriteLine();
            Console.WriteLine("| path | accepted/s | p50 ms | p95 ms | p99 ms | errors |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            Console.WriteLine(fb.Row);
            Console.WriteLine(zl.Row);
            Console.WriteLine($"simulated provider received {simulator.Replies.Count} bot replies during the run");
            await app.StopAsync();
            return fb.Errors + zl.Errors == 0 ? 0 : 1;
        }

        Console.WriteLine($"load run: {concurrency} concurrent workers, {seconds} s per phase, case processor {(processor ? "on" : "off")}, {Environment.ProcessorCount} cores");
        // Warm-up: JIT, connection pools, table/queue creation.
        await Phase("warm-up floor", 3, concurrency, _ => SendFloor(queue, envelopeSample));
        await Phase("warm-up hub", 3, concurrency, i => PostSms(http, baseUrl, i));

        var floor = await Phase("storage floor (SendMessageAsync)", seconds, concurrency, _ => SendFloor(queue, envelopeSample));
        var hub = await Phase("hub: signed Twilio SMS -> 200 TwiML", seconds, concurrency, i => PostSms(http, baseUrl, i));

        Console.WriteLine();
        Console.WriteLine("| path | accepted/s | p50 ms | p95 ms | p99 ms | errors |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Console.WriteLine(floor.Row);
        Console.WriteLine(hub.Row);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio hub/floor: throughput {hub.PerSecond / floor.PerSecond:F2}, p99 {hub.P99 / floor.P99:F2}x"));
        await app.StopAsync();
        return hub.Errors == 0 ? 0 : 1;
    }

    private static async Task<bool> SendFloor(QueueClient queue, string message)
    {
        await queue.SendMessageAsync(message);
        return true;
    }

    private static long _sequence;

    private static async Task<bool> PostSms(HttpClient http, string baseUrl, int worker)
    {
        var sid = "SM" + Interlocked.Increment(ref _sequence).ToString("x32", CultureInfo.InvariantCulture);
        var form = new List<KeyValuePair<string, string>>
        {
            new("ToCountry", "VN"), new("SmsMessageSid", sid), new("NumMedia", "0"), new("SmsSid", sid), new("SmsStatus", "received"),
            new("Body", "Có người dọa tung ảnh của em lên mạng, em ở Quảng Nam"), new("FromCountry", "VN"), new("To", "+842873001111"),
            new("NumSegments", "1"), new("MessageSid", sid), new("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            new("From", "+8491" + (1000000 + worker).ToString(CultureInfo.InvariantCulture)), new("ApiVersion", "2010-04-01"),
        };
        const string path = "/api/channels/twilio-sms/load-sms";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(Token, baseUrl + path, form));
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    private const string ZaloAppId = "360846524940903967";
    private const string PlatformSecret = "load-platform-secret-0123456789abcdef0123";
    private static readonly Lazy<System.Text.Json.Nodes.JsonNode> PlatformExample = new(() =>
        System.Text.Json.Nodes.JsonNode.Parse(Hub.Functions.Channels.Platform.PlatformSchema.ReadResource(Hub.Functions.Channels.Platform.PlatformSchema.ReportExampleResource))!);

    private static string PlatformReportJson()
    {
        var node = PlatformExample.Value.DeepClone();
        node["platformReportId"] = "load-" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
        return node.ToJsonString();
    }

    private static HttpRequestMessage PlatformRequest(string path, string json)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(json);
        var ts = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Hub-Platform", "load-platform");
        request.Headers.Add(HubSignature.TimestampHeader, ts);
        request.Headers.Add(HubSignature.SignatureHeader, HubSignature.Compute(PlatformSecret, ts, body));
        return request;
    }

    /// <summary>The published example report with a unique id: 2.3 KB, one file, one account, schema-validated by the hub.</summary>
    private static async Task<bool> PostPlatformReport(HttpClient http)
    {
        using var request = PlatformRequest("/api/platform/v1/reports", PlatformReportJson());
        using var response = await http.SendAsync(request);
        return response.StatusCode == System.Net.HttpStatusCode.Accepted;
    }

    private static async Task<bool> PostPlatformBatch(HttpClient http)
    {
        var json = "{\"reports\":[" + string.Join(',', Enumerable.Range(0, Hub.Core.Platform.PlatformBatch.MaxItems).Select(_ => PlatformReportJson())) + "]}";
        using var request = PlatformRequest("/api/platform/v1/reports/batch", json);
        using var response = await http.SendAsync(request);
        if (response.StatusCode != System.Net.HttpStatusCode.Accepted)
        {
            return false;
        }

        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("accepted").GetInt32() == Hub.Core.Platform.PlatformBatch.MaxItems;
    }

    private static async Task<bool> PostMessenger(HttpClient http, int worker)
    {
        var n = Interlocked.Increment(ref _sequence);
        var ms = 1_763_800_000_000 + n;
        var body = System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$$"""{"object":"page","entry":[{"id":"1234567890","time":{{{ms}}},"messaging":[{"sender":{"id":"{{{9000 + worker}}}"},"recipient":{"id":"1234567890"},"timestamp":{{{ms}}},"message":{"mid":"m_{{{n}}}","text":"có người dọa tung ảnh của em"}}]}]}"""));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/messenger/load-fb") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(MetaSignature.Header, MetaSignature.Compute(Token, body));
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    private static async Task<bool> PostZalo(HttpClient http, int worker)
    {
        var n = Interlocked.Increment(ref _sequence);
        var ts = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var body = System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"app_id":"{{ZaloAppId}}","sender":{"id":"{{7000 + worker}}"},"user_id_by_app":"1","recipient":{"id":"388613280878808645"},"event_name":"user_send_text","message":{"text":"co nguoi doa tung anh cua em","msg_id":"z{{n}}"},"timestamp":"{{ts}}"}"""));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/zalo/load-zl") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ZaloSignature.Header, ZaloSignature.Compute(ZaloAppId, body, ts, Token));
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    private sealed record Result(string Name, int Count, int Errors, double PerSecond, double P50, double P95, double P99, int ItemsPerOperation = 1)
    {
        public string Row => string.Create(CultureInfo.InvariantCulture, $"| {Name} | {PerSecond:F0} | {P50:F1} | {P95:F1} | {P99:F1} | {Errors} |");

        public string PlatformRow => string.Create(CultureInfo.InvariantCulture, $"| {Name} | {PerSecond * ItemsPerOperation:F0} | {PerSecond:F1} | {P50:F1} | {P95:F1} | {P99:F1} | {Errors} |");
    }

    private static async Task<Result> Phase(string name, int seconds, int concurrency, Func<int, Task<bool>> operation, int itemsPerOperation = 1)
    {
        var stop = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(seconds);
        var latencies = new List<double>[concurrency];
        var errors = 0;
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(4096);
            while (stop.Elapsed < limit)
            {
                var t = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await operation(w);
                }
                catch (Exception ex) when (ex is HttpRequestException or Azure.RequestFailedException or TaskCanceledException)
                {
                    ok = false;
                }

                if (ok)
                {
                    mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
        var result = new Result(name, all.Length, errors, all.Length / elapsed, P(0.50), P(0.95), P(0.99), itemsPerOperation);
        Console.WriteLine($"  {(itemsPerOperation == 1 ? result.Row : result.PlatformRow)}");
        return result;
    }

    private static string SampleEnvelopeJson() => System.Text.Json.JsonSerializer.Serialize(
        new ReportEnvelope
        {
            Id = ReportId.New(TimeProvider.System),
            ReceivedAt = TimeProvider.System.GetUtcNow(),
            Channel = ReportChannels.Sms,
            ChannelInstance = "load-sms",
            ReferenceCode = "ABCD-EFGH",
            Source = new ReportSource { Provider = "twilio", ProviderMessageId = "SMe287d7109a5a925f182f0e07fe5b223b", ProviderAccount = "+842873001111" },
            Reporter = new Reporter { Pseudonym = "ps1_" + new string('a', 32), ContactRef = "v1.b1." + new string('A', 56) },
            Incident = new Incident { Description = "Có người dọa tung ảnh của em lên mạng, em ở Quảng Nam", Categories = ["OCSEA.SEXTORTION"] },
            Signals = new Signals { Urgency = Urgencies.High, Reasons = ["keyword:sextortion"] },
            Raw = new RawReference { Blob = "raw/load-sms/2026/11/22/x.bin", Sha256 = new string('0', 64), KeyId = "b1" },
        },
        HubJsonContext.Default.ReportEnvelope);

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
