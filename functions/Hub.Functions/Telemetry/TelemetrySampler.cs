using Azure.Storage.Queues;
using Hub.Functions.Cases;
using Hub.Functions.Hashing;
using Hub.Functions.Messaging;
using Hub.Functions.Spool;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Telemetry;

public sealed record QueueSample(string Queue, long Depth, double OldestAgeSeconds, long PoisonDepth);

public sealed record SpoolSample(long PendingBytes, long PendingRecords, long HeldRecords);

public sealed record OverdueSample(string Team, string Urgency, string Clock, long Count);

public sealed record ChatSample(long Waiting, double LongestWaitSeconds);

/// <summary>What the gauges report: the last sample, replaced whole (a scrape reads one consistent picture).</summary>
public sealed class TelemetrySnapshot
{
    private volatile Holder _h = new([], null, [], null, null);

    public IReadOnlyList<QueueSample> Queues => _h.Queues;

    public SpoolSample? Spool => _h.Spool;

    public IReadOnlyList<OverdueSample> Overdue => _h.Overdue;

    public ChatSample? Chats => _h.Chats;

    public long? HashIndexSize => _h.HashIndexSize;

    /// <summary>When the last sample was taken (null before the first).</summary>
    public DateTimeOffset? TakenAt { get; private set; }

    internal void Set(IReadOnlyList<QueueSample> queues, SpoolSample? spool, IReadOnlyList<OverdueSample> overdue, ChatSample? chats, long? hashIndexSize, DateTimeOffset at)
    {
        _h = new Holder(queues, spool, overdue, chats, hashIndexSize);
        TakenAt = at;
    }

    private sealed record Holder(IReadOnlyList<QueueSample> Queues, SpoolSample? Spool, IReadOnlyList<OverdueSample> Overdue, ChatSample? Chats, long? HashIndexSize);
}

/// <summary>
/// Samples what the gauges report every <see cref="TelemetryOptions.SampleInterval"/> while metrics are exported: each
/// consumer's queue (depth, the oldest message's age, its poison queue's depth), the spool, overdue cases and waiting
/// chats (two indexed counts in the case store), the hash index. A part that cannot be read keeps its last value and
/// the sampler goes on: a metric must never take the hub down.
/// </summary>
public sealed partial class TelemetrySampler(
    TelemetrySnapshot snapshot,
    HubStorage storage,
    IEnumerable<QueueConsumer> consumers,
    LocalSpool spool,
    IServiceProvider services,
    IOptions<TelemetryOptions> options,
    TimeProvider time,
    ILogger<TelemetrySampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.MetricsEnabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.SampleInterval, time);
        do
        {
            await SampleAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }

    /// <summary>Takes one sample now (also what a test calls).</summary>
    public async Task SampleAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var queues = await SampleQueuesAsync(now, ct);
        var spoolSample = spool.Enabled ? new SpoolSample(spool.PendingBytes, spool.PendingRecords, spool.HeldCount()) : null;
        IReadOnlyList<OverdueSample> overdue = snapshot.Overdue;
        var chats = snapshot.Chats;
        try
        {
            var cases = services.GetRequiredService<CaseService>();
            overdue = (await cases.OverdueByTeamAsync(ct))
                .SelectMany(o => new[] { new OverdueSample(o.TeamId, o.Urgency, "first_response", o.FirstResponse), new OverdueSample(o.TeamId, o.Urgency, "intervention", o.Intervention) })
                .Where(o => o.Count > 0)
                .ToList();
            var (waiting, since) = await cases.WaitingChatsCountAsync(ct);
            chats = new ChatSample(waiting, since is { } s ? Math.Max(0, (now - s).TotalSeconds) : 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogPartFailed(logger, "case store", ex.GetType().Name);
        }

        var hashes = services.GetService<HashMatcher>() is { } matcher ? matcher.PdqCount : (long?)null;
        snapshot.Set(queues ?? snapshot.Queues, spoolSample, overdue, chats, hashes, now);
    }

    private async Task<IReadOnlyList<QueueSample>?> SampleQueuesAsync(DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            var tasks = consumers.Select(c => c.Queue(storage)).DistinctBy(q => q.Name).Select(q => SampleQueueAsync(q, now, ct)).ToArray();
            return await Task.WhenAll(tasks);
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) || ex is Azure.RequestFailedException)
        {
            LogPartFailed(logger, "storage", ex.GetType().Name);
            return null;
        }
    }

    private async Task<QueueSample> SampleQueueAsync(QueueClient queue, DateTimeOffset now, CancellationToken ct)
    {
        var properties = queue.GetPropertiesAsync(ct);
        var peek = queue.PeekMessageAsync(ct);
        var poison = storage.PoisonQueue(queue.Name).GetPropertiesAsync(ct);
        await Task.WhenAll(properties, peek, PoisonOrMissing(poison));
        var oldest = peek.Result.Value?.InsertedOn is { } inserted ? Math.Max(0, (now - inserted).TotalSeconds) : 0;
        var poisonDepth = poison.IsCompletedSuccessfully ? poison.Result.Value.ApproximateMessagesCount : 0;
        return new QueueSample(queue.Name, properties.Result.Value.ApproximateMessagesCount, oldest, poisonDepth);
    }

    /// <summary>A poison queue is created on first use: missing means empty.</summary>
    private static async Task PoisonOrMissing(Task task)
    {
        try
        {
            await task;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry sample: the {Part} could not be read ({Cause}); its gauges keep their last value")]
    private static partial void LogPartFailed(ILogger logger, string part, string cause);
}
