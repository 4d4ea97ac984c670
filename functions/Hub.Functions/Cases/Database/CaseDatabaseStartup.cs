namespace Hub.Functions.Cases.Database;

/// <summary>
/// Opens the case store at start-up (in Development: starts the private cluster and migrates), so the first report
/// does not wait for it. A database that cannot be reached is logged, not fatal: intake does not need it, and the
/// processor holds reports in the queue until it is back.
/// </summary>
internal sealed partial class CaseDatabaseStartup(CaseDatabase database, ILogger<CaseDatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await database.GetAsync(cancellationToken);
        }
        catch (Exception ex) when (CaseDatabase.IsUnavailable(ex))
        {
            LogUnavailable(logger, ex.GetType().Name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case store unreachable at start-up ({Cause}): reports wait in the queue until it is back")]
    private static partial void LogUnavailable(ILogger logger, string cause);
}
