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
    public Task<(string App, string Admin)> CreateAsync(string name) => CaseDatabase.PrepareLocalAsync(Cluster, name, CancellationToken.None);

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
