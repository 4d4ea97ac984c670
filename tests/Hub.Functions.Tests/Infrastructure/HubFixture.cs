using Azure.Data.Tables;
using Azure.Storage.Queues.Models;
using Hub.Functions.Cases;
using Microsoft.Extensions.Hosting;
using Hub.Functions.Messaging;
using Hub.Functions.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The hub hosted in-process (the real Program, real endpoints, real Azure SDK) against this fixture's own
/// Azurite. Environment "Testing": not Development, so the real key validation runs and no dev key is used.
/// </summary>
public class HubFixture : IAsyncLifetime
{
    public const string PublicBaseUrl = "https://hub.example.vn";
    private WebApplicationFactory<Program>? _factory;

    public AzuriteInstance Azurite { get; private set; } = null!;

    /// <summary>This fixture's own database (a fresh copy of the migrated schema) on the test run's PostgreSQL.</summary>
    public PostgresDatabase Postgres { get; private set; } = null!;

    public LogCapture Logs { get; } = new();

    public FaultInjectingCaseStore Faults { get; private set; } = null!;

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("not started");

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => Factory.Services;

    public HubStorage Storage => Services.GetRequiredService<HubStorage>();

    /// <summary>The case database: a fresh copy on the run's shared cluster, or (for outage tests) a cluster of its own.</summary>
    protected virtual Task<PostgresDatabase> CreateDatabaseAsync() => PostgresServer.CreateDatabaseAsync();

    /// <summary>"Testing" (not Development: real key validation, no dev keys); a fixture of Development-only features says "Development".</summary>
    protected virtual string EnvironmentName => "Testing";

    /// <summary>
    /// A real Kestrel listener on a free loopback port (<see cref="ServerAddress"/>), for a real browser; otherwise the
    /// in-memory test server. <see cref="Client"/> talks to whichever is in use.
    /// </summary>
    protected virtual bool RealListener => false;

    /// <summary>Where the real listener listens (null with the in-memory test server).</summary>
    public Uri? ServerAddress { get; private set; }

