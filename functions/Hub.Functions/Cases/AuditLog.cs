using Hub.Core.Cases;
using Hub.Functions.Cases.Database;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases;

/// <summary>The result of walking the audit chain: how many rows were checked and the first that does not fit, if any.</summary>
public sealed record AuditVerification(long Rows, long? BrokenAt, string? Problem)
{
    public bool Intact => BrokenAt is null;
}

/// <summary>
/// The append-only <c>audit</c> table: who saw and who changed what. A row is written in the same transaction as the
/// change it records (both or neither), under a transaction-scoped advisory lock that serialises the chain: each row
/// stores SHA-256(previous row's hash ‖ its canonical content) (<see cref="AuditChain"/>). The app's role can insert
/// and read rows but not update or delete them (grants and a trigger, migration V001).
/// </summary>
public sealed class AuditLog(CaseDatabase database, TimeProvider time)
{
    private const long ChainLock = 0x4855_425F_4155_4454; // "HUB_AUDT"

    /// <summary>Appends one row inside <paramref name="tx"/>.</summary>
    public async Task AppendAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long? userId, string action, string? caseId, IReadOnlyList<string> fields, string? source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(conn);
        var at = AuditChain.Truncate(time.GetUtcNow());
        byte[] previous;
        long id;
        await using (var batch = new NpgsqlBatch(conn, tx))
        {
            var lockCmd = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(@k)");
            lockCmd.Parameters.Add(new NpgsqlParameter<long>("k", ChainLock));
            batch.BatchCommands.Add(lockCmd);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT (SELECT hash FROM audit ORDER BY id DESC LIMIT 1), nextval('audit_id_seq')"));
            await using var r = await batch.ExecuteReaderAsync(ct);
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            previous = r.IsDBNull(0) ? AuditChain.Genesis.ToArray() : r.GetFieldValue<byte[]>(0);
            id = r.GetInt64(1);
        }

        var entry = new AuditEntry(id, at, userId, action, caseId, fields, source);
        await using var insert = new NpgsqlCommand(
            "INSERT INTO audit (id, at, user_id, action, case_id, fields, source, prev_hash, hash) VALUES (@id, @at, @u, @a, @c, @f, @s, @p, @h)", conn, tx);
        insert.Parameters.Add(new NpgsqlParameter<long>("id", id));
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("at", at));
        insert.Parameters.Add(new NpgsqlParameter("u", NpgsqlDbType.Bigint) { Value = (object?)userId ?? DBNull.Value });
        insert.Parameters.Add(Sql.Text("a", action));
        insert.Parameters.Add(Sql.Text("c", caseId));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("f", fields.ToArray()));
        insert.Parameters.Add(Sql.Text("s", source));
        insert.Parameters.Add(new NpgsqlParameter<byte[]>("p", previous));
        insert.Parameters.Add(new NpgsqlParameter<byte[]>("h", AuditChain.Hash(previous, entry)));
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Walks the whole chain in id order and reports the first row whose links or hash do not match.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand("SELECT id, at, user_id, action, case_id, fields, source, prev_hash, hash FROM audit ORDER BY id");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var expectedPrevious = AuditChain.Genesis.ToArray();
        long rows = 0;
        while (await r.ReadAsync(ct))
        {
            rows++;
            var entry = new AuditEntry(
                r.GetInt64(0),
                r.GetFieldValue<DateTimeOffset>(1),
                r.IsDBNull(2) ? null : r.GetInt64(2),
                r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4),
                r.GetFieldValue<string[]>(5),
                r.IsDBNull(6) ? null : r.GetString(6));
            var storedPrevious = r.GetFieldValue<byte[]>(7);
            var storedHash = r.GetFieldValue<byte[]>(8);
            if (!storedPrevious.AsSpan().SequenceEqual(expectedPrevious))
            {
                return new AuditVerification(rows, entry.Id, "its previous-hash does not match the row before it (a row was removed, inserted or reordered)");
            }

            if (!AuditChain.Hash(storedPrevious, entry).AsSpan().SequenceEqual(storedHash))
            {
                return new AuditVerification(rows, entry.Id, "its content does not match its hash (the row was altered)");
            }

            expectedPrevious = storedHash;
        }

        return new AuditVerification(rows, null, null);
    }

    /// <summary>The audit rows of one case, oldest first (for the case's own history screen and tests).</summary>
    public async Task<IReadOnlyList<AuditEntry>> ForCaseAsync(string caseId, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand("SELECT id, at, user_id, action, case_id, fields, source FROM audit WHERE case_id = @c ORDER BY id");
        cmd.Parameters.Add(Sql.Text("c", caseId));
        var list = new List<AuditEntry>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new AuditEntry(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.IsDBNull(2) ? null : r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetFieldValue<string[]>(5), r.IsDBNull(6) ? null : r.GetString(6)));
        }

        return list;
    }
}
