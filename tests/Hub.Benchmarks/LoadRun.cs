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

    public static async Task<int> RunAsync(string[] args, bool chat = false, bool platform = false, bool all = false, bool hashApi = false)
    {
        var seconds = Arg(args, "--seconds", all ? 10 : 20);
        var concurrency = Arg(args, "--concurrency", 16);
        var processor = all ? args.Contains("on", StringComparer.Ordinal) : !args.Contains("off", StringComparer.Ordinal);
        var exe = AzuriteProcess.FindExecutable(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run 'npm ci' first");
        await using var azurite = new AzuriteProcess(
            Path.Combine(Path.GetTempPath(), "hub-load-azurite", Guid.NewGuid().ToString("N")),
            AzuriteProcess.FreePort(), AzuriteProcess.FreePort(), AzuriteProcess.FreePort());
        await azurite.StartAsync(exe);
        ConnectionString = azurite.ConnectionString;
        await using var postgres = await BenchDatabase.StartAsync();
        var (casesApp, casesAdmin) = await postgres.CreateAsync("hub");

        // Chat turns run in the background against a simulated provider, as they would in production.
        await using var simulator = await Hub.Simulators.ProviderSimulator.StartAsync();
        simulator.Lenient = true;
        var port = AzuriteProcess.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Benchmark", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = baseUrl,
            ["Hub:PublicBaseUrl"] = baseUrl,
            ["Hub:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Hub:Cases:ConnectionString"] = casesApp,
            ["Hub:Cases:AdminConnectionString"] = casesAdmin,
            ["Hub:Privacy:PseudonymKey"] = Convert.ToBase64String(new byte[32]),
            ["Hub:Privacy:ContactKeys:b1"] = Convert.ToBase64String(new byte[32]),
            ["Hub:Privacy:ActiveContactKeyId"] = "b1",
            ["Hub:Channels:load-sms:Type"] = "twilio-sms",
            ["Hub:Channels:load-sms:AuthToken"] = Token,
            ["Hub:Channels:load-gw:Type"] = "sms-gateway",
            ["Hub:Channels:load-gw:Secret"] = GatewaySecret,
            ["Hub:Channels:load-111:Type"] = "twilio-voice",
            ["Hub:Channels:load-111:AuthToken"] = Token,
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
            ["Hub:Platforms:load-platform:HashesPerMinute"] = "10000000",
            ["Hub:Processor:Enabled"] = processor ? "true" : "false",
            ["Hub:Spool:Path"] = azurite.Location + "-spool", // this run's own, never another hub's
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

        if (all)
        {
            var rates = (args.SkipWhile(a => a != "--rates").Skip(1).FirstOrDefault() ?? "25,50,100")
                .Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray();
            // Azurite's table store (LokiJS) slows as it fills and stalls while it saves: each channel gets a fresh
            // emulator (same ports, data wiped), so no channel is measured against another's leftovers.
            async Task FreshStorageAsync()
            {
                await azurite.StopAsync();
                foreach (var entry in new DirectoryInfo(azurite.Location).EnumerateFileSystemInfos())
                {
                    if (entry is DirectoryInfo d)
                    {
                        d.Delete(recursive: true);
                    }
                    else
                    {
                        entry.Delete();
                    }
                }

                await azurite.StartAsync(exe);
                await queue.CreateIfNotExistsAsync();
            }

            var code = await AllChannelsAsync(http, baseUrl, queue, envelopeSample, seconds, concurrency, rates, processor, FreshStorageAsync);
            await app.StopAsync();
            return code;
        }

        if (hashApi)
        {
            var code = await HashApiRun.RunAsync(app.Services, args, seconds, concurrency, (path, json) => PlatformRequest(path, json), http, Phase);
            await app.StopAsync();
            return code;
        }

        if (platform)
        {
            var code = await PlatformPhasesAsync(http, args, seconds, concurrency, processor, casesAdmin);
            await app.StopAsync();
            return code;
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

    /// <summary>The SMS intake's storage work without the hub: lookup ‖ upload, enqueue, insert.</summary>
    private sealed class IntakeFloor(Azure.Data.Tables.TableClient table, Azure.Storage.Blobs.BlobContainerClient blobs, QueueClient queue)
    {
        private static readonly BinaryData Body = new(new byte[900]);

        public static async Task<IntakeFloor> CreateAsync(QueueClient queue)
        {
            var cs = ConnectionString!;
            var table = new Azure.Data.Tables.TableClient(cs, "floorintake");
            await table.CreateIfNotExistsAsync();
            var blobs = new Azure.Storage.Blobs.BlobContainerClient(cs, "floorraw");
            await blobs.CreateIfNotExistsAsync();
            return new IntakeFloor(table, blobs, queue);
        }

        public async Task<bool> RunAsync(string envelope)
        {
            var id = Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
            var lookup = table.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("floor", id);
            var upload = blobs.GetBlobClient($"floor/{id}.bin").UploadAsync(Body);
            await Task.WhenAll(lookup, upload);
            await queue.SendMessageAsync(envelope);
            await table.AddEntityAsync(new Azure.Data.Tables.TableEntity("floor", id) { ["ReportId"] = id, ["ReferenceCode"] = "ABCD-EFGH", ["Urgency"] = "high" });
            return true;
        }
    }

    private static string? ConnectionString;

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
    private const string GatewaySecret = "load-gateway-secret-0123456789abcdef";

    /// <summary>
    /// Every channel's endpoint, each at fixed arrival rates (open loop: requests start on schedule whether or not
    /// earlier ones finished, and latency counts from the scheduled start, so a stall is not hidden) and then
    /// saturated by a closed loop of workers, beside the storage floor measured the same two ways in the same run.
    /// </summary>
    private static async Task<int> AllChannelsAsync(HttpClient http, string baseUrl, QueueClient queue, string envelope, int seconds, int concurrency, double[] rates, bool processor, Func<Task> freshStorage)
    {
        var channels = new (string Name, Func<int, Task<bool>> Op)[]
        {
            ("Twilio SMS", w => PostSms(http, baseUrl, w)),
            ("SMS gateway", w => PostGateway(http, w)),
            ("Twilio Voice call (incoming + completed)", w => PostVoiceCall(http, baseUrl, w)),
            ("Messenger", w => PostMessenger(http, w)),
            ("Zalo", w => PostZalo(http, w)),
            ("platform report", _ => PostPlatformReport(http)),
        };
        Console.WriteLine($"all channels: fixed rates {string.Join(", ", rates)}/s and a closed loop of {concurrency} workers, {seconds} s per phase, case processor {(processor ? "on" : "off")}, fresh Azurite per channel, {Environment.ProcessorCount} cores");
        foreach (var (name, op) in channels)
        {
            await Phase("warm-up (JIT) " + name, 2, concurrency, op);
        }

        await freshStorage();
        await Phase("warm-up floor", 3, concurrency, _ => SendFloor(queue, envelope));

        var floorAt = new Dictionary<double, Result>();
        foreach (var rate in rates)
        {
            floorAt[rate] = await FixedRate("storage floor", seconds, rate, _ => SendFloor(queue, envelope));
        }

        var floorSaturated = await Phase("storage floor", seconds, concurrency, _ => SendFloor(queue, envelope));

        // A second reference: the same four storage operations the SMS intake must do (dedup lookup ‖ raw upload,
        // enqueue, dedup row), bare SDK calls with no HTTP, signature, parsing or encryption. The hub's own
        // overhead is the gap between this and the SMS row; the gap to the one-operation floor is the design's.
        await freshStorage();
        var intakeFloor = await IntakeFloor.CreateAsync(queue);
        await Phase("warm-up intake floor", 3, concurrency, _ => intakeFloor.RunAsync(envelope));
        var intakeFloorSaturated = await Phase("storage floor, the intake's 4 operations", seconds, concurrency, _ => intakeFloor.RunAsync(envelope));
        var rows = new List<string>();
        var saturated = new List<string>();
        var errors = 0;
        foreach (var (name, op) in channels)
        {
            await freshStorage();
            await Phase("warm-up " + name, 3, concurrency, op);
            foreach (var rate in rates)
            {
                var r = await FixedRate(name, seconds, rate, op);
                errors += r.Errors;
                rows.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {rate:F0} | {r.PerSecond:F1} | {r.P50:F1} | {r.P95:F1} | {r.P99:F1} | {r.Errors} | {r.PerSecond / floorAt[rate].PerSecond:F2} | {r.P99 / floorAt[rate].P99:F2}× |"));
            }

            var s = await Phase(name, seconds, concurrency, op);
            errors += s.Errors;
            saturated.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {s.PerSecond:F0} | {s.P50:F1} | {s.P95:F1} | {s.P99:F1} | {s.Errors} | {s.PerSecond / floorSaturated.PerSecond:F2} | {s.P99 / floorSaturated.P99:F2}× |"));
        }

        Console.WriteLine();
        Console.WriteLine("Fixed arrival rates (open loop; latency from each request's scheduled start):");
        Console.WriteLine("| path | target/s | achieved/s | p50 ms | p95 ms | p99 ms | errors | throughput ÷ floor | p99 ÷ floor p99 |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var rate in rates)
        {
            var f = floorAt[rate];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| storage floor (SendMessageAsync) | {rate:F0} | {f.PerSecond:F1} | {f.P50:F1} | {f.P95:F1} | {f.P99:F1} | {f.Errors} | 1.00 | 1.00× |"));
        }

        rows.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine($"Saturated ({concurrency} workers, closed loop):");
        Console.WriteLine("| path | accepted/s | p50 ms | p95 ms | p99 ms | errors | throughput ÷ floor | p99 ÷ floor p99 |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| storage floor (SendMessageAsync) | {floorSaturated.PerSecond:F0} | {floorSaturated.P50:F1} | {floorSaturated.P95:F1} | {floorSaturated.P99:F1} | {floorSaturated.Errors} | 1.00 | 1.00× |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| storage floor, the intake's 4 operations (bare SDK) | {intakeFloorSaturated.PerSecond:F0} | {intakeFloorSaturated.P50:F1} | {intakeFloorSaturated.P95:F1} | {intakeFloorSaturated.P99:F1} | {intakeFloorSaturated.Errors} | {intakeFloorSaturated.PerSecond / floorSaturated.PerSecond:F2} | {intakeFloorSaturated.P99 / floorSaturated.P99:F2}× |"));
        saturated.ForEach(Console.WriteLine);
        return errors == 0 ? 0 : 1;
    }

    /// <summary>Open loop: request i starts at i/rate seconds; at most 512 in flight (beyond that a request counts as an error, "shed").</summary>
    private static async Task<Result> FixedRate(string name, int seconds, double rate, Func<int, Task<bool>> operation)
    {
        var start = Stopwatch.GetTimestamp();
        var total = (int)(seconds * rate);
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var errors = 0;
        var inFlight = 0;
        var tasks = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            var wait = due - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            if (Interlocked.Increment(ref inFlight) > 512)
            {
                Interlocked.Decrement(ref inFlight);
                Interlocked.Increment(ref errors);
                continue;
            }

            var worker = i % 64;
            tasks.Add(Task.Run(async () =>
            {
                if (await SucceedsAsync(operation, worker))
                {
                    latencies.Add((Stopwatch.GetElapsedTime(start) - due).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }

                Interlocked.Decrement(ref inFlight);
            }));
        }

        await Task.WhenAll(tasks);
        var all = latencies.Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
        var elapsed = Math.Max(seconds, Stopwatch.GetElapsedTime(start).TotalSeconds);
        var result = new Result(name, all.Length, errors, all.Length / elapsed, P(0.50), P(0.95), P(0.99));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  @{rate:F0}/s {result.Row}"));
        return result;
    }

    private static async Task<bool> PostGateway(HttpClient http, int worker)
    {
        var n = Interlocked.Increment(ref _sequence);
        var ts = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var body = System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"messageId":"gw-{{n}}","from":"09{{(12345000 + worker).ToString(CultureInfo.InvariantCulture)}}","to":"111","text":"Có người dọa tung ảnh của em lên mạng, em ở Quảng Nam","carrier":"viettel","receivedAt":"{{TimeProvider.System.GetUtcNow():O}}"}"""));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/sms-gateway/load-gw") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        var stamp = ts.ToString(CultureInfo.InvariantCulture);
        request.Headers.Add(HubSignature.TimestampHeader, stamp);
        request.Headers.Add(HubSignature.SignatureHeader, HubSignature.Compute(GatewaySecret, stamp, body));
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    /// <summary>A short call to 111: the incoming-call webhook (answered with the menu TwiML), then the completed status that files the report.</summary>
    private static async Task<bool> PostVoiceCall(HttpClient http, string baseUrl, int worker)
    {
        var sid = "CA" + Interlocked.Increment(ref _sequence).ToString("x32", CultureInfo.InvariantCulture);
        var caller = "+8491" + (2000000 + worker).ToString(CultureInfo.InvariantCulture);
        foreach (var (action, extra) in new[] { ("incoming", (string?)null), ("status", "completed") })
        {
            var form = new List<KeyValuePair<string, string>>
            {
                new("AccountSid", "AC0123456789abcdef0123456789abcdef"), new("ApiVersion", "2010-04-01"), new("CallSid", sid),
                new("CallStatus", extra ?? "ringing"), new("Called", "+842873000111"), new("Caller", caller), new("Direction", "inbound"),
                new("From", caller), new("FromCountry", "VN"), new("To", "+842873000111"), new("ToCountry", "VN"),
            };
            if (extra is not null)
            {
                form.Add(new("CallDuration", "42"));
            }

            var path = "/api/channels/twilio-voice/load-111/" + action;
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(Token, baseUrl + path, form));
            using var response = await http.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }
        }

        return true;
    }
    private const string PlatformSecret = "load-platform-secret-0123456789abcdef0123";
    private static readonly Lazy<System.Text.Json.Nodes.JsonNode> PlatformExample = new(() =>
        System.Text.Json.Nodes.JsonNode.Parse(Hub.Functions.Platform.PlatformSchema.ReadResource(Hub.Functions.Platform.PlatformSchema.ReportExampleResource))!);

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

    /// <summary>
    /// The platform API: single reports (closed loop, then fixed rates), batches of 100 beside a bare-SDK floor doing
    /// the same storage operations a batch needs (one blob, the packed messages, two transactions of 100 rows), cases
    /// per second when the processor is on, and optionally (<c>--backlog N</c>) N reports sent in batches as fast as
    /// they are accepted with the time until the last one is a case.
    /// </summary>
    private static async Task<int> PlatformPhasesAsync(HttpClient http, string[] args, int seconds, int concurrency, bool processor, string casesAdmin)
    {
        var batchConcurrency = Arg(args, "--batch-concurrency", 2);
        var backlog = Arg(args, "--backlog", 0);
        var rates = (args.SkipWhile(a => a != "--rates").Skip(1).FirstOrDefault() ?? "50,100")
            .Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        const int items = Hub.Core.Platform.PlatformBatch.MaxItems;
        Console.WriteLine($"platform API run: single reports with {concurrency} workers and at {string.Join(", ", rates)}/s, batches of {items} with {batchConcurrency} workers, {seconds} s per phase, case processor {(processor ? "on" : "off")}, {Environment.ProcessorCount} cores");
        var floor = await BatchFloor.CreateAsync(ConnectionString!);
        var reports = new QueueClient(ConnectionString, "reports", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await Phase("warm-up", 3, concurrency, _ => PostPlatformReport(http));
        if (!processor)
        {
            await reports.ClearMessagesAsync(); // so the batches' messages are at the front, to measure their shape
        }

        await Phase("warm-up", 3, batchConcurrency, _ => PostPlatformBatch(http), items);
        if (!processor)
        {
            await floor.ShapeLikeAsync(reports);
        }

        Console.WriteLine($"  floor shape: {floor.Messages} messages of {floor.MessageBytes} bytes per batch{(processor ? " (assumed: the processor consumes the hub's messages)" : " (measured from the hub's queued messages)")}");
        await Phase("warm-up", 3, batchConcurrency, _ => floor.RunAsync(), items);
        await DrainAsync(casesAdmin, processor);

        var single = await Phase("platform: one report -> 202", seconds, concurrency, _ => PostPlatformReport(http));
        var fixedRates = new List<Result>();
        foreach (var rate in rates)
        {
            fixedRates.Add((await FixedRate($"platform: one report at {rate:F0}/s", seconds, rate, _ => PostPlatformReport(http))) with { Name = $"platform: one report at {rate:F0}/s (open loop)" });
        }

        // The floor before and after the hub's batches: Azurite slows as it fills, so the pair brackets the order effect.
        await DrainAsync(casesAdmin, processor);
        var floorBefore = await Phase("storage floor: a batch's operations (bare SDK), before", seconds, batchConcurrency, _ => floor.RunAsync(), items);
        var casesBefore = await CountCasesAsync(casesAdmin);
        var clock = Stopwatch.StartNew();
        var batch = await Phase("platform: batch of 100 -> 202", seconds, batchConcurrency, _ => PostPlatformBatch(http), items);
        var accepted = batch.Count * items;
        double? casesPerSecond = null;
        if (processor)
        {
            await WaitForCasesAsync(casesAdmin, casesBefore + accepted);
            casesPerSecond = accepted / clock.Elapsed.TotalSeconds;
        }

        var floorAfter = await Phase("storage floor: a batch's operations (bare SDK), after", seconds, batchConcurrency, _ => floor.RunAsync(), items);
        var floorRate = (floorBefore.PerSecond + floorAfter.PerSecond) / 2;

        Console.WriteLine();
        Console.WriteLine("| path | accepted reports/s | requests/s | p50 ms | p95 ms | p99 ms | errors |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(single.PlatformRow);
        fixedRates.ForEach(r => Console.WriteLine(r.PlatformRow));
        Console.WriteLine(floorBefore.PlatformRow);
        Console.WriteLine(batch.PlatformRow);
        Console.WriteLine(floorAfter.PlatformRow);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio batch/floor (mean of before and after): throughput {batch.PerSecond / floorRate:F2}"));
        if (casesPerSecond is { } cps)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cases: {accepted} batch reports were cases {clock.Elapsed.TotalSeconds:F1} s after the first was sent: {cps:F0} cases/s (the processor ran during the phase and drained after it)"));
        }

        var errors = single.Errors + batch.Errors + floorBefore.Errors + floorAfter.Errors + fixedRates.Sum(r => r.Errors);
        if (args.Contains("--floor-breakdown", StringComparer.Ordinal))
        {
            // Which of a batch's storage operations costs Azurite most: each kind alone, then all again.
            Console.WriteLine();
            Console.WriteLine("| floor part (bare SDK, per batch of 100) | reports/s | batches/s | p50 ms | p95 ms | p99 ms | errors |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var (parts, label) in new[] { ("b", "the request blob"), ("q", $"{floor.Messages} messages"), ("t", "2 transactions of 100 rows"), ("bqt", "all, again") })
            {
                floor.Parts = parts;
                var r = await Phase("floor: " + label, seconds, batchConcurrency, _ => floor.RunAsync(), items);
                Console.WriteLine(r.PlatformRow);
            }
        }

        if (backlog > 0)
        {
            await DrainAsync(casesAdmin, processor);
            var start = await CountCasesAsync(casesAdmin);
            var total = Stopwatch.StartNew();
            var batches = (backlog + items - 1) / items;
            var sent = 0;
            var failures = 0;
            await Parallel.ForAsync(0, batches, new ParallelOptions { MaxDegreeOfParallelism = batchConcurrency }, async (_, _) =>
            {
                if (await SucceedsAsync(_ => PostPlatformBatch(http), 0))
                {
                    Interlocked.Add(ref sent, items);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            });
            var acceptedIn = total.Elapsed;
            var cases = "processor off: no cases made";
            if (processor)
            {
                await WaitForCasesAsync(casesAdmin, start + sent);
                cases = string.Create(CultureInfo.InvariantCulture, $"the last was a case after {total.Elapsed.TotalSeconds:F1} s ({sent / total.Elapsed.TotalSeconds:F0} cases/s end to end)");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"backlog: {sent} reports in {batches} batches of {items} with {batchConcurrency} workers accepted in {acceptedIn.TotalSeconds:F1} s ({sent / acceptedIn.TotalSeconds:F0}/s); {cases}; {failures} failed batches"));
            errors += failures;
        }

        return errors == 0 ? 0 : 1;
    }

    private static async Task<long> CountCasesAsync(string casesAdmin)
    {
        await using var connection = new Npgsql.NpgsqlConnection(casesAdmin);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select count(*) from cases", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Until the case table holds <paramref name="count"/> cases (at most 30 minutes).</summary>
    private static async Task WaitForCasesAsync(string casesAdmin, long count)
    {
        var limit = Stopwatch.StartNew();
        while (await CountCasesAsync(casesAdmin) < count)
        {
            if (limit.Elapsed > TimeSpan.FromMinutes(30))
            {
                throw new TimeoutException($"fewer than {count} cases after 30 minutes");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>With the processor on, until the case count stops growing (the previous phase's reports are cases), so phases do not overlap.</summary>
    private static async Task DrainAsync(string casesAdmin, bool processor)
    {
        if (!processor)
        {
            return;
        }

        var last = -1L;
        long now;
        while ((now = await CountCasesAsync(casesAdmin)) != last)
        {
            last = now;
            await Task.Delay(1000);
        }
    }

    /// <summary>A batch of 100's storage operations without the hub: the request blob, the envelopes in 40 KiB messages sent together, the dedup rows and the status rows in a transaction each.</summary>
    private sealed class BatchFloor(Azure.Data.Tables.TableClient table, Azure.Storage.Blobs.BlobContainerClient blobs, QueueClient queue)
    {
        private static readonly BinaryData Request = new(new byte[Hub.Core.Platform.PlatformBatch.MaxItems * 2400]);
        private BinaryData _message = new(new byte[40 * 1024]);

        public int Messages { get; private set; } = 7;

        /// <summary>Which operations run: <c>b</c> the blob, <c>q</c> the messages, <c>t</c> the two transactions (<c>--floor-breakdown</c> runs each alone).</summary>
        public string Parts { get; set; } = "bqt";

        public int MessageBytes => _message.ToMemory().Length;

        /// <summary>The hub's own packing: the mean size and reports per message of the batch messages on its queue.</summary>
        public async Task ShapeLikeAsync(QueueClient reports)
        {
            var peeked = (await reports.PeekMessagesAsync(32)).Value.Select(m => m.Body.ToString()).Where(b => b.StartsWith("{\"schema\":\"hub.report-batch/v1\"", StringComparison.Ordinal)).ToList();
            if (peeked.Count == 0)
            {
                return;
            }

            var perMessage = peeked.Average(b => { using var d = System.Text.Json.JsonDocument.Parse(b); return d.RootElement.GetProperty("reports").GetArrayLength(); });
            Messages = (int)Math.Ceiling(Hub.Core.Platform.PlatformBatch.MaxItems / perMessage);
            _message = new BinaryData(new byte[(int)peeked.Average(b => System.Text.Encoding.UTF8.GetByteCount(b))]);
        }

        public static async Task<BatchFloor> CreateAsync(string cs)
        {
            var table = new Azure.Data.Tables.TableClient(cs, "floorbatch");
            await table.CreateIfNotExistsAsync();
            var blobs = new Azure.Storage.Blobs.BlobContainerClient(cs, "floorbatchraw");
            await blobs.CreateIfNotExistsAsync();
            var queue = new QueueClient(cs, "floorbatch", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
            await queue.CreateIfNotExistsAsync();
            return new BatchFloor(table, blobs, queue);
        }

        public async Task<bool> RunAsync()
        {
            var id = Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
            if (Parts.Contains('b', StringComparison.Ordinal))
            {
                await blobs.GetBlobClient($"floor/{id}.bin").UploadAsync(Request);
            }

            if (Parts.Contains('q', StringComparison.Ordinal))
            {
                await Task.WhenAll(Enumerable.Range(0, Messages).Select(_ => queue.SendMessageAsync(_message)));
            }

            foreach (var partition in Parts.Contains('t', StringComparison.Ordinal) ? new[] { "dedup-" + id, "status-" + id } : [])
            {
                var actions = Enumerable.Range(0, Hub.Core.Platform.PlatformBatch.MaxItems).Select(i =>
                    new Azure.Data.Tables.TableTransactionAction(Azure.Data.Tables.TableTransactionActionType.Add, new Azure.Data.Tables.TableEntity(partition, i.ToString(CultureInfo.InvariantCulture)) { ["ReportId"] = id, ["ReferenceCode"] = "ABCD-EFGH", ["Urgency"] = "high" }));
                await table.SubmitTransactionAsync(actions);
            }

            return true;
        }
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

    internal sealed record Result(string Name, int Count, int Errors, double PerSecond, double P50, double P95, double P99, int ItemsPerOperation = 1)
    {
        public string Row => string.Create(CultureInfo.InvariantCulture, $"| {Name} | {PerSecond:F0} | {P50:F1} | {P95:F1} | {P99:F1} | {Errors} |");

        public string PlatformRow => string.Create(CultureInfo.InvariantCulture, $"| {Name} | {PerSecond * ItemsPerOperation:F0} | {PerSecond:F1} | {P50:F1} | {P95:F1} | {P99:F1} | {Errors} |");
    }

    internal static async Task<Result> Phase(string name, int seconds, int concurrency, Func<int, Task<bool>> operation, int itemsPerOperation = 1)
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
                if (await SucceedsAsync(operation, w))
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

    /// <summary>One operation; a transport failure, a storage error or a timeout counts as an error, not a crash.</summary>
    private static async Task<bool> SucceedsAsync(Func<int, Task<bool>> operation, int worker)
    {
        try
        {
            return await operation(worker);
        }
        catch (Exception ex) when (ex is HttpRequestException or Azure.RequestFailedException or TaskCanceledException)
        {
            return false;
        }
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

    internal static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