    /// <summary>Settings a derived fixture adds or overrides (e.g. the processor off, custom-handler mode).</summary>
    protected virtual IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    /// <summary>Services a derived fixture adds (after the app's own), e.g. an in-memory trace exporter.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual async Task InitializeAsync()
    {
        var azurite = AzuriteInstance.StartAsync();
        Postgres = await CreateDatabaseAsync();
        Azurite = await azurite;
        var settings = CoreSettings(Azurite.ConnectionString, Postgres);
        foreach (var (k, v) in new Dictionary<string, string?>
        {
            ["Hub:Intake:RetryAfterSeconds"] = "20",
            // Most suites test the no-spool contract (Functions mode: 503, the provider retries); SpoolTests turn it on.
            ["Hub:Spool:Enabled"] = "false",
            ["Hub:Processor:RetryBaseDelay"] = "00:00:00.050",
            ["Hub:Processor:MaxPollInterval"] = "00:00:00.100",
            ["Hub:Processor:VisibilityTimeout"] = "00:00:30",
            ["Hub:Cases:OutageRetryDelay"] = "00:00:00.100",
            ["Hub:Channels:hn-sms:Province"] = "01",
            ["Hub:Channels:media-sms:Type"] = "twilio-sms",
            ["Hub:Channels:media-sms:AccountSid"] = TestSecrets.TwilioAccountSid,
            ["Hub:Channels:media-sms:AuthToken"] = TestSecrets.TwilioAuthToken,
            ["Hub:Channels:media-sms:AllowPrivateMediaHosts"] = "true",
            ["Hub:Channels:media-sms:MediaHosts:0"] = "127.0.0.1",
            ["Hub:Channels:media-sms:MaxMediaBytes"] = "4096",
            ["Hub:Channels:vt-gw:SecondarySecret"] = TestSecrets.GatewaySecondarySecret,
            ["Hub:Channels:vt-gw:Carrier"] = "viettel",
        })
        {
            settings[k] = v;
        }

        foreach (var (k, v) in ExtraSettings)
        {
            settings[k] = v;
        }

        if (RealListener)
        {
            settings["urls"] = "http://127.0.0.1:0"; // not the app's default :7071
        }

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment(EnvironmentName);
            foreach (var (k, v) in settings)
            {
                b.UseSetting(k, v);
            }

            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
            b.ConfigureServices(s =>
            {
                s.RemoveAll<Hub.Functions.Media.IMediaHostResolver>();
                s.AddSingleton<Hub.Functions.Media.IMediaHostResolver, LoopbackHostResolver>();
                s.RemoveAll<ICaseStore>();
                s.AddSingleton<FaultInjectingCaseStore>(sp => new FaultInjectingCaseStore(sp.GetRequiredService<Hub.Functions.Cases.Database.PostgresCaseStore>()));
                s.AddSingleton<ICaseStore>(sp => sp.GetRequiredService<FaultInjectingCaseStore>());
                ConfigureServices(s);
            });
        });
        if (RealListener)
        {
            // Port 0: the system picks a free port, so parallel runs and busy machines never race for one.
            _factory.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
            _factory.StartServer();
            var addresses = _factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
                .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
            ServerAddress = new Uri(addresses.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        }

        Client = _factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = ServerAddress ?? new Uri(PublicBaseUrl), AllowAutoRedirect = false });
        Faults = Services.GetRequiredService<FaultInjectingCaseStore>();
        await Storage.EnsureCreatedAsync(CancellationToken.None);
    }

    /// <summary>What every test hub has: storage, its case database, privacy keys, a Twilio SMS channel <c>hn-sms</c> and a gateway <c>vt-gw</c>.</summary>
    public static Dictionary<string, string?> CoreSettings(string storageConnectionString, PostgresDatabase? cases)
    {
        var settings = CoreSettings(storageConnectionString);
        foreach (var (k, v) in cases?.Settings ?? [])
        {
            settings[k] = v;
        }

        return settings;
    }

    private static Dictionary<string, string?> CoreSettings(string storageConnectionString) => new()
    {
        ["Hub:PublicBaseUrl"] = PublicBaseUrl,
        ["Hub:Storage:ConnectionString"] = storageConnectionString,
        ["Hub:Storage:NetworkTimeout"] = "00:00:02",
        ["Hub:Telemetry:PrometheusPort"] = "-1", // a Development fixture would take run.sh's port 9464; TelemetryTests use port 0
        ["Hub:Storage:MaxRetries"] = "1",
        ["Hub:Privacy:PseudonymKey"] = TestSecrets.PseudonymKey,
        ["Hub:Privacy:ContactKeys:t1"] = TestSecrets.ContactKey,
        ["Hub:Privacy:ActiveContactKeyId"] = "t1",
        ["Hub:Channels:hn-sms:Type"] = "twilio-sms",
        ["Hub:Channels:hn-sms:AccountSid"] = TestSecrets.TwilioAccountSid,
        ["Hub:Channels:hn-sms:AuthToken"] = TestSecrets.TwilioAuthToken,
        ["Hub:Channels:vt-gw:Type"] = "sms-gateway",
        ["Hub:Channels:vt-gw:Secret"] = TestSecrets.GatewaySecret,
        ["Hub:Channels:web:Type"] = "web",
        ["Hub:WebForm:Instance"] = "web", // named: a Development fixture also has the settings' demo-web
    };

    public virtual async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Azurite.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    /// <summary>Waits (bounded) for the processor to have written the case for (instance, message id).</summary>
    public ICaseStore Cases => Services.GetRequiredService<ICaseStore>();

    /// <summary>The standalone poller of one queue consumer (<c>ProcessReport</c>, <c>BotTurn</c>, <c>DeliverTakedown</c>).</summary>
    public QueueWorker Worker(string functionName) =>
        Services.GetServices<IHostedService>().OfType<QueueWorker>().Single(w => w.Consumer.FunctionName == functionName);

    public async Task<CaseRecord?> WaitForCaseAsync(string instance, string messageId, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffsetClock.Elapsed(timeout ?? TimeSpan.FromSeconds(20));
        while (!deadline.IsExpired)
        {
            if (await Cases.FindAsync(instance, messageId, CancellationToken.None) is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        return null;
    }

    public async Task<int> CountBlobsAsync(string container, string prefix)
    {
        var client = container == HubStorage.RawContainer ? Storage.Raw : Storage.Evidence;
        var n = 0;
        await foreach (var _ in client.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
        {
            n++;
        }

        return n;
    }

    public async Task<List<string>> PeekReportsAsync()
    {
        PeekedMessage[] peeked = (await Storage.Reports.PeekMessagesAsync(32)).Value;
        return peeked.Select(m => m.Body.ToString()).ToList();
    }
}

/// <summary>Bounded waits measured by a monotonic clock (Stopwatch), not DateTime.</summary>
public readonly struct DateTimeOffsetClock
{
    private readonly long _start;
    private readonly TimeSpan _limit;

    private DateTimeOffsetClock(TimeSpan limit)
    {
        _start = System.Diagnostics.Stopwatch.GetTimestamp();
        _limit = limit;
    }

    public bool IsExpired => System.Diagnostics.Stopwatch.GetElapsedTime(_start) > _limit;

    public static DateTimeOffsetClock Elapsed(TimeSpan limit) => new(limit);
}

/// <summary>
/// The real case store with a switch that makes writes fail for chosen reports: lets a test drive a message through
/// every retry into the poison queue against real storage, then heal and replay it. It passes the case store contract
/// suite like the store it wraps (Cases/FaultInjectingCaseStoreContractTests).
/// </summary>
public sealed class FaultInjectingCaseStore(ICaseStore inner) : ICaseStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _failing = new(StringComparer.Ordinal);

    public System.Collections.Concurrent.ConcurrentDictionary<string, int> Attempts { get; } = new(StringComparer.Ordinal);

    public void FailFor(string providerMessageId) => _failing[providerMessageId] = 1;

    /// <summary>Writes for this message fail as a database outage does (a refused connection), not as a bad message.</summary>
    public void UnavailableFor(string providerMessageId) => _failing[providerMessageId] = 2;

    public void Heal(string providerMessageId) => _failing.TryRemove(providerMessageId, out _);

    public Task<ProcessOutcome> WriteAsync(Hub.Core.Envelope.ReportEnvelope envelope, string envelopeJson, CancellationToken ct)
    {
        Attempts.AddOrUpdate(envelope.Source.ProviderMessageId, 1, (_, n) => n + 1);
        if (_failing.TryGetValue(envelope.Source.ProviderMessageId, out var kind))
        {
            throw kind == 2
                ? new Npgsql.NpgsqlException("injected case-store outage", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused))
                : new InvalidOperationException("injected case-store failure");
        }

        return inner.WriteAsync(envelope, envelopeJson, ct);
    }

    /// <summary>A batch write fails as a whole when any of its envelopes is set to fail (as one bad row fails a PostgreSQL batch); otherwise the real store's batch write.</summary>
    public Task<IReadOnlyList<ProcessOutcome>> WriteManyAsync(IReadOnlyList<(Hub.Core.Envelope.ReportEnvelope Envelope, string Json)> envelopes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelopes);
        BatchWrites.Add(envelopes.Count);
        var kind = 0;
        foreach (var (envelope, _) in envelopes)
        {
            Attempts.AddOrUpdate(envelope.Source.ProviderMessageId, 1, (_, n) => n + 1);
            if (_failing.TryGetValue(envelope.Source.ProviderMessageId, out var k))
            {
                kind = Math.Max(kind, k);
            }
        }

        return kind switch
        {
            2 => throw new Npgsql.NpgsqlException("injected case-store outage", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)),
            1 => throw new InvalidOperationException("injected case-store failure"),
            _ => inner.WriteManyAsync(envelopes, ct),
        };
    }

    /// <summary>The size of every batch write, in order: proves the batch path ran.</summary>
    public System.Collections.Concurrent.ConcurrentBag<int> BatchWrites { get; } = [];

    public Task<CaseRecord?> FindAsync(string channelInstance, string providerMessageId, CancellationToken ct) => inner.FindAsync(channelInstance, providerMessageId, ct);

    public Task<CaseRecord?> FindByReferenceCodeAsync(string referenceCode, CancellationToken ct) => inner.FindByReferenceCodeAsync(referenceCode, ct);

    public Task<CaseRecord?> GetAsync(string id, CancellationToken ct) => inner.GetAsync(id, ct);

    public Task<IReadOnlyList<CaseRecord>> ListRecentAsync(int count, CancellationToken ct) => inner.ListRecentAsync(count, ct);

    public Task CheckAsync(CancellationToken ct) => inner.CheckAsync(ct);
}
