using System.Diagnostics;
using Hub.Functions.Cases.Database;

namespace Hub.Functions.Hashing;

/// <summary>
/// Builds the matcher's index from PostgreSQL when the hub starts (docs/hash-bank.md#matching), in the background so
/// intake never waits for it: the first report processed waits for the load instead of starting one. A database that
/// cannot be reached is retried every <see cref="RetryDelay"/> until it answers or the hub stops.
/// </summary>
internal sealed partial class HashIndexStartup(HashMatcher matcher, TimeProvider time, ILogger<HashIndexStartup> logger) : BackgroundService
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await matcher.RefreshAsync(stoppingToken);
                LogLoaded(logger, matcher.PdqCount, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Never fatal: the processor loads the index itself on its first report (and says why it cannot).
                LogUnavailable(logger, CaseDatabase.IsUnavailable(ex) ? "unreachable" : ex.GetType().Name);
            }

            try
            {
                await Task.Delay(RetryDelay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Hash index loaded: {PdqHashes} PDQ hashes in {Milliseconds} ms")]
    private static partial void LogLoaded(ILogger logger, int pdqHashes, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hash index not loaded at start-up ({Cause}); retrying")]
    private static partial void LogUnavailable(ILogger logger, string cause);
}
