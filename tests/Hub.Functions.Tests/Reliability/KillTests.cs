using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Hub.Functions.Cases;
using Hub.Functions.Hosting;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Hub.Functions.Tests.Reliability;

/// <summary>
/// Chaos under load (docs/reliability.md): the hub as a real process, a load generator posting signed Twilio SMS,
/// gateway SMS and platform reports from 8 workers and retrying every non-2xx until it is accepted. (1) The hub
/// SIGKILLed twice mid-load and restarted. (2) Azurite SIGKILLed mid-load (the hub answers from its spool),
/// restarted, and the hub SIGKILLed in the middle of the spool's drain, then restarted. Afterwards every
/// acknowledged report is exactly one case; the lost count is printed and must be zero.
/// </summary>
[Collection(FuzzRunsAlone.Name)]
public sealed class KillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private AzuriteInstance _azurite = null!;
    private PostgresDatabase _postgres = null!;
    private string _spool = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteInstance.StartAsync();
        _postgres = await PostgresServer.CreateDatabaseAsync();
        _spool = Path.Combine(Path.GetTempPath(), "hub-tests-spool", Guid.NewGuid().ToString("N"));
    }

    public async Task DisposeAsync()
    {
        await _azurite.DisposeAsync();
        await _postgres.DisposeAsync();
        try
        {
            Directory.Delete(_spool, recursive: true);
        }
        catch (IOException)
        {
            // temp data
        }
    }

    private Dictionary<string, string?> Settings(bool processor)
    {
        var settings = HubFixture.CoreSettings(_azurite.ConnectionString, _postgres);
        settings["Hub:Storage:AutoStartAzurite"] = "false";
        settings["Hub:Processor:Enabled"] = processor ? "true" : "false";
        settings["Hub:Processor:RetryBaseDelay"] = "00:00:00.100";
        settings["Hub:Processor:MaxPollInterval"] = "00:00:00.200";
        // Messages a killed hub had received reappear after this: the restarted hub makes their cases.
        settings["Hub:Processor:VisibilityTimeout"] = "00:00:10";
        settings["Hub:Spool:Enabled"] = "true";
        settings["Hub:Spool:Path"] = _spool;
        settings["Hub:Spool:RelayInterval"] = "00:00:00.200";
        settings["Hub:Platforms:tt:Secret"] = TestSecrets.PlatformSecret;
        settings["Hub:Platforms:tt:RatePerMinute"] = "1000000";
        return settings;
    }

    [Fact]
    public async Task HubKilledTwiceMidLoad_EveryAcknowledgedReportIsExactlyOneCase()
    {
        await using var hub = new HubProcess(Settings(processor: true));
        await hub.StartAsync();
        using var client = new HttpClient { BaseAddress = hub.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        var load = new ChaosLoad(client);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(workers: 8, stop.Token);

        for (var kill = 0; kill < 2; kill++)
        {
            await Task.Delay(3000);
            await hub.KillAsync();
            output.WriteLine($"hub SIGKILLed at {load.Elapsed.TotalSeconds:F1} s with {load.AcknowledgedCount} acknowledged");
            await Task.Delay(500);
            await hub.StartAsync();
        }

        await Task.Delay(3000);
        await stop.CancelAsync();
        await running;

        var result = await VerifyAsync(load, emulatorLossWindow: null);
        output.WriteLine($"hub killed 2× mid-load: {load.AcknowledgedCount} reports acknowledged after {load.Attempts} attempts ({load.Retries} retried), lost reports: {result.Lost}");
        load.Refused.ShouldBeEmpty();
        load.AcknowledgedCount.ShouldBeGreaterThan(50);
        load.Retries.ShouldBeGreaterThan(0, "the kills cut requests that the generator had to retry");
        result.Lost.ShouldBe(0, hub.Tail());
        await ShouldBeDrainedAsync();
    }

    [Fact]
    public async Task AzuriteKilledMidLoad_HubAnswersFromItsSpool_HubKilledMidDrain_NothingLost()
    {
        await using var hub = new HubProcess(Settings(processor: false));
        await hub.StartAsync();
        using var client = new HttpClient { BaseAddress = hub.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        var load = new ChaosLoad(client);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(workers: 8, stop.Token);
        var canary = new Canary(_azurite.ConnectionString, () => load.Elapsed);
        await canary.StartAsync();

        // Long enough before the kill that Azurite has saved its early writes: reports acknowledged more than its
        // autosave window before the kill must all survive, so only the last seconds are excused as the emulator's.
        await Task.Delay(10_000);
        await _azurite.KillAsync();
        var killedAt = load.Elapsed;
        output.WriteLine($"Azurite SIGKILLed at {killedAt.TotalSeconds:F1} s with {load.AcknowledgedCount} acknowledged");
        await Task.Delay(4000);
        var duringOutage = load.AcknowledgedCount;
        await _azurite.RestartAsync();
        output.WriteLine($"Azurite back at {load.Elapsed.TotalSeconds:F1} s; {duringOutage} acknowledged so far");

        // Kill the hub while its relay is part-way through a segment (a progress file exists), then restart it
        // with the case processor on.
        var deadline = DateTimeOffsetClock.Elapsed(TimeSpan.FromSeconds(30));
        while (!Directory.EnumerateFiles(_spool, "*.done").Any() && !deadline.IsExpired)
        {
            await Task.Delay(20);
        }

        var midDrain = Directory.EnumerateFiles(_spool, "*.done").Any();
        await hub.KillAsync();
        output.WriteLine($"hub SIGKILLed {(midDrain ? "mid-drain" : "(no drain seen)")} at {load.Elapsed.TotalSeconds:F1} s");
        hub.Set("Hub:Processor:Enabled", "true");
        await hub.StartAsync();
        await Task.Delay(3000);
        await stop.CancelAsync();
        await running;
        await canary.StopAsync();

        // The emulator's loss window, measured rather than assumed: from the first of its own acknowledged canary
        // writes it forgot (the queue store's last save before the kill) to the kill.
        var canaryLost = await canary.LostAsync();
        var result = await VerifyAsync(load, canaryLost.FirstLostAt is { } first ? (first - TimeSpan.FromMilliseconds(500), killedAt) : null);
        output.WriteLine($"Azurite's loss window (from the canary): {(canaryLost.FirstLostAt is { } f ? $"{f.TotalSeconds:F2} s to {killedAt.TotalSeconds:F2} s" : "none")}");
        output.WriteLine($"Azurite killed mid-load, hub killed mid-drain: {load.AcknowledgedCount} reports acknowledged ({load.Retries} retried), " +
            $"lost by the hub: {result.Lost}; lost inside Azurite's own loss window before its SIGKILL: {result.EmulatorWindow}; " +
            $"the emulator's own canary writes lost: {canaryLost.Lost} of {canaryLost.Written}");
        midDrain.ShouldBeTrue("the hub must be killed while the relay is draining");
        load.Refused.ShouldBeEmpty();
        hub.Tail(400).ShouldContain("written to the local spool", Case.Sensitive, "reports were acknowledged from the spool during the outage");
        result.Lost.ShouldBe(0, hub.Tail());
        await ShouldBeDrainedAsync();
    }

    private async Task<(int Lost, int EmulatorWindow)> VerifyAsync(ChaosLoad load, (TimeSpan From, TimeSpan To)? emulatorLossWindow)
    {
        // The hub runs in another process: read its cases through the same store it writes them with.
        await using var database = _postgres.Open();
        var cases = new Hub.Functions.Cases.Database.PostgresCaseStore(database, Microsoft.Extensions.Options.Options.Create(new HubOptions()), TimeProvider.System);
        var missing = load.Acknowledged.ToDictionary();
        var deadline = DateTimeOffsetClock.Elapsed(TimeSpan.FromSeconds(180));
        var stalled = Stopwatch.StartNew();
        while (missing.Count > 0 && !deadline.IsExpired && stalled.Elapsed < TimeSpan.FromSeconds(30))
        {
            var before = missing.Count;
            foreach (var ((instance, id), ack) in missing.ToList())
            {
                if (await cases.FindAsync(instance, id, CancellationToken.None) is { } found)
                {
                    if (ack.ReferenceCode is { } code)
                    {
                        found.ReferenceCode.ShouldBe(code, $"{instance}/{id}: the code the reporter was given");
                    }

                    missing.Remove((instance, id));
                }
            }

            if (missing.Count < before)
            {
                stalled.Restart(); // the processor is still making cases: keep waiting while it progresses
            }

            if (missing.Count > 0)
            {
                await Task.Delay(500);
            }
        }

        // Azurite keeps its metadata in memory and saves it every 5 s (LokiJS autosave): a SIGKILL loses what it
        // acknowledged since its last save. Reports acknowledged by storage then are the emulator's loss, not the hub's.
        var window = emulatorLossWindow is { } w
            ? missing.Count(m => m.Value.At >= w.From && m.Value.At <= w.To)
            : 0;
        foreach (var ((instance, id), ack) in missing.OrderBy(m => m.Value.At).Take(20))
        {
            output.WriteLine($"missing: {instance}/{id} acknowledged at {ack.At.TotalSeconds:F2} s");
        }

        if (missing.Count > 0)
        {
            output.WriteLine($"missing reports were acknowledged between {missing.Min(m => m.Value.At).TotalSeconds:F2} s and {missing.Max(m => m.Value.At).TotalSeconds:F2} s");
        }

        return (missing.Count - window, window);
    }

    private async Task ShouldBeDrainedAsync()
    {
        (Directory.Exists(_spool) ? Directory.EnumerateFiles(_spool, "*.spool") : []).ShouldBeEmpty("the relay delivered everything");
        var poison = new QueueClient(_azurite.ConnectionString, "reports-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        (await poison.PeekMessagesAsync(1)).Value.ShouldBeEmpty();
    }

    /// <summary>Direct SDK writes to Azurite during the same run: how many of its own acknowledged writes the emulator forgets on SIGKILL.</summary>
    private sealed class Canary(string connectionString, Func<TimeSpan> clock)
    {
        private readonly QueueClient _queue = new(connectionString, "canary");
        private readonly ConcurrentDictionary<string, TimeSpan> _written = new();
        private volatile bool _stopped;
        private Task? _loop;

        public async Task StartAsync()
        {
            await _queue.CreateIfNotExistsAsync();
            _loop = Task.Run(async () =>
            {
                while (!_stopped)
                {
                    var id = Guid.NewGuid().ToString("N");
                    try
                    {
                        await _queue.SendMessageAsync(id, timeToLive: TimeSpan.FromSeconds(-1));
                        _written[id] = clock();
                    }
                    catch (Exception ex) when (HubStorage.IsUnavailable(ex) || ex is Azure.RequestFailedException)
                    {
                        // down: not acknowledged, not counted
                    }

                    await Task.Delay(20);
                }
            });
        }

        public async Task StopAsync()
        {
            _stopped = true;
            await _loop!;
        }

        public async Task<(int Written, int Lost, TimeSpan? FirstLostAt)> LostAsync()
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                var batch = (await _queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
                if (batch.Length == 0)
                {
                    break;
                }

                foreach (var m in batch)
                {
                    seen.Add(m.Body.ToString());
                }
            }

            var lost = _written.Where(w => !seen.Contains(w.Key)).Select(w => w.Value).ToList();
            return (_written.Count, lost.Count, lost.Count > 0 ? lost.Min() : null);
        }
    }
}

/// <summary>
/// The load generator of the kill tests: each worker makes a fresh report (Twilio SMS, gateway SMS or platform
/// report in turn), posts it until it gets a 2xx (connection refused, reset, timeout and 5xx are retried, as a
/// provider would), records when and with which reference code it was acknowledged, and moves on.
/// </summary>
public sealed class ChaosLoad(HttpClient client)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private int _attempts;
    private int _retries;
    private int _sequence;

    public sealed record Ack(TimeSpan At, string? ReferenceCode);

    public ConcurrentDictionary<(string Instance, string Id), Ack> Acknowledged { get; } = new();

    public ConcurrentBag<string> Refused { get; } = [];

    public int AcknowledgedCount => Acknowledged.Count;

    public int Attempts => Volatile.Read(ref _attempts);

    public int Retries => Volatile.Read(ref _retries);

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    public Task RunAsync(int workers, CancellationToken stopNew) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!stopNew.IsCancellationRequested)
            {
                await DeliverAsync(Interlocked.Increment(ref _sequence));
            }
        })));

    private async Task DeliverAsync(int n)
    {
        var (instance, id, build) = (n % 3) switch
        {
            0 => Sms(n),
            1 => Gateway(n),
            _ => Platform(n),
        };
        var deadline = DateTimeOffsetClock.Elapsed(TimeSpan.FromMinutes(3));
        while (!deadline.IsExpired)
        {
            Interlocked.Increment(ref _attempts);
            try
            {
                using var request = build();
                using var response = await client.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    Acknowledged[(instance, id)] = new Ack(Elapsed, await ReferenceOfAsync(instance, response));
                    return;
                }

                if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                {
                    Refused.Add($"{instance}/{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                // the hub is down or was killed mid-request (refused, or reset just after connecting): retry, as a provider does
            }

            Interlocked.Increment(ref _retries);
            await Task.Delay(100);
        }

        Refused.Add($"{instance}/{id}: never acknowledged in 3 minutes");
    }

    private static async Task<string?> ReferenceOfAsync(string instance, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        return instance switch
        {
            "hn-sms" => System.Text.RegularExpressions.Regex.Match(body, "[A-Z0-9]{4}-[A-Z0-9]{4}").Value,
            "vt-gw" => JsonDocument.Parse(body).RootElement.GetProperty("reference").GetString(),
            _ => JsonDocument.Parse(body).RootElement.GetProperty("referenceCode").GetString(),
        };
    }

    private static (string, string, Func<HttpRequestMessage>) Sms(int n)
    {
        var sid = ProviderRequests.NewSid();
        var form = ProviderRequests.TwilioSms(sid, $"tin {n}: em bị bắt nạt trên mạng, cứu em");
        return ("hn-sms", sid, () => ProviderRequests.Twilio("hn-sms", form));
    }

    private static (string, string, Func<HttpRequestMessage>) Gateway(int n)
    {
        var id = "vt-" + Guid.NewGuid().ToString("N");
        var json = ProviderRequests.GatewayJson(id, $"tin {n}: bạn em bị dụ dỗ");
        return ("vt-gw", id, () => ProviderRequests.Gateway("vt-gw", json, TimeProvider.System.GetUtcNow()));
    }

    private static (string, string, Func<HttpRequestMessage>) Platform(int n)
    {
        var id = PlatformFixture.NewId();
        var body = PlatformFixture.Minimal(id, n % 2 == 0 ? "cyberbullying" : "online-enticement");
        return ("tt", id, () => PlatformFixture.Call(HttpMethod.Post, "/reports", body));
    }
}
