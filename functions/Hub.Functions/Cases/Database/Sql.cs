using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases.Database;

/// <summary>The few parameter and command helpers the case store's classes share.</summary>
internal static class Sql
{
    /// <summary>A text parameter (typed, so a null is still a text null the server can compare).</summary>
    public static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    /// <summary>A <c>timestamptz</c> parameter; Npgsql takes only UTC offsets.</summary>
    public static NpgsqlParameter<DateTimeOffset> Ts(string name, DateTimeOffset value) => new(name, value.ToUniversalTime());

    /// <summary>Runs <paramref name="sql"/> in <paramref name="tx"/>; a null argument is sent untyped (the server infers it), a <see cref="NpgsqlParameter"/> as it is.</summary>
    public static async Task<int> ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var (name, value) in args)
        {
            cmd.Parameters.Add(value switch
            {
                null => new NpgsqlParameter(name, DBNull.Value),
                NpgsqlParameter typed => typed,
                DateTimeOffset d => Ts(name, d),
                _ => new NpgsqlParameter(name, value),
            });
        }

        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
