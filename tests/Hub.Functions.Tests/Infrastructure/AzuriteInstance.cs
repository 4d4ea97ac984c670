using Hub.Functions.Hosting;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// A real Azurite process for one test class, on free loopback ports with its data on disk, so a test can
/// kill it (an outage) and restart it on the same ports with the same data. No mock stands in for storage.
/// </summary>
public sealed class AzuriteInstance : IAsyncDisposable
{
    private readonly string _executable;

    private AzuriteInstance(AzuriteProcess process, string executable)
    {
        Process = process;
        _executable = executable;
    }

    public AzuriteProcess Process { get; }

    public string ConnectionString => Process.ConnectionString;

    public static async Task<AzuriteInstance> StartAsync()
    {
        var exe = AzuriteProcess.FindExecutable(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("Azurite is not installed: run 'npm ci' at the repository root (scripts/test.sh does).");
        // Free ports are picked before Azurite binds them; with many fixtures starting at once another process can
        // take one in between and Azurite exits (EADDRINUSE). Pick again rather than fail the whole class.
        for (var attempt = 1; ; attempt++)
        {
            var location = Path.Combine(Path.GetTempPath(), "hub-tests-azurite", Guid.NewGuid().ToString("N"));
            var instance = new AzuriteInstance(
                new AzuriteProcess(location, AzuriteProcess.FreePort(), AzuriteProcess.FreePort(), AzuriteProcess.FreePort()),
                exe);
            try
            {
                await instance.Process.StartAsync(exe);
                return instance;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await instance.DisposeAsync();
            }
        }
    }

    public Task KillAsync() => Process.KillAsync();

    public Task StopAsync() => Process.StopAsync();

    public Task RestartAsync() => Process.StartAsync(_executable);

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        try
        {
            Directory.Delete(Process.Location, recursive: true);
        }
        catch (IOException)
        {
            // temp data; the OS cleans it eventually
        }
    }
}
