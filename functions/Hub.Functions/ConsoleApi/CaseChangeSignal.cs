using Hub.Functions.Cases.Database;
using Npgsql;

namespace Hub.Functions.ConsoleApi;

/// <summary>
/// Wakes the long-polling <c>GET /events</c> requests when a case changes: one connection per hub instance
/// LISTENs on <c>hub_cases</c> (V003's trigger notifies on commit), started by the first waiting request and kept
/// for the life of the app. Waiters also wake on their own every <see cref="Recheck"/>, so a lost connection or a
/// change held back by an older running transaction costs a short delay, never a missed change.
/// </summary>
public sealed partial class CaseChangeSignal(CaseDatabase database, TimeProvider time, ILogger<CaseChangeSignal> logger) : IAsyncDisposable
{
    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _listener;

    /// <summary>Completes at the next change notification, after <paramref name="max"/> (at most <see cref="Recheck"/>), or when <paramref name="ct"/> ends.</summary>
    public async Task WaitAsync(TimeSpan max, CancellationToken ct)
    {
        Task changed;
        lock (_gate)
        {
            _listener ??= Task.Run(() => ListenAsync(_stop.Token), CancellationToken.None);
            changed = _changed.Task;
        }

        await changed.WaitAsync(max < Recheck ? max : Recheck, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void Pulse()
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            fired = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fired.TrySetResult();
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var source = await database.GetAsync(ct);
                await using var conn = await source.OpenConnectionAsync(ct);
                conn.Notification += (_, _) => Pulse();
                await using (var listen = new NpgsqlCommand("LISTEN hub_cases", conn))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                Pulse(); // anything that changed while not listening
                while (!ct.IsCancellationRequested)
                {
                    await conn.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                LogListenFailed(logger, ex.GetType().Name);
                await Task.Delay(Recheck, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_listener is not null)
        {
            await _listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for case changes failed ({Error}); waiting requests fall back to polling")]
    private static partial void LogListenFailed(ILogger logger, string error);
}
