using System.Diagnostics;
using System.Net.Sockets;

namespace Hub.Functions.Hosting;

/// <summary>
/// Starts and stops an Azurite process (the npm package installed by <c>npm ci</c> at the repository root).
/// Used by the app in Development when no storage is running, and by the tests, which start their own
/// instances on free ports so they can kill and restart storage at will.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable, IDisposable
{
    private Process? _process;

    public AzuriteProcess(string location, int blobPort = 10000, int queuePort = 10001, int tablePort = 10002, bool inMemory = false)
    {
        Location = location;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        InMemory = inMemory;
    }

    public string Location { get; }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public bool InMemory { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The well-known development account, on this instance's ports.</summary>
    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    /// <summary>Finds <c>node_modules/.bin/azurite</c> walking up from <paramref name="start"/>, else null.</summary>
    public static string? FindExecutable(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "node_modules", ".bin", "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync("127.0.0.1", port).Wait(TimeSpan.FromMilliseconds(300)) && client.Connected;
        }
        catch (Exception ex) when (ex is SocketException or AggregateException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    public async Task StartAsync(string executable, CancellationToken ct = default)
    {
        if (IsRunning)
        {
            return;
        }

        Directory.CreateDirectory(Location);
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose",
                     "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--location", Location,
                 })
        {
            psi.ArgumentList.Add(arg);
        }

        if (InMemory)
        {
            psi.ArgumentList.Add("--inMemoryPersistence");
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (!(IsListening(BlobPort) && IsListening(QueuePort) && IsListening(TablePort)))
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"Azurite did not start listening on {BlobPort}/{QueuePort}/{TablePort}.");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>Stops Azurite gracefully (SIGTERM): it persists its state, as a restarted storage service would.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            _ = NativeMethods.Kill(p.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await p.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
            }
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// Kills Azurite at once (SIGKILL). Note: Azurite keeps metadata in LokiJS with periodic autosave, so a
    /// SIGKILL can lose its last seconds of writes; real Azure Storage does not. Tests that check durability
    /// across an outage use <see cref="StopAsync"/>.
    /// </summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private static partial class NativeMethods
    {
        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
        internal static partial int Kill(int pid, int signal);
    }

    public void Dispose()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process?.Dispose();
        _process = null;
    }
}
