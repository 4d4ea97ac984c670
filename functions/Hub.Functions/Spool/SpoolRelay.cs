using System.Text.Json;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Spool;

/// <summary>What one drain did.</summary>
public sealed record SpoolDrainResult(int Relayed, int Held, bool StorageDown);

/// <summary>
/// Drains the local spool into storage when storage answers again (courier's relay). Segments are replayed in
/// order, record by record, each through the same write path a live request takes, with the report id and time
/// fixed at acknowledgement. Progress is fsynced after every record; a crash replays at most the record in
/// flight, and that replay is idempotent: the intake's dedup row answers "duplicate", and an envelope queued
/// twice (a crash between the queue write and the dedup row) carries the same dedup key, which the case
/// processor collapses into the one case. A record that can never be written (it no longer parses, or is too
/// large) is moved to <c>held/</c> and logged, never dropped.
/// </summary>
public sealed partial class SpoolRelay(
    LocalSpool spool,
    IServiceProvider services,
    IOptions<HubOptions> hub,
    TimeProvider time,
    ILogger<SpoolRelay> logger) : BackgroundService
{
    private readonly SemaphoreSlim _draining = new(1, 1);

    /// <summary>Test hook: runs after a record's replay and before its progress is recorded (a crash there is the worst case).</summary>
    internal Func<SpoolRecord, Task>? AfterReplay { get; set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!spool.Enabled)
        {
            return;
        }

        var interval = hub.Value.Spool.RelayInterval;
        var delay = interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (spool.HasPending())
                {
                    var result = await DrainAsync(stoppingToken);
                    // Storage still down: back off up to 10 s rather than hammer it; reset once it answers.
                    delay = result.StorageDown ? TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks)) : interval;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                LogRelayFailed(logger, ex.GetType().Name, ex);
                delay = TimeSpan.FromSeconds(5);
            }

            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Replays every closed segment, oldest first; stops at the first storage failure (the next drain resumes there).</summary>
    public async Task<SpoolDrainResult> DrainAsync(CancellationToken ct)
    {
        await _draining.WaitAsync(ct);
        try
        {
            int relayed = 0, held = 0;
            foreach (var segment in spool.RollAndListClosed())
            {
                var done = LocalSpool.DoneCount(segment);
                var index = 0;
                var unreadable = 0;
                foreach (var record in spool.Read(segment, (offset, ex) =>
                         {
                             unreadable++;
                             LogUnreadable(logger, Path.GetFileName(segment), offset, ex.GetType().Name);
                         }))
                {
                    if (index < done)
                    {
                        index++;
                        continue;
                    }

                    try
                    {
                        await ReplayAsync(record, ct);
                        relayed++;
                    }
                    catch (Exception ex) when (IsStorageDown(ex) && !ct.IsCancellationRequested)
                    {
                        LogStillDown(logger, relayed);
                        return new SpoolDrainResult(relayed, held, StorageDown: true);
                    }
                    catch (Exception ex) when (IsPermanent(ex))
                    {
                        spool.Hold(record);
                        held++;
                        LogHeld(logger, record.Id, record.Kind, ex.GetType().Name);
                    }

                    if (AfterReplay is { } hook)
                    {
                        await hook(record);
                    }

                    index++;
                    spool.MarkDone(segment, index);
                }

                if (unreadable > 0)
                {
                    // Records that cannot be opened (a removed key, corruption) are kept for an operator, never deleted.
                    spool.HoldSegment(segment);
                    held += unreadable;
                }
                else
                {
                    spool.Complete(segment);
                }
            }

            if (relayed + held > 0)
            {
                LogDrained(logger, relayed, held);
            }

            return new SpoolDrainResult(relayed, held, StorageDown: false);
        }
        finally
        {
            _draining.Release();
        }
    }

    // Resolved when first needed: the replayers depend on the intake, which depends on the spool.
    private Dictionary<string, ISpoolReplayer>? _replayers;

    private Task ReplayAsync(SpoolRecord record, CancellationToken ct)
    {
        _replayers ??= services.GetServices<ISpoolReplayer>().ToDictionary(r => r.Kind, StringComparer.Ordinal);
        return _replayers.TryGetValue(record.Kind, out var replayer)
            ? replayer.ReplayAsync(record.Payload, ct)
            : throw new InvalidDataException($"unknown spool record kind '{record.Kind}'");
    }

    private static bool IsStorageDown(Exception ex) => ex is StorageUnavailableException || HubStorage.IsUnavailable(ex);

    private static bool IsPermanent(Exception ex) =>
        ex is EnvelopeTooLargeException or InvalidDataException or JsonException or NotSupportedException
        || (ex is Azure.RequestFailedException r && HubStorage.IsTooLarge(r));

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool relay: {Relayed} records delivered to storage, {Held} held for an operator")]
    private static partial void LogDrained(ILogger logger, int relayed, int held);

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool relay: storage still unreachable after {Relayed} records; will retry")]
    private static partial void LogStillDown(ILogger logger, int relayed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool record {RecordId} ({Kind}) cannot be written ({Cause}); moved to the spool's held/ directory for an operator")]
    private static partial void LogHeld(ILogger logger, string recordId, string kind, string cause);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool segment {Segment} has an unreadable record at byte {Offset} ({Cause}); the segment is kept in held/")]
    private static partial void LogUnreadable(ILogger logger, string segment, long offset, string cause);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool relay failed ({Cause}); retrying in 5 s")]
    private static partial void LogRelayFailed(ILogger logger, string cause, Exception exception);
}
