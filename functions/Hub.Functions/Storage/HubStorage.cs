using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Storage;

/// <summary>
/// The hub's Azure Storage resources, through the real SDK clients (Azurite locally and in CI).
/// Queue messages are Base64, the Functions queue trigger's default encoding, so a message written here
/// is read by the trigger on Azure exactly as by the standalone poller.
/// </summary>
public sealed class HubStorage
{
    public const string CasesTable = "cases";
    public const string IntakeTable = "intake";
    public const string OptOutsTable = "optouts";
    public const string ConversationsTable = "conversations";
    public const string ZaloTokensTable = "zalotokens";
    public const string CallsTable = "calls";
    public const string PlatformsTable = "platforms";
    public const string PlatformReportsTable = "platformreports";
    public const string TakedownsQueue = "takedowns";
    public const string BotTurnsQueue = "bot-turns";
    public const string RawContainer = "raw";
    public const string EvidenceContainer = "evidence";

    private volatile bool _ensured;
    private Task? _ensuring;

    public HubStorage(IOptions<HubOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        var cs = o.Storage.ConnectionString;

        var queueOptions = Configure(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, o.Storage);
        // Identity-based access on Azure (no key anywhere); a connection string for Azurite and development.
        var credential = o.Storage.UsesIdentity ? Credential(o.Storage) : null;
        var queues = credential is null ? new QueueServiceClient(cs, queueOptions) : new QueueServiceClient(o.Storage.ServiceUri("queue"), credential, queueOptions);
        Reports = queues.GetQueueClient(o.Queues.Reports);
        ReportsPoison = queues.GetQueueClient(o.Queues.ReportsPoison);
        BotTurns = queues.GetQueueClient(BotTurnsQueue);
        BotTurnsPoison = queues.GetQueueClient(BotTurnsQueue + "-poison");
        Takedowns = queues.GetQueueClient(TakedownsQueue);
        TakedownsPoison = queues.GetQueueClient(TakedownsQueue + "-poison");

        var tables = credential is null
            ? new TableServiceClient(cs, Configure(new TableClientOptions(), o.Storage))
            : new TableServiceClient(o.Storage.ServiceUri("table"), credential, Configure(new TableClientOptions(), o.Storage));
        Cases = tables.GetTableClient(CasesTable);
        Intake = tables.GetTableClient(IntakeTable);
        OptOuts = tables.GetTableClient(OptOutsTable);
        Conversations = tables.GetTableClient(ConversationsTable);
        ZaloTokens = tables.GetTableClient(ZaloTokensTable);
        Calls = tables.GetTableClient(CallsTable);
        Platforms = tables.GetTableClient(PlatformsTable);
        PlatformReports = tables.GetTableClient(PlatformReportsTable);

        var blobs = credential is null
            ? new BlobServiceClient(cs, Configure(new BlobClientOptions(), o.Storage))
            : new BlobServiceClient(o.Storage.ServiceUri("blob"), credential, Configure(new BlobClientOptions(), o.Storage));
        Raw = blobs.GetBlobContainerClient(RawContainer);
        Evidence = blobs.GetBlobContainerClient(EvidenceContainer);
    }

    public QueueClient Reports { get; }

    public QueueClient ReportsPoison { get; }

    public TableClient Cases { get; }

    public TableClient Intake { get; }

    public TableClient OptOuts { get; }

    /// <summary>Chat dialog turns: inbound messages persisted by the webhook, handled asynchronously.</summary>
    public QueueClient BotTurns { get; }

    public QueueClient BotTurnsPoison { get; }

    public TableClient Conversations { get; }

    public TableClient ZaloTokens { get; }

    /// <summary>One row per voice call (CallSid): the call's state, from which each report revision is built.</summary>
    public TableClient Calls { get; }

    /// <summary>Platforms registered by the admin command (secrets sealed), beside those in configuration.</summary>
    public TableClient Platforms { get; }

    /// <summary>One row per platform report (PartitionKey = platform, RowKey = hub report id): status and takedowns.</summary>
    public TableClient PlatformReports { get; }

    /// <summary>Takedown requests waiting to be delivered to a platform's callback URL.</summary>
    public QueueClient Takedowns { get; }

    public QueueClient TakedownsPoison { get; }

    public BlobContainerClient Raw { get; }

    public BlobContainerClient Evidence { get; }

