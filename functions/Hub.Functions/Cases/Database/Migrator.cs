using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Hub.Functions.Cases.Database;

/// <summary>
/// Applies the embedded <c>Cases/Database/Migrations/V###__name.sql</c> scripts in order, each in a transaction of its
/// own, under a session advisory lock so two instances starting together cannot both apply one. Every applied
/// script's SHA-256 is kept in <c>schema_migrations</c>; a script whose text changed after it was applied stops the
/// start-up (an applied migration is never edited: a change is a new script). A small runner of our own rather than
/// DbUp or Evolve: it is the advisory lock and the checksum refusal we need, in 80 lines with no dependency.
/// </summary>
public static partial class Migrator
{
    private const long LockKey = 0x4855_425F_4D49_4752; // "HUB_MIGR"

    public sealed record Migration(int Version, string Name, string Sql)
    {
        public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
    }

    /// <summary>The scripts compiled into the app, in version order.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = Load();

    /// <summary>Applies what is missing; returns the versions applied now.</summary>
    public static async Task<IReadOnlyList<int>> MigrateAsync(string connectionString, CancellationToken ct)
    {
        var applied = new List<int>();
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }; // no idle connection left behind (a template database must have none)
        await using var conn = new NpgsqlConnection(builder.ConnectionString);
        await conn.OpenAsync(ct);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_lock(@k)", conn))
        {
            lockCmd.Parameters.AddWithValue("k", LockKey);
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        try
        {
            await using (var create = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", conn))
            {
                await create.ExecuteNonQueryAsync(ct);
            }

            var done = new Dictionary<int, string>();
            await using (var read = new NpgsqlCommand("SELECT version, sha256 FROM schema_migrations", conn))
            await using (var r = await read.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    done[r.GetInt32(0)] = r.GetString(1);
                }
            }

            foreach (var m in Embedded)
            {
                if (done.TryGetValue(m.Version, out var sha))
                {
                    if (!string.Equals(sha, m.Sha256, StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"Migration V{m.Version:000} ({m.Name}) was edited after it was applied: write a new migration instead.");
                    }

                    continue;
                }

                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var run = new NpgsqlCommand(m.Sql, conn, tx))
                {
                    await run.ExecuteNonQueryAsync(ct);
                }

                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, sha256) VALUES (@v, @n, @s)", conn, tx))
                {
                    record.Parameters.AddWithValue("v", m.Version);
                    record.Parameters.AddWithValue("n", m.Name);
                    record.Parameters.AddWithValue("s", m.Sha256);
                    await record.ExecuteNonQueryAsync(ct);
                }

                await tx.CommitAsync(ct);
                applied.Add(m.Version);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@k)", conn);
            unlock.Parameters.AddWithValue("k", LockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }

        return applied;
    }

    /// <summary>
    /// Azure: makes <paramref name="role"/> (the app's managed identity, by name) a PostgreSQL role for Entra sign-in when
    /// it is not one yet, and grants it <c>hub_app</c> and nothing else. Run by the Entra administrator (scripts/deploy.sh).
    /// </summary>
    public static async Task GrantAppRoleAsync(string connectionString, string role, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = @r", conn))
        {
            exists.Parameters.AddWithValue("r", role);
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                await using var create = new NpgsqlCommand("SELECT * FROM pgaadauth_create_principal(@r, false, false)", conn);
                create.Parameters.AddWithValue("r", role);
                await create.ExecuteNonQueryAsync(ct);
            }
        }

        await using var grant = new NpgsqlCommand($"GRANT {CaseDatabase.AppRole} TO \"{role.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", conn);
        await grant.ExecuteNonQueryAsync(ct);
    }

    private static List<Migration> Load()
    {
        var asm = Assembly.GetExecutingAssembly();
        var list = new List<Migration>();
        foreach (var name in asm.GetManifestResourceNames())
        {
            var m = ResourceName().Match(name);
            if (!m.Success)
            {
                continue;
            }

            using var stream = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            list.Add(new Migration(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Version == list[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations have version {list[i].Version}.");
            }
        }

        return list;
    }

    [GeneratedRegex(@"^Hub\.Migrations\.V(\d{3})__([a-z0-9_]+)\.sql$")]
    private static partial Regex ResourceName();
}
