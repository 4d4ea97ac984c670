using Azure.Storage.Queues.Models;
using Hub.Functions.Hosting;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Messaging;

/// <summary>
/// Standalone mode's queue trigger for one <see cref="QueueConsumer"/> (Rebus's retry step): a message is deleted
/// only after success; a failure leaves it to reappear after a growing delay; at
/// <see cref="ProcessorOptions.MaxDequeueCount"/> attempts it moves to the <c>-poison</c> queue with the error; a
/// <see cref="PoisonMessageException"/> goes there at once; a shutdown is not a failure (the message simply
/// reappears); a <see cref="DependencyUnavailableException"/> (the case store is down) is no attempt at all: the
/// message goes back as a fresh copy after a back-off. In custom-handler mode it does nothing: the Functions host's queue trigger calls the same handler.
/// </summary>
public sealed partial class QueueWorker(
    QueueConsumer consumer,
    IQueueHandler handler,
    HubStorage storage,
    PoisonMessages poison,
    IOptions<HubOptions> options,
    IConfiguration configuration,
    TimeProvider time,
    Telemetry.HubMetrics metrics,
    ILogger<QueueWorker> logger) : BackgroundService
{
    private readonly ProcessorOptions _o = options.Value.Processor;
    private readonly Azure.Storage.Queues.QueueClient _queue = consumer.Queue(storage);
    private readonly Azure.Storage.Queues.QueueClient _poisonQueue = storage.PoisonQueue(consumer.Queue(storage).Name);

    private int _outageSeen;

    public QueueConsumer Consumer => consumer;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_o.Enabled || HubApp.IsCustomHandler(configuration))
        {
            return; // custom-handler mode: the Functions host's queue trigger calls the function instead
        }

        var idle = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var handled = await PollOnceAsync(stoppingToken);
                idle = handled > 0 ? TimeSpan.FromMilliseconds(100) : Min(idle * 2, _o.MaxPollInterval);
                if (handled > 0)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (HubStorage.IsUnavailable(ex))
            {
                LogStorageDown(logger, ex.GetType().Name);
                idle = _o.MaxPollInterval;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The poller must outlive any single failure: a stopped poller silently strands every report.
                LogPollFailed(logger, ex.GetType().Name, ex);
                idle = _o.MaxPollInterval;
            }

            await Task.Delay(idle, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Receives one batch and handles it; returns the number of messages handled.</summary>
    public async Task<int> PollOnceAsync(CancellationToken ct)
    {
        QueueMessage[] messages = await storage.WithResourcesAsync(async () => (await _queue.ReceiveMessagesAsync(_o.BatchSize, _o.VisibilityTimeout, ct)).Value, ct);
        Interlocked.Exchange(ref _outageSeen, 0);
        await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, (m, token) => new ValueTask(HandleAsync(m, token)));
        return Interlocked.CompareExchange(ref _outageSeen, 0, 0) == 1 ? 0 : messages.Length; // an outage: back off like an empty poll
    }

    private async Task HandleAsync(QueueMessage m, CancellationToken ct)
    {
        var text = m.Body.ToString();
        try
        {
            await Telemetry.QueueTelemetry.HandleAsync(handler, _queue.Name, text, metrics, ct);
            await _queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutdown: not a failure; the message becomes visible again after its timeout.
        }
        catch (PoisonMessageException ex)
        {
            await MoveToPoisonAsync(m, text, ex.Message, ct);
        }
        catch (DependencyUnavailableException ex)
        {
            // Not an attempt: Azure counts every receive, so the message goes back as a fresh copy (count reset), hidden
            // for the back-off, before the original is deleted (a crash in between leaves two copies; the processor is
            // idempotent, so two copies make one case).
            LogHeldBack(logger, m.MessageId, ex.Dependency, ex.RetryAfter.TotalSeconds);
            await HoldBackAsync(_queue, text, ex.RetryAfter, ct);
            await _queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct);
            Interlocked.Exchange(ref _outageSeen, 1);
        }
        catch (Exception ex)
        {
            if (m.DequeueCount >= _o.MaxDequeueCount)
            {
                await MoveToPoisonAsync(m, text, $"{ex.GetType().Name}: {ex.Message}", ct);
                return;
            }

            var delay = RetryDelay(m.DequeueCount);
            LogRetry(logger, m.MessageId, m.DequeueCount, _o.MaxDequeueCount, delay.TotalSeconds, ex.GetType().Name);
            try
            {
                await _queue.UpdateMessageAsync(m.MessageId, m.PopReceipt, visibilityTimeout: delay, cancellationToken: ct);
            }
            catch (Exception updateError) when (HubStorage.IsUnavailable(updateError) || updateError is Azure.RequestFailedException)
            {
                // The message reappears after its visibility timeout anyway.
            }
        }
    }

    /// <summary>Puts <paramref name="text"/> back on <paramref name="queue"/> as a new message, invisible for <paramref name="delay"/>, never expiring.</summary>
    internal static async Task HoldBackAsync(Azure.Storage.Queues.QueueClient queue, string text, TimeSpan delay, CancellationToken ct) =>
        await queue.SendMessageAsync(text, visibilityTimeout: delay, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: ct);

    private async Task MoveToPoisonAsync(QueueMessage m, string text, string error, CancellationToken ct)
    {
        // Poison first, delete second: a crash in between leaves a copy in both, never in neither.
        await poison.SendAsync(_queue, _poisonQueue, text, error, m.DequeueCount, ct);
        await _queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct);
        LogPoisoned(logger, m.MessageId, m.DequeueCount, error);
    }

    internal TimeSpan RetryDelay(long dequeueCount)
    {
        var factor = Math.Pow(2, Math.Clamp(dequeueCount - 1, 0, 16));
        return Min(TimeSpan.FromTicks((long)(_o.RetryBaseDelay.Ticks * factor)), TimeSpan.FromMinutes(5));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} failed attempt {Attempt}/{Max}; retrying in {DelaySeconds:F1} s ({Cause})")]
    private static partial void LogRetry(ILogger logger, string messageId, long attempt, int max, double delaySeconds, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} held back: {Dependency} unavailable; again in {DelaySeconds:F0} s (not counted as an attempt)")]
    private static partial void LogHeldBack(ILogger logger, string messageId, string dependency, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} moved to poison after {Attempts} attempts: {Error}")]
    private static partial void LogPoisoned(ILogger logger, string messageId, long attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Queue poller: poll failed ({Cause}); backing off")]
    private static partial void LogPollFailed(ILogger logger, string cause, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue poller: storage unavailable ({Cause}); backing off")]
    private static partial void LogStorageDown(ILogger logger, string cause);
}
