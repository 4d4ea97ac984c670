using Microsoft.Extensions.Options;

namespace Hub.Functions.Hosting;

/// <summary>
/// Development only: when storage is the default emulator connection and nothing listens on Azurite's
/// ports, start Azurite (data kept in <c>.azurite/</c> at the repository root) so the run command needs
/// nothing else. Stopped with the app. Registered first so it runs before anything touches storage.
/// </summary>
internal sealed partial class AzuriteLauncher(IHostEnvironment env, IOptions<HubOptions> options, ILogger<AzuriteLauncher> logger) : IHostedService, IDisposable
{
    private AzuriteProcess? _azurite;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var storage = options.Value.Storage;
        if (!env.IsDevelopment() || !storage.AutoStartAzurite
            || storage.UsesIdentity
            || !string.Equals(storage.ConnectionString, StorageOptions.DevelopmentConnectionString, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (AzuriteProcess.IsListening(10000) || AzuriteProcess.IsListening(10001) || AzuriteProcess.IsListening(10002))
        {
            LogAlreadyRunning(logger);
            return;
        }

        var exe = AzuriteProcess.FindExecutable(env.ContentRootPath) ?? AzuriteProcess.FindExecutable(AppContext.BaseDirectory);
        if (exe is null)
        {
            LogMissing(logger);
            return;
        }

        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(exe)))!;
        _azurite = new AzuriteProcess(Path.Combine(root, ".azurite"));
        await _azurite.StartAsync(exe, cancellationToken);
        LogStarted(logger, _azurite.Location);
    }

    public void Dispose() => _azurite?.Dispose();

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite is already listening on 10000-10002; using it")]
    private static partial void LogAlreadyRunning(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azurite not found: run 'npm ci' at the repository root (storage will answer 503 until it runs)")]
    private static partial void LogMissing(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started Azurite (data in {Location})")]
    private static partial void LogStarted(ILogger logger, string location);
}
