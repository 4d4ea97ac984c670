using System.Net.Sockets;
using Azure.Core;
using Azure.Identity;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hub.Functions.Cases.Database;

/// <summary>
/// The case store's PostgreSQL: one <see cref="NpgsqlDataSource"/> for the app, built on first use once the schema is
/// migrated. In Development with no connection string it first starts the private cluster (<see cref="PostgresCluster"/>).
/// A failure (the server down at start-up) is not remembered: the next call tries again, so the hub starts and takes
/// reports while the case store is away, and the processor catches up when it is back.
/// </summary>
public sealed partial class CaseDatabase(IOptions<HubOptions> options, IHostEnvironment env, ILogger<CaseDatabase> logger) : IAsyncDisposable, IDisposable
{
    public const string LocalDatabase = "hub";
    public const string AppRole = "hub_app";
    private static readonly string[] EntraScopes = ["https://ossrdbms-aad.database.windows.net/.default"];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlDataSource? _source;
    private PostgresCluster? _cluster;

    private CasesOptions O => options.Value.Cases;

    /// <summary>The private cluster this process started, if any (Development, tests).</summary>
    public PostgresCluster? Cluster => _cluster;

    public async ValueTask<NpgsqlDataSource> GetAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _source) is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_source is not null)
            {
                return _source;
            }

            var (app, admin, migrated) = await ResolveAsync(ct);
            if (O.MigrateOnStart && !migrated)
            {
                var applied = await Migrator.MigrateAsync(admin ?? app, ct);
                if (applied.Count > 0)
                {
                    LogMigrated(logger, string.Join(", ", applied.Select(v => $"V{v:000}")));
                }
            }

            var builder = new NpgsqlDataSourceBuilder(app);
            if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                // The hub sends a few dozen distinct statements, over and over: prepared once per connection, they skip
                // parsing and planning (about half of a case detail's server time on a million cases, docs/benchmarks.md).
                builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            }

            if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.Options))
            {
                // Short statements on indexes: PostgreSQL's JIT compiles whenever an estimate crosses its cost threshold
                // (a GIN index's guess does), adding ~130 ms to a 10 ms query (docs/benchmarks.md, console pages).
                builder.ConnectionStringBuilder.Options = "-c jit=off";
            }

            if (O.UseEntraAuthentication)
            {
                TokenCredential credential = string.IsNullOrWhiteSpace(O.ManagedIdentityClientId)
                    ? new DefaultAzureCredential()
                    : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(O.ManagedIdentityClientId));
                builder.UsePeriodicPasswordProvider(
                    async (_, token) => (await credential.GetTokenAsync(new TokenRequestContext(EntraScopes), token)).Token,
                    TimeSpan.FromMinutes(50),
                    TimeSpan.FromSeconds(5));
            }

            _source = builder.Build();
            return _source;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether <paramref name="ex"/> means the database cannot be reached now (an outage), not that the work is wrong.</summary>
    public static bool IsUnavailable(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
            || pg.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "53400", // shutdown, crash, starting up, too many connections
        NpgsqlException npg => npg.IsTransient || npg.InnerException is SocketException or IOException or TimeoutException,
        SocketException or TimeoutException => true,
        PostgresNotInstalledException => true,
        _ => ex.InnerException is { } inner && IsUnavailable(inner),
    };

    public void Dispose()
    {
        _source?.Dispose();
        _source = null;
        _cluster?.StopIfStartedHere();
        _cluster = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_source is not null)
        {
            await _source.DisposeAsync();
            _source = null;
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
            _cluster = null;
        }
    }

    /// <summary>The connection strings to use, and whether the schema was already migrated on the way (the private cluster).</summary>
    private async Task<(string App, string? Admin, bool Migrated)> ResolveAsync(CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(O.ConnectionString))
        {
            return (O.ConnectionString, string.IsNullOrWhiteSpace(O.AdminConnectionString) ? null : O.AdminConnectionString, false);
        }

        if (!env.IsDevelopment() || !O.AutoStartPostgres)
        {
            throw new InvalidOperationException("Hub:Cases:ConnectionString is not set (outside Development the hub does not start a database of its own).");
        }

        _cluster ??= new PostgresCluster(O.LocalDataDirectory ?? DefaultLocalDataDirectory(env));
        if (await _cluster.StartAsync(ct))
        {
            LogClusterStarted(logger, _cluster.DataDirectory);
        }

        var (app, admin) = await PrepareLocalAsync(_cluster, LocalDatabase, ct);
        return (app, admin, true);
    }

    /// <summary>
    /// A private cluster's database ready for the hub: created when missing, migrated as the owner, and the
    /// <c>hub_app</c> role allowed to log in (over the socket, trust). Returns (app, owner) connection strings.
    /// </summary>
    public static async Task<(string App, string Admin)> PrepareLocalAsync(PostgresCluster cluster, string database, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var admin = await EnsureDatabaseAsync(cluster, database, ct);
        await Migrator.MigrateAsync(admin, ct);
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin) { Pooling = false }.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var login = new NpgsqlCommand($"ALTER ROLE {AppRole} LOGIN", conn);
            await login.ExecuteNonQueryAsync(ct);
        }

        return (cluster.ConnectionString(database, AppRole), admin);
    }

    /// <summary>Creates <paramref name="database"/> on the cluster when missing; returns the owner's connection string to it.</summary>
    public static async Task<string> EnsureDatabaseAsync(PostgresCluster cluster, string database, CancellationToken ct, string? template = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var postgres = new NpgsqlConnectionStringBuilder(cluster.ConnectionString("postgres")) { Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(postgres);
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @d", conn);
        exists.Parameters.AddWithValue("d", database);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            var sql = $"CREATE DATABASE \"{database.Replace("\"", string.Empty, StringComparison.Ordinal)}\"" + (template is null ? string.Empty : $" TEMPLATE \"{template}\"");
            await using var create = new NpgsqlCommand(sql, conn);
            await create.ExecuteNonQueryAsync(ct);
        }

        return cluster.ConnectionString(database);
    }

    /// <summary><c>.pgdata</c> at the repository root (the folder with <c>Hub.sln</c>), else beside the app.</summary>
    private static string DefaultLocalDataDirectory(IHostEnvironment env)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
            {
                return Path.Combine(dir.FullName, ".pgdata");
            }
        }

        return Path.Combine(env.ContentRootPath, ".pgdata");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case store migrated: {Versions} applied")]
    private static partial void LogMigrated(ILogger logger, string versions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started the private PostgreSQL cluster (data in {Location})")]
    private static partial void LogClusterStarted(ILogger logger, string location);
}
