using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The test run's PostgreSQL: one private cluster per test process (Debian's binaries, a Unix socket in a private
/// directory: no port to race for), started on first use and stopped when the process exits. Each fixture gets a
/// fresh database copied from a migrated template (<see cref="CreateDatabaseAsync"/>); a test that stops or kills the
/// database starts a cluster of its own (<see cref="StartPrivateClusterAsync"/>). No mock stands in for PostgreSQL.
/// </summary>
public static class PostgresServer
{
    private const string Template = "hub_template";
    private static readonly SemaphoreSlim CreateGate = new(1, 1);
    private static readonly Lazy<Task<PostgresCluster>> Shared = new(StartSharedAsync);

    public static async Task<PostgresDatabase> CreateDatabaseAsync()
    {
        var cluster = await Shared.Value;
        var name = "hub_" + Guid.NewGuid().ToString("N")[..16];
        await CreateGate.WaitAsync();
        try
        {
            await CaseDatabase.EnsureDatabaseAsync(cluster, name, CancellationToken.None, Template);
        }
        finally
        {
            CreateGate.Release();
        }

        return new PostgresDatabase(cluster, name, ownsCluster: false);
    }

    /// <summary>A cluster of the caller's own (to stop and start), with one migrated database.</summary>
    public static async Task<PostgresDatabase> StartPrivateClusterAsync()
    {
        var cluster = new PostgresCluster(Path.Combine(Path.GetTempPath(), "hub-tests-pg", Guid.NewGuid().ToString("N")[..12]), fast: true);
        await cluster.StartAsync();
        await CaseDatabase.PrepareLocalAsync(cluster, "hub", CancellationToken.None);
        return new PostgresDatabase(cluster, "hub", ownsCluster: true);
    }

    private static async Task<PostgresCluster> StartSharedAsync()
    {
        var cluster = new PostgresCluster(Path.Combine(Path.GetTempPath(), "hub-tests-pg", Guid.NewGuid().ToString("N")[..12]), fast: true);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            cluster.StopIfStartedHere();
            TryDelete(cluster.DataDirectory);
        };
        await cluster.StartAsync();
        await CaseDatabase.PrepareLocalAsync(cluster, Template, CancellationToken.None);
        return cluster;
    }

    internal static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
            File.Delete(path + ".log");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // temp data
        }
    }
}

/// <summary>One database of a test cluster: the hub's (hub_app) and the owner's connection strings.</summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly bool _ownsCluster;

    internal PostgresDatabase(PostgresCluster cluster, string name, bool ownsCluster)
    {
        Cluster = cluster;
        Name = name;
        _ownsCluster = ownsCluster;
    }

    public PostgresCluster Cluster { get; }

    public string Name { get; }

    /// <summary>As the running hub connects: the <c>hub_app</c> role, which cannot change audit rows.</summary>
    public string AppConnectionString => Cluster.ConnectionString(Name, CaseDatabase.AppRole);

    /// <summary>As the tables' owner (the migrations' connection).</summary>
    public string AdminConnectionString => Cluster.ConnectionString(Name);

    /// <summary>The settings that point a hub at this database.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Hub:Cases:ConnectionString", AppConnectionString),
        new("Hub:Cases:AdminConnectionString", AdminConnectionString),
    ];

    /// <summary>A <see cref="CaseDatabase"/> of this database, outside any hub (contract tests, verification of another process's work).</summary>
    public CaseDatabase Open() =>
        new(Microsoft.Extensions.Options.Options.Create(new HubOptions { Cases = { ConnectionString = AppConnectionString, AdminConnectionString = AdminConnectionString } }),
            new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Testing", ContentRootPath = AppContext.BaseDirectory },
            NullLogger<CaseDatabase>.Instance);

    public async Task<T> ScalarAsync<T>(string sql, bool asAdmin = true)
    {
        await using var conn = new NpgsqlConnection(asAdmin ? AdminConnectionString : AppConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql, bool asAdmin = true)
    {
        await using var conn = new NpgsqlConnection(asAdmin ? AdminConnectionString : AppConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsCluster)
        {
            await Cluster.StopAsync();
            PostgresServer.TryDelete(Cluster.DataDirectory);
            return;
        }

        try
        {
            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Cluster.ConnectionString("postgres")) { Pooling = false }.ConnectionString);
            await conn.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // the cluster is going away with the process anyway
        }
    }
}
