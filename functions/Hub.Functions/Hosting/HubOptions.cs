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

    /// <summary>Zalo access tokens are refreshed when less than this is left (channels.md §4.8: e.g. 6 h).</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromHours(6);
}

public sealed class StorageOptions
{
    public const string DevelopmentConnectionString = "UseDevelopmentStorage=true";

    public string ConnectionString { get; set; } = DevelopmentConnectionString;

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
}
