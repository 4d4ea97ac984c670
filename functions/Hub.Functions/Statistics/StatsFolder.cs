using Hub.Functions.Cases.Database;

namespace Hub.Functions.Statistics;

/// <summary>
/// Folds the statistics' roll-up every <see cref="Interval"/> (docs/statistics.md#speed): writers only note the cases
/// they changed (<c>stats_dirty</c>), so that intake never pays for the roll-up; this recomputes those cases and their
/// sums in one transaction. The readers count a case not folded yet by its rows, so the figures are exact whether this
/// has run or not; folding keeps that part small. A database that cannot be reached is tried again at the next tick.
/// </summary>
internal sealed partial class StatsFolder(CaseDatabase database, TimeProvider time, ILogger<StatsFolder> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Folds once; returns how many cases were recomputed (-1 when another folder holds the lock).</summary>
    public static async Task<long> FoldAsync(CaseDatabase database, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(database);
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand("SELECT stats_fold()");
        cmd.CommandTimeout = 300;
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var moved = await FoldAsync(database, stoppingToken);
                    LogFolded(logger, moved);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Never fatal: the figures stay exact with the delta unfolded; the next tick tries again.
                    LogNotFolded(logger, CaseDatabase.IsUnavailable(ex) ? "unreachable" : ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Statistics: folded {Cases} changed cases")]
    private static partial void LogFolded(ILogger logger, long cases);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Statistics: roll-up not folded ({Cause}); trying again at the next tick")]
    private static partial void LogNotFolded(ILogger logger, string cause);
}
