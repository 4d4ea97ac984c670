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

    /// <summary>The hub's own <see cref="CaseDatabase"/> over a benchmark's database, as the host would build it.</summary>
    public static CaseDatabase Open(Microsoft.Extensions.Options.IOptions<Hub.Functions.Hosting.HubOptions> options) =>
        new(options, new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Benchmark", ContentRootPath = AppContext.BaseDirectory }, Microsoft.Extensions.Logging.Abstractions.NullLogger<CaseDatabase>.Instance);

    /// <summary>Seeds synthetic cases (<see cref="CaseSeeder"/>), then settles the database so what is measured is the steady state: vacuumed (visibility map set), analysed, checkpointed.</summary>
    public static async Task<TimeSpan> SeedAsync(string admin, int total, int open)
    {
        var seed = System.Diagnostics.Stopwatch.StartNew();
        await using var adminSource = NpgsqlDataSource.Create(admin);
        await Hub.Functions.Cases.CaseSeeder.SeedAsync(adminSource, total, open, Hub.Functions.Cases.CaseSeeder.DefaultReporters, TimeProvider.System.GetUtcNow(), CancellationToken.None);
        foreach (var sql in new[] { "VACUUM ANALYZE cases", "VACUUM ANALYZE reports", "CHECKPOINT" })
        {
            await using var maintenance = adminSource.CreateCommand(sql);
            maintenance.CommandTimeout = 900;
            await maintenance.ExecuteNonQueryAsync();
        }

        return seed.Elapsed;
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