    /// <summary>Creates queues, tables and containers once per process; storage errors propagate (→ 503).</summary>
    public Task EnsureCreatedAsync(CancellationToken ct)
    {
        if (_ensured)
        {
            return Task.CompletedTask;
        }

        // One creation in flight at a time; a failed one is retried by the next caller. The creation itself
        // is not tied to one caller's token, so an aborted request cannot fail it for everyone else.
        var current = Volatile.Read(ref _ensuring);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            var fresh = CreateAllAsync();
            current = Interlocked.CompareExchange(ref _ensuring, fresh, current) == current ? fresh : Volatile.Read(ref _ensuring)!;
        }

        return current.WaitAsync(ct);
    }

    private async Task CreateAllAsync()
    {
        var ct = CancellationToken.None;
        await Task.WhenAll(
            Reports.CreateIfNotExistsAsync(cancellationToken: ct),
            ReportsPoison.CreateIfNotExistsAsync(cancellationToken: ct),
            Cases.CreateIfNotExistsAsync(ct),
            Intake.CreateIfNotExistsAsync(ct),
            OptOuts.CreateIfNotExistsAsync(ct),
            BotTurns.CreateIfNotExistsAsync(cancellationToken: ct),
            BotTurnsPoison.CreateIfNotExistsAsync(cancellationToken: ct),
            Conversations.CreateIfNotExistsAsync(ct),
            ZaloTokens.CreateIfNotExistsAsync(ct),
            Calls.CreateIfNotExistsAsync(ct),
            Platforms.CreateIfNotExistsAsync(ct),
            PlatformReports.CreateIfNotExistsAsync(ct),
            Takedowns.CreateIfNotExistsAsync(cancellationToken: ct),
            TakedownsPoison.CreateIfNotExistsAsync(cancellationToken: ct),
            Raw.CreateIfNotExistsAsync(cancellationToken: ct),
            Evidence.CreateIfNotExistsAsync(cancellationToken: ct));
        _ensured = true;
    }

    /// <summary>
    /// Runs a storage operation; when one of the hub's own queues, tables or containers turns out to be
    /// missing (deleted by an operator, or lost by an emulator restart), re-creates them and runs it once more.
    /// </summary>
    public async Task<T> WithResourcesAsync<T>(Func<Task<T>> operation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await EnsureCreatedAsync(ct);
        try
        {
            return await operation();
        }
        catch (RequestFailedException ex) when (IsMissingResource(ex))
        {
            _ensured = false;
            Volatile.Write(ref _ensuring, null);
            await EnsureCreatedAsync(ct);
            return await operation();
        }
    }

    internal static bool IsMissingResource(RequestFailedException ex) =>
        ex.Status == 404 && ex.ErrorCode is "ContainerNotFound" or "QueueNotFound" or "TableNotFound" or "ResourceNotFound";

    /// <summary>Storage refused a value or entity as too large (a property over 64 KiB, an entity over 1 MiB): the request's fault.</summary>
    public static bool IsTooLarge(RequestFailedException ex) =>
        ex.Status is 400 or 413 && ex.ErrorCode is "PropertyValueTooLarge" or "EntityTooLarge" or "RequestBodyTooLarge" or "MessageTooLarge";

    /// <summary>True when a failure means "storage is unreachable or overloaded": answer 503, the provider retries.</summary>
    public static bool IsUnavailable(Exception ex) => ex switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500,
        HttpRequestException or System.Net.Sockets.SocketException or IOException or TimeoutException => true,
        TaskCanceledException => true,
        AggregateException a => a.InnerExceptions.Any(IsUnavailable),
        _ => ex.InnerException is not null && IsUnavailable(ex.InnerException),
    };

    /// <summary>The user-assigned identity when its client id is configured; otherwise the default chain (system identity, developer sign-in).</summary>
    internal static TokenCredential Credential(StorageOptions storage) =>
        storage.ManagedIdentityClientId is { Length: > 0 } clientId
            ? new Azure.Identity.ManagedIdentityCredential(Azure.Identity.ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new Azure.Identity.DefaultAzureCredential();

    private static T Configure<T>(T options, StorageOptions storage)
        where T : ClientOptions
    {
        options.Retry.MaxRetries = storage.MaxRetries;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = storage.NetworkTimeout;
        return options;
    }
}
