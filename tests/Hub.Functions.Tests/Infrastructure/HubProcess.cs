using System.Diagnostics;
using System.Net;
using Hub.Functions.Hosting;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The hub as a real child process (<c>dotnet Hub.Functions.dll</c>, standalone mode), so a test can SIGKILL it in the
/// middle of a load and start it again with the same spool and storage. Kestrel binds port 0 and logs the port it
/// got; callers use the port of a <see cref="TcpGate"/> held for the fixture's life, so a restart never depends on
/// getting an old port back.
/// Its console output goes to a file that a failing test prints.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private readonly TcpGate _gate = new(0);
    private Process? _process;

    public HubProcess(IDictionary<string, string?> settings)
    {
        _settings = new Dictionary<string, string?>(settings, StringComparer.Ordinal);
        LogPath = Path.Combine(Path.GetTempPath(), "hub-tests-process", Guid.NewGuid().ToString("N") + ".log");
        Directory.CreateDirectory(Path.GetDirectoryName(LogPath)!);
    }

    public int Port => _gate.Port;

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public string LogPath { get; }

    public int Starts { get; private set; }

    /// <summary>Settings for the next start (e.g. the case processor on after a phase with it off).</summary>
    public void Set(string key, string? value) => _settings[key] = value;

    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Hub.Functions.dll")])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        psi.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information"; // "Now listening on: …"
        psi.Environment["Logging__LogLevel__Hub.Functions.Spool"] = "Information";
        foreach (var (k, v) in _settings)
        {
            psi.Environment[k.Replace(":", "__", StringComparison.Ordinal)] = v;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        var log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        await log.WriteLineAsync($"---- start {++Starts} (pid {process.Id}) ----");
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (log)
            {
                log.WriteLine(e.Data);
            }

            const string marker = "Now listening on: http://127.0.0.1:";
            var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0 && int.TryParse(e.Data.AsSpan(at + marker.Length).TrimEnd(), System.Globalization.CultureInfo.InvariantCulture, out var port))
            {
                listening.TrySetResult(port);
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.Exited += (_, _) =>
        {
            listening.TrySetException(new InvalidOperationException("the hub exited before listening"));
            lock (log)
            {
                log.Dispose();
            }
        };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // Ready when this process's Kestrel answers on the port it reported (storage may be down on purpose, so not /api/health).
        var deadline = DateTimeOffsetClock.Elapsed(timeout ?? TimeSpan.FromSeconds(60));
        int own;
        try
        {
            own = await listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"the hub did not report a listening port ({ex.Message}):\n{Tail()}", ex);
        }

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{own}"), Timeout = TimeSpan.FromSeconds(2) };
        while (!deadline.IsExpired)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the hub exited with {process.ExitCode} at start:\n{Tail()}");
            }

            try
            {
                using var r = await client.GetAsync("/");
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    _gate.Open(own);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the hub did not start:\n" + Tail());
    }

    /// <summary>SIGKILL: no shutdown, no flush, in-flight requests cut.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false);
            await p.WaitForExitAsync();
        }

        _process = null;
        _gate.Close();
    }

    public string Tail(int lines = 60)
    {
        try
        {
            using var f = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(f);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _gate.DisposeAsync();
    }
}
