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
    public const string RawContainer = "raw";
    public const string EvidenceContainer = "evidence";

    private readonly QueueServiceClient _queues;
    private readonly TableServiceClient _tables;
    private readonly BlobServiceClient _blobs;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, QueueClient> _queueClients = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TableClient> _tableClients = new(StringComparer.Ordinal);
    private volatile bool _ensured;
    private Task? _ensuring;

    /// <param name="options">Where storage is.</param>
    /// <param name="resources">The queues, tables and containers the areas registered (<see cref="StorageRegistration.AddStorageResource"/>).</param>
    /// <param name="policies">Per-call pipeline policies for every client: the app registers none; fault-injection tests do.</param>
    public HubStorage(IOptions<HubOptions> options, IEnumerable<StorageResource> resources, IEnumerable<StoragePipelinePolicy>? policies = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _policies = [.. policies ?? []];
        var cs = o.Storage.ConnectionString;

        var queueOptions = Configure(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, o.Storage);
        // Identity-based access on Azure (no key anywhere); a connection string for Azurite and development.
        var credential = o.Storage.UsesIdentity ? Credential(o.Storage) : null;
        _queues = credential is null ? new QueueServiceClient(cs, queueOptions) : new QueueServiceClient(o.Storage.ServiceUri("queue"), credential, queueOptions);
        _tables = credential is null
            ? new TableServiceClient(cs, Configure(new TableClientOptions(), o.Storage))
            : new TableServiceClient(o.Storage.ServiceUri("table"), credential, Configure(new TableClientOptions(), o.Storage));
        _blobs = credential is null
            ? new BlobServiceClient(cs, Configure(new BlobClientOptions(), o.Storage))
            : new BlobServiceClient(o.Storage.ServiceUri("blob"), credential, Configure(new BlobClientOptions(), o.Storage));

        // The intake's spine (the queue every report goes through, its poison queue, raw requests and evidence) is
        // the storage area's own; every other resource belongs to the area that registered it.
        Reports = Queue(o.Queues.Reports);
        ReportsPoison = Queue(o.Queues.ReportsPoison);
        Raw = _blobs.GetBlobContainerClient(RawContainer);
        Evidence = _blobs.GetBlobContainerClient(EvidenceContainer);
        Resources = new[]
            {
                new StorageResource(StorageResourceKind.Queue, Reports.Name),
                new StorageResource(StorageResourceKind.Queue, ReportsPoison.Name),
                new StorageResource(StorageResourceKind.Container, RawContainer),
                new StorageResource(StorageResourceKind.Container, EvidenceContainer),
            }
            .Concat(resources)
            .Distinct()
            .ToList();
    }

    /// <summary>Every queue, table and container the hub uses: created on first use, and what the infrastructure must provide.</summary>
    public IReadOnlyList<StorageResource> Resources { get; }

    public QueueClient Reports { get; }

    public QueueClient ReportsPoison { get; }

    public BlobContainerClient Raw { get; }

    public BlobContainerClient Evidence { get; }

    /// <summary>A queue by name (the owning area holds the name and registers it); clients are cached.</summary>
    public QueueClient Queue(string name) => _queueClients.GetOrAdd(name, _queues.GetQueueClient);

    /// <summary>The poison queue beside <paramref name="name"/>: <c>{name}-poison</c>, as the Functions host names it.</summary>
    public QueueClient PoisonQueue(string name) => Queue(name + "-poison");

    /// <summary>A table by name (the owning area holds the name and registers it); clients are cached.</summary>
    public TableClient Table(string name) => _tableClients.GetOrAdd(name, _tables.GetTableClient);

    public BlobContainerClient Container(string name) => _blobs.GetBlobContainerClient(name);

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
        await Task.WhenAll(Resources.Select(r => r.Kind switch
        {
            StorageResourceKind.Queue => (Task)Queue(r.Name).CreateIfNotExistsAsync(cancellationToken: ct),
            StorageResourceKind.Table => Table(r.Name).CreateIfNotExistsAsync(ct),
            _ => Container(r.Name).CreateIfNotExistsAsync(cancellationToken: ct),
        }));
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

    private readonly StoragePipelinePolicy[] _policies;

    private T Configure<T>(T options, StorageOptions storage)
        where T : ClientOptions
    {
        foreach (var p in _policies)
        {
            options.AddPolicy(p.Policy, HttpPipelinePosition.PerCall);
        }

        options.Retry.MaxRetries = storage.MaxRetries;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = storage.NetworkTimeout;
        return options;
    }
}

/// <summary>A policy added to every storage client's pipeline, before its retries (<see cref="HubStorage"/>'s constructor).</summary>
public sealed record StoragePipelinePolicy(Azure.Core.Pipeline.HttpPipelinePolicy Policy);
