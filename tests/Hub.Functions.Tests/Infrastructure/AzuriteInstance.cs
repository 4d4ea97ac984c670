using Hub.Functions.Hosting;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// A real Azurite process for one test class, with its data on disk, so a test can kill it (an outage) and start it
/// again with the same data. Azurite binds ports the kernel picks (port 0) and says which; the hub is given the
/// ports of three <see cref="TcpGate"/>s this fixture holds for its whole life, re-pointed at each new Azurite.
/// No port is ever chosen free and handed over later, and none is given back mid-run. No mock stands in for storage.
/// </summary>
public sealed class AzuriteInstance : IAsyncDisposable
{
    private readonly string _executable;
    private readonly TcpGate _blob;
    private readonly TcpGate _queue;
    private readonly TcpGate _table;

    private AzuriteInstance(AzuriteProcess process, string executable)
    {
        Process = process;
        _executable = executable;
        _blob = new TcpGate(0);
        _queue = new TcpGate(0);
        _table = new TcpGate(0);
    }

    /// <summary>The emulator process itself (its own ports change at every start; use <see cref="ConnectionString"/>).</summary>
    public AzuriteProcess Process { get; }

    /// <summary>The development account through this fixture's gates: stable across kills and restarts.</summary>
    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{_blob.Port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_queue.Port}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{_table.Port}/devstoreaccount1;";

    public static async Task<AzuriteInstance> StartAsync()
    {
        var exe = AzuriteProcess.FindExecutable(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("Azurite is not installed: run 'npm ci' at the repository root (scripts/test.sh does).");
        var location = Path.Combine(Path.GetTempPath(), "hub-tests-azurite", Guid.NewGuid().ToString("N"));
        var instance = new AzuriteInstance(new AzuriteProcess(location, 0, 0, 0), exe);
        try
        {
            await instance.RestartAsync();
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL: Azurite's last unsaved seconds may be lost (see <see cref="AzuriteProcess.KillAsync"/>).</summary>
    public async Task KillAsync()
    {
        await Process.KillAsync();
        CloseGates();
    }

    /// <summary>SIGTERM: Azurite saves its state and exits, as a restarted storage service would.</summary>
    public async Task StopAsync()
    {
        await Process.StopAsync();
        CloseGates();
    }

    /// <summary>Starts Azurite again on the same data, on new ports, and opens the gates onto them.</summary>
    public async Task RestartAsync()
    {
        await Process.StartAsync(_executable);
        _blob.Open(Process.BlobPort);
        _queue.Open(Process.QueuePort);
        _table.Open(Process.TablePort);
    }

    private void CloseGates()
    {
        _blob.Close();
        _queue.Close();
        _table.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        await _blob.DisposeAsync();
        await _queue.DisposeAsync();
        await _table.DisposeAsync();
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
