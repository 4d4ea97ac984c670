using System.Diagnostics;
using System.Net.Sockets;

namespace Hub.Functions.Hosting;

/// <summary>
/// Starts and stops an Azurite process (the npm package installed by <c>npm ci</c> at the repository root).
/// Used by the app in Development when no storage is running (on the well-known ports), and by the tests and
/// benchmarks, which pass port 0: Azurite binds ports the kernel picks and prints them, and those printed lines
/// are the readiness signal. Probing a port only says that <em>something</em> listens there, which on a busy
/// machine may be another fixture's emulator that later goes away with the port.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable, IDisposable
{
    private Process? _process;

    public AzuriteProcess(string location, int blobPort = 10000, int queuePort = 10001, int tablePort = 10002, bool inMemory = false)
    {
        Location = location;
        BlobPort = _requestedBlobPort = blobPort;
        QueuePort = _requestedQueuePort = queuePort;
        TablePort = _requestedTablePort = tablePort;
        InMemory = inMemory;
    }

    public string Location { get; }

    /// <summary>The port requested, or (0 requested) the one Azurite bound, once started.</summary>
    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    private readonly int _requestedBlobPort;
    private readonly int _requestedQueuePort;
    private readonly int _requestedTablePort;

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

    /// <summary>
    /// A port free at the moment of the call. Racy by nature (another process may bind it before the caller does):
    /// only for callers that cannot be told their port afterwards. Azurite and the hub in tests bind port 0 instead.
    /// </summary>
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
                     "--blobHost", "127.0.0.1", "--blobPort", _requestedBlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--queueHost", "127.0.0.1", "--queuePort", _requestedQueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--tableHost", "127.0.0.1", "--tablePort", _requestedTablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--location", Location,
                 })
        {
            psi.ArgumentList.Add(arg);
        }

        if (InMemory)
        {
            psi.ArgumentList.Add("--inMemoryPersistence");
        }

        // "Azurite Blob service is successfully listening at http://127.0.0.1:43937": this process's own word for
        // the ports it holds (also with --silent, which only silences the access log).
        var bound = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            output.Enqueue(line);
            while (output.Count > 40 && output.TryDequeue(out _))
            {
            }

            if (ListeningLine().Match(line) is { Success: true } m)
            {
                bound[m.Groups["service"].Value] = int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (bound.Count == 3)
                {
                    ready.TrySetResult();
                }
            }
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.EnableRaisingEvents = true;
        var process = _process;
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException(
            $"Azurite exited with {SafeExitCode(process)} before listening on {_requestedBlobPort}/{_requestedQueuePort}/{_requestedTablePort}: {string.Join(" | ", output)}"));
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"Azurite did not report listening within 60 s: {string.Join(" | ", output)}");
        }

        BlobPort = bound["Blob"];
        QueuePort = bound["Queue"];
        TablePort = bound["Table"];
    }

    private static string SafeExitCode(Process p)
    {
        try
        {
            return p.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://[^:]+:(?<port>\d+)")]
    private static partial System.Text.RegularExpressions.Regex ListeningLine();

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
