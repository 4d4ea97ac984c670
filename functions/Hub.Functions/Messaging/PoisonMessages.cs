using System.Text.Json;
using Azure.Storage.Queues.Models;
using Hub.Core.Envelope;
using Hub.Functions.Storage;

namespace Hub.Functions.Messaging;

public sealed record PoisonEntry(string MessageId, DateTimeOffset? InsertedOn, long DequeueCount, string? Error, string? ReportId, string Message);

/// <summary>
/// <c>reports-poison</c>: failed messages stay visible and replayable, never dropped. Entries written by the
/// hub carry the error (<see cref="PoisonMessage"/>); entries the Functions host moved itself are the raw
/// message. Replay sends the original text back to <c>reports</c> and only then deletes the poison entry;
/// a crash in between can only replay twice, which the idempotent processor absorbs.
/// </summary>
public sealed class PoisonMessages(HubStorage storage, TimeProvider time, IEnumerable<QueueConsumer> consumers, Telemetry.HubMetrics metrics)
{
    public Task SendAsync(string message, string error, long dequeueCount, CancellationToken ct) =>
        SendAsync(storage.Reports, storage.ReportsPoison, message, error, dequeueCount, ct);

    /// <summary>Moves a failed message of <paramref name="source"/> to its poison queue with the error.</summary>
    public async Task SendAsync(Azure.Storage.Queues.QueueClient source, Azure.Storage.Queues.QueueClient poisonQueue, string message, string error, long dequeueCount, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(poisonQueue);
        var entry = new PoisonMessage
        {
            SourceQueue = source.Name,
            Message = message,
            Error = error.Length > 2000 ? error[..2000] : error,
            DequeueCount = dequeueCount,
            FailedAt = time.GetUtcNow(),
        };
        var json = JsonSerializer.Serialize(entry, HubJsonContext.Default.PoisonMessage);
        if (System.Text.Encoding.UTF8.GetByteCount(json) > MaxPoisonBytes)
        {
            // Wrapping (with escaping) can push a message near the 64 KiB limit over it (found by the fuzz suite).
            // Envelopes are at most 40 KB, so only foreign or hostile messages get here: keep their head and say so,
            // rather than fail to poison them and retry them for ever.
            var cut = message[..Math.Min(message.Length, 8 * 1024)];
            json = JsonSerializer.Serialize(entry with { Message = cut, Error = $"{entry.Error} (message truncated from {message.Length} characters to fit the poison queue)" }, HubJsonContext.Default.PoisonMessage);
        }

        await storage.WithResourcesAsync(
            async () => await poisonQueue.SendMessageAsync(json, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: ct),
            ct);
        metrics.Poisoned.Add(1, new KeyValuePair<string, object?>("queue", source.Name));
    }

    /// <summary>Base64 turns 48 KB into the queue's 64 KiB limit.</summary>
    private const int MaxPoisonBytes = 46 * 1024;

    /// <summary>Peeks up to 32 entries (the service's peek limit) of <c>reports-poison</c> without hiding them from others.</summary>
    public Task<IReadOnlyList<PoisonEntry>> ListAsync(CancellationToken ct) => ListAsync(storage.Reports.Name, ct);

    /// <summary>The poison queue of one of the hub's work queues, by the work queue's name.</summary>
    public async Task<IReadOnlyList<PoisonEntry>> ListAsync(string queue, CancellationToken ct)
    {
        await storage.EnsureCreatedAsync(ct);
        PeekedMessage[] peeked = (await Queues(queue).Poison.PeekMessagesAsync(32, ct)).Value;
        return peeked.Select(m => Describe(m.MessageId, m.InsertedOn, m.DequeueCount, m.Body.ToString())).ToList();
    }

    /// <summary>Replays the named entries of <c>reports-poison</c> (or all when <paramref name="messageIds"/> is empty); returns how many.</summary>
    public Task<int> ReplayAsync(IReadOnlyCollection<string> messageIds, CancellationToken ct) => ReplayAsync(messageIds, storage.Reports.Name, ct);

    /// <summary>The work queue whose poison an admin flag (<c>--bot-turns</c>) names, else the reports queue.</summary>
    public string QueueFor(IEnumerable<string> args)
    {
        var flags = args.ToHashSet(StringComparer.Ordinal);
        return consumers.FirstOrDefault(c => c.PoisonOption is { } o && flags.Contains(o))?.Queue(storage).Name ?? storage.Reports.Name;
    }

    /// <summary>The admin flags that pick a queue other than reports.</summary>
    public IReadOnlyList<string> QueueOptions => consumers.Select(c => c.PoisonOption).OfType<string>().ToList();

    public async Task<int> ReplayAsync(IReadOnlyCollection<string> messageIds, string queue, CancellationToken ct)
    {
        await storage.EnsureCreatedAsync(ct);
        var (source, poisonQueue) = Queues(queue);
        var replayed = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            QueueMessage[] batch = (await poisonQueue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(2), ct)).Value;
            if (batch.Length == 0)
            {
                return replayed;
            }

            var progressed = false;
            foreach (var m in batch)
            {
                if (!seen.Add(m.MessageId))
                {
                    continue;
                }

                progressed = true;
                if (messageIds.Count > 0 && !messageIds.Contains(m.MessageId))
                {
                    // Not selected: make it visible again at once.
                    await poisonQueue.UpdateMessageAsync(m.MessageId, m.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: ct);
                    continue;
                }

                var entry = Describe(m.MessageId, m.InsertedOn, m.DequeueCount, m.Body.ToString());
                await source.SendMessageAsync(entry.Message, ct);
                await poisonQueue.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct);
                replayed++;
            }

            if (!progressed)
            {
                return replayed;
            }
        }
    }

    private (Azure.Storage.Queues.QueueClient Source, Azure.Storage.Queues.QueueClient Poison) Queues(string queue) =>
        (storage.Queue(queue), storage.PoisonQueue(queue));

    internal static PoisonEntry Describe(string id, DateTimeOffset? inserted, long dequeueCount, string body)
    {
        PoisonMessage? wrapped = null;
        try
        {
            if (body.Contains(PoisonMessage.SchemaV1, StringComparison.Ordinal))
            {
                wrapped = JsonSerializer.Deserialize(body, HubJsonContext.Default.PoisonMessage);
            }
        }
        catch (JsonException)
        {
            // a raw message that merely mentions the schema name
        }

        var original = wrapped?.Message ?? body;
        string? reportId = null;
        try
        {
            using var doc = JsonDocument.Parse(original);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var idProp))
            {
                reportId = idProp.ValueKind == JsonValueKind.String ? idProp.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // not JSON at all: still listed and replayable
        }

        return new PoisonEntry(id, inserted, wrapped?.DequeueCount ?? dequeueCount, wrapped?.Error ?? "(moved by the Functions host; no error recorded)", reportId, original);
    }
}
