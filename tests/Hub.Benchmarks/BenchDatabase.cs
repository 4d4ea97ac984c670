using Hub.Functions.Cases.Database;
using Npgsql;

namespace Hub.Benchmarks;

/// <summary>A private PostgreSQL cluster for one benchmark run (real durability: fsync on), with migrated databases.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private BenchDatabase(PostgresCluster cluster) => Cluster = cluster;

    public PostgresCluster Cluster { get; }

    public static async Task<BenchDatabase> StartAsync()
    {
        var cluster = new PostgresCluster(Path.Combine(Path.GetTempPath(), "hub-bench-pg", Guid.NewGuid().ToString("N")[..12]));
        await cluster.StartAsync();
        return new BenchDatabase(cluster);
    }

    /// <summary>Creates and migrates <paramref name="name"/>; returns (app, admin) connection strings.</summary>
    public async Task<(string App, string Admin)> CreateAsync(string name)
    {
        var admin = await CaseDatabase.EnsureDatabaseAsync(Cluster, name, CancellationToken.None);
        await Migrator.MigrateAsync(admin, CancellationToken.None);
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin) { Pooling = false }.ConnectionString))
        {
            await conn.OpenAsync();
            await using var login = new NpgsqlCommand($"ALTER ROLE {CaseDatabase.AppRole} LOGIN", conn);
            await login.ExecuteNonQueryAsync();
        }

        return (Cluster.ConnectionString(name, CaseDatabase.AppRole), admin);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Cluster.StopAsync();
        try
        {
            Directory.Delete(Cluster.DataDirectory, recursive: true);
            File.Delete(Cluster.LogFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // temp data
        }
    }
}
