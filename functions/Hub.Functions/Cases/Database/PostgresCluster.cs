using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Hub.Functions.Cases.Database;

/// <summary>
/// A private PostgreSQL cluster run with the machine's own binaries (Debian's <c>postgresql</c> package): <c>initdb</c>
/// into a folder of ours, listening only on a Unix socket in a short private directory (no TCP port, so nothing to
/// race for), started with <c>pg_ctl -w</c> (which returns once the server accepts connections) and stopped with
/// <c>pg_ctl stop</c>. The development hub, the admin commands, the tests and the benchmarks all use it. When this
/// process runs as root (a CI container), the server runs as the <c>postgres</c> user the package created, because
/// PostgreSQL refuses to run as root.
/// </summary>
public sealed partial class PostgresCluster : IAsyncDisposable
{
    public const string AdminUser = "hub_admin";
    public const int Port = 5432;

    private readonly bool _fast;
    private bool _startedHere;

    /// <param name="dataDirectory">The cluster's files (created by <c>initdb</c> when missing).</param>
    /// <param name="fast">Tests and benchmarks: no fsync (a crash of the machine may lose the cluster; never for real data).</param>
    public PostgresCluster(string dataDirectory, bool fast = false)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        _fast = fast;
        var id = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(DataDirectory)))[..12].ToLowerInvariant();
        SocketDirectory = Path.Combine(Path.GetTempPath(), "hub-pg-" + id);
        Binaries = FindBinaries() ?? throw new PostgresNotInstalledException();
    }

    public string DataDirectory { get; }

    /// <summary>Where the server's socket lives (kept short: a Unix socket path has at most 107 bytes).</summary>
    public string SocketDirectory { get; }

    public string Binaries { get; }

    /// <summary>The server's log (start-up failures are explained there).</summary>
    public string LogFile => DataDirectory + ".log";

    /// <summary>A connection string for <paramref name="database"/> as <paramref name="user"/> over the socket (local trust authentication).</summary>
    public string ConnectionString(string database, string user = AdminUser) =>
        $"Host={SocketDirectory};Port={Port};Database={database};Username={user};Pooling=true;Maximum Pool Size=32;Timeout=5;Command Timeout=30";

    /// <summary>The newest <c>/usr/lib/postgresql/N/bin</c> with <c>initdb</c>, or the one on PATH; null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var best = Directory.GetDirectories(root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(x => File.Exists(Path.Combine(x.Dir, "initdb")) && File.Exists(Path.Combine(x.Dir, "pg_ctl")))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Dir)
                .FirstOrDefault();
            if (best is not null)
            {
                return best;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        return null;
    }

    /// <summary>Whether a server is running on this data directory (started by anyone).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken ct = default) =>
        File.Exists(Path.Combine(DataDirectory, "PG_VERSION")) && (await RunAsync("pg_ctl", ["status", "-D", DataDirectory], ct, check: false)).ExitCode == 0;

    /// <summary>
    /// Creates the cluster when missing and starts it unless it already runs; returns whether this call started it
    /// (so only what was started here is stopped here).
    /// </summary>
    public async Task<bool> StartAsync(CancellationToken ct = default)
    {
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            Directory.CreateDirectory(DataDirectory);
            await HandOverAsync(DataDirectory, ct);
            await RunAsync("initdb", ["-D", DataDirectory, "-U", AdminUser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"], ct);
        }

        if (await IsRunningAsync(ct))
        {
            return false;
        }

        Directory.CreateDirectory(SocketDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(SocketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await HandOverAsync(SocketDirectory, ct);
        if (!File.Exists(LogFile))
        {
            await File.WriteAllTextAsync(LogFile, string.Empty, ct);
        }

        await HandOverAsync(LogFile, ct);
        var settings = new StringBuilder($"-c listen_addresses='' -c unix_socket_directories='{SocketDirectory}' -c port={Port} -c max_connections=200");
        if (_fast)
        {
            settings.Append(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }

        await RunAsync("pg_ctl", ["start", "-w", "-t", "60", "-D", DataDirectory, "-l", LogFile, "-o", settings.ToString()], ct);
        _startedHere = true;
        return true;
    }

    /// <summary>A fast shutdown (running transactions are rolled back; nothing committed is lost).</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (await IsRunningAsync(ct))
        {
            await RunAsync("pg_ctl", ["stop", "-w", "-t", "60", "-m", "fast", "-D", DataDirectory], ct);
        }

        TryRemoveSocketDirectory();
    }

    private void TryRemoveSocketDirectory()
    {
        try
        {
            if (Directory.Exists(SocketDirectory) && !Directory.EnumerateFileSystemEntries(SocketDirectory).Any())
            {
                Directory.Delete(SocketDirectory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a temp directory: left for the next start
        }
    }

    /// <summary>Stops the server if this instance started it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_startedHere)
        {
            _startedHere = false;
            await StopAsync();
        }
    }

    /// <summary>Stops the server if this instance started it, without async (process exit).</summary>
    public void StopIfStartedHere()
    {
        if (_startedHere)
        {
            _startedHere = false;
            RunAsync("pg_ctl", ["stop", "-w", "-t", "30", "-m", "fast", "-D", DataDirectory], CancellationToken.None, check: false).GetAwaiter().GetResult();
            TryRemoveSocketDirectory();
        }
    }

    private static bool IsRoot => NativeMethods.GetEffectiveUserId() == 0;

    /// <summary>As root, the server's files belong to the <c>postgres</c> user that runs it.</summary>
    private static async Task HandOverAsync(string path, CancellationToken ct)
    {
        if (IsRoot)
        {
            await RunRawAsync("chown", ["-R", "postgres:postgres", path], check: true, ct);
        }
    }

    private Task<(int ExitCode, string Output)> RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct, bool check = true)
    {
        var exe = Path.Combine(Binaries, tool);
        return IsRoot
            ? RunRawAsync("runuser", ["-u", "postgres", "--", exe, .. args], check, ct)
            : RunRawAsync(exe, args, check, ct);
    }

    private static async Task<(int ExitCode, string Output)> RunRawAsync(string file, IReadOnlyList<string> args, bool check, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(), // runuser's user may not be able to enter the caller's directory
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        var output = (await stdout) + (await stderr);
        if (check && p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(2))} failed ({p.ExitCode}): {output.Trim()}");
        }

        return (p.ExitCode, output);
    }

    private static partial class NativeMethods
    {
        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
        internal static partial uint GetEffectiveUserId();
    }
}

/// <summary>PostgreSQL's server binaries are not on this machine.</summary>
public sealed class PostgresNotInstalledException()
    : Exception("PostgreSQL is not installed: run 'apt-get install -y postgresql' (Debian), or set Hub:Cases:ConnectionString to a server.");
