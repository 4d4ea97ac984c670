using System.ComponentModel.DataAnnotations;

namespace Hub.Functions.Hosting;

/// <summary><c>Hub:*</c> configuration (README "Configuration"). Bound once, validated at start-up.</summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>The public URL providers call; Twilio signs it, so it must match what is configured there.</summary>
    [Required]
    public string PublicBaseUrl { get; set; } = "http://localhost:7071";

    public StorageOptions Storage { get; set; } = new();

    public QueueNames Queues { get; set; } = new();

    public ProcessorOptions Processor { get; set; } = new();

    public IntakeOptions Intake { get; set; } = new();

    public BotOptions Bots { get; set; } = new();

    /// <summary>SMS replies to reporters (<c>Hub:Sms</c>): retries, limits.</summary>
    public Channels.SmsOutbound.SmsOutboundOptions Sms { get; set; } = new();

    /// <summary><c>Hub:Spool</c>: standalone mode's local spool for storage outages.</summary>
    public Spool.SpoolOptions Spool { get; set; } = new();

    /// <summary><c>Hub:Cases</c>: the PostgreSQL case store and the cases' clocks.</summary>
    public Cases.Database.CasesOptions Cases { get; set; } = new();

    /// <summary>Which team owns a new case and which referrals to propose (docs/routing.md).</summary>
    public Cases.RoutingOptions Routing { get; set; } = new();
}

/// <summary><c>Hub:Bots</c>: the chat channels' dialog and outbound calls.</summary>
public sealed class BotOptions
{
    /// <summary>A conversation quiet this long still becomes a report with everything said so far.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Retries of an outbound send on 429/5xx/transport errors, before the turn fails visibly.</summary>
    [Range(0, 10)]
    public int SendRetries { get; set; } = 3;

    public TimeSpan SendRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Zalo access tokens are refreshed when less than this is left (docs/protocols/zalo.md#tokens).</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromHours(6);
}

public sealed class StorageOptions
{
    public const string DevelopmentConnectionString = "UseDevelopmentStorage=true";

    public string ConnectionString { get; set; } = DevelopmentConnectionString;

    /// <summary>
    /// On Azure, the storage account's name: the hub then reaches <c>https://{name}.{queue|table|blob}.core.windows.net</c>
    /// with a managed identity (Azure.Identity) and ignores <see cref="ConnectionString"/>, so no account key exists in
    /// configuration at all (the account has shared-key access off).
    /// </summary>
    public string? AccountName { get; set; }

    /// <summary>Service URIs, when not the public cloud's defaults for <see cref="AccountName"/> (sovereign clouds, private endpoints).</summary>
    public Uri? QueueServiceUri { get; set; }

    public Uri? TableServiceUri { get; set; }

    public Uri? BlobServiceUri { get; set; }

    /// <summary>The user-assigned identity's client id; without it, DefaultAzureCredential's chain is used.</summary>
    public string? ManagedIdentityClientId { get; set; }

    public bool UsesIdentity => !string.IsNullOrWhiteSpace(AccountName) || QueueServiceUri is not null || TableServiceUri is not null || BlobServiceUri is not null;

    public Uri ServiceUri(string service) => service switch
    {
        "queue" when QueueServiceUri is not null => QueueServiceUri,
        "table" when TableServiceUri is not null => TableServiceUri,
        "blob" when BlobServiceUri is not null => BlobServiceUri,
        _ when !string.IsNullOrWhiteSpace(AccountName) => new Uri($"https://{AccountName}.{service}.core.windows.net"),
        _ => throw new InvalidOperationException($"Hub:Storage: set AccountName or {char.ToUpperInvariant(service[0])}{service[1..]}ServiceUri for identity-based access."),
    };

    /// <summary>In Development, start Azurite when nothing listens on its ports (README "Run").</summary>
    public bool AutoStartAzurite { get; set; } = true;

    /// <summary>Storage calls sit inside a provider's webhook deadline (Twilio 15 s, Zalo 2 s): fail fast, answer 503.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public int MaxRetries { get; set; } = 2;
}

public sealed class QueueNames
{
    public string Reports { get; set; } = "reports";

    public string ReportsPoison => Reports + "-poison";
}

public sealed class ProcessorOptions
{
    /// <summary>Standalone background polling; always off in custom-handler mode (the host triggers instead).</summary>
    public bool Enabled { get; set; } = true;

    [Range(1, 32)]
    public int BatchSize { get; set; } = 16;

    /// <summary>Attempts before a message moves to the poison queue (the Functions default, 5).</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Delay before a failed message is tried again: base × 2^(attempt-1), capped at 5 minutes.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(2);
}

public sealed class IntakeOptions
{
    /// <summary>Seconds a provider is asked to wait (<c>Retry-After</c>) when storage is unreachable.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>
    /// An inbound request still unanswered after this is cut and answered 503 (nothing acknowledged; the provider
    /// retries, and the intake's dedup row makes the retry safe). courier's wrapper uses the same 30 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
