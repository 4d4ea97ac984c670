using System.Globalization;
using Hub.Core.Hashing;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Hashing;

/// <summary>One hash of a list being imported, or refused with its line and why.</summary>
public sealed record HashLine(int Line, string Type, string Value, string Classification, string? SourceRef);

public sealed record ImportResult(int Added, int AlreadyThere, IReadOnlyList<string> Refused);

public sealed record BankStats(string Name, string Kind, string OwnerTeam, bool Enabled, IReadOnlyDictionary<string, long> Live, long Tombstoned, long Votes);

/// <summary>A live entry as the matcher holds it.</summary>
public sealed record HashEntry(long Id, string Bank, string Type, string Value, string Classification);

/// <summary>
/// The hash banks in PostgreSQL (V009, docs/hash-bank.md#banks): lists of hashes with an owner and a kind; entries
/// added by import, by a curator or by a platform, removed only by a tombstone; votes on matches. Hashes only:
/// nothing here ever holds or returns media. Every change is in the audit trail.
/// </summary>
public sealed class HashBanks(CaseDatabase database, AuditLog audit, TimeProvider time)
{
    public static readonly IReadOnlyList<string> Types = ["md5", "sha1", "sha256", "pdq"];

    public static readonly IReadOnlyList<string> Kinds = ["local-verified", "agency", "platform", "imported-list"];

    /// <summary>A hash in its canonical form (lowercase hex of the type's length), or why it is not one.</summary>
    public static (string? Value, string? Why) Normalize(string? type, string? value)
    {
        var length = type switch
        {
            "md5" => 32,
            "sha1" => 40,
            "sha256" or "pdq" => 64,
            _ => 0,
        };
        if (length == 0)
        {
            return (null, $"unknown hash type '{type}' (md5, sha1, sha256 or pdq)");
        }

        var v = value?.Trim().ToLowerInvariant() ?? string.Empty;
        return v.Length != length ? (null, $"a {type} hash is {length} hex digits, not {v.Length}")
            : !v.All(Uri.IsHexDigit) ? (null, $"a {type} hash is hexadecimal")
            : (v, null);
    }

    /// <summary>
    /// Reads a list (<c>type,value,classification[,source-ref]</c>, one hash a line, an optional header line starting
    /// with <c>type,</c>, <c>#</c> comments): every line checked, each bad one named with its number.
    /// </summary>
    public static (List<HashLine> Lines, List<string> Refused) Parse(TextReader csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var lines = new List<HashLine>();
        var refused = new List<string>();
        var n = 0;
        while (csv.ReadLine() is { } raw)
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || (n == 1 && line.StartsWith("type,", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var f = line.Split(',');
            if (f.Length is < 3 or > 4)
            {
                refused.Add($"line {n}: expected type,value,classification[,source-ref] ({f.Length} fields)");
                continue;
            }

            var type = f[0].Trim().ToLowerInvariant();
            var (value, why) = Normalize(type, f[1]);
            if (why is not null)
            {
                refused.Add($"line {n}: {why}");
                continue;
            }

            var classification = f[2].Trim();
            if (classification.Length is 0 or > 100)
            {
                refused.Add($"line {n}: a classification is 1–100 characters");
                continue;
            }

            lines.Add(new HashLine(n, type, value!, classification, f.Length == 4 && f[3].Trim().Length > 0 ? f[3].Trim() : null));
        }

        return (lines, refused);
    }

    public async Task<long> CreateBankAsync(Actor actor, string name, string ownerTeam, string kind, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!Kinds.Contains(kind, StringComparer.Ordinal))
        {
            throw new CaseOperationException(CaseProblem.Invalid, $"a bank's kind is one of {string.Join(", ", Kinds)}");
        }

        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO hash_banks (name, owner_team, kind, created_at) SELECT @n, @t, @k, @now WHERE EXISTS (SELECT 1 FROM teams WHERE id = @t) ON CONFLICT (name) DO NOTHING RETURNING id", conn, tx);
        cmd.Parameters.Add(Sql.Text("n", name));
        cmd.Parameters.Add(Sql.Text("t", ownerTeam));
        cmd.Parameters.Add(Sql.Text("k", kind));
        cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        long id;
        try
        {
            id = await cmd.ExecuteScalarAsync(ct) is long v ? v : throw new CaseOperationException(CaseProblem.Conflict, $"a bank '{name}' exists already, or team '{ownerTeam}' does not");
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation)
        {
            throw new CaseOperationException(CaseProblem.Invalid, "a bank's name is lowercase letters, digits and '-' (up to 63)");
        }

        await audit.AppendAsync(conn, tx, actor.UserId, "hashbank.create", null, ["bank:" + name, "kind:" + kind, "owner:" + ownerTeam], actor.Source, ct);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>
    /// Imports a list into a bank in one transaction: all of it or, if any line is bad, none of it (the refusal names
    /// every bad line). Hashes already live in the bank are counted, not added twice.
    /// </summary>
    public async Task<ImportResult> ImportAsync(Actor actor, string bank, TextReader csv, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var (lines, refused) = Parse(csv);
        if (refused.Count > 0)
        {
            return new ImportResult(0, 0, refused);
        }

        var db = await database.GetAsync(ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var bankId = await BankIdAsync(conn, tx, bank, ct);
        await Sql.ExecAsync(conn, tx, "CREATE TEMP TABLE hash_import (hash_type text, value text, classification text, source_ref text) ON COMMIT DROP", ct);
        await using (var copy = await conn.BeginBinaryImportAsync("COPY hash_import (hash_type, value, classification, source_ref) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var l in lines)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(l.Type, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(l.Value, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(l.Classification, NpgsqlDbType.Text, ct);
                if (l.SourceRef is null)
                {
                    await copy.WriteNullAsync(ct);
                }
                else
                {
                    await copy.WriteAsync(l.SourceRef, NpgsqlDbType.Text, ct);
                }
            }

            await copy.CompleteAsync(ct);
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO hash_entries (bank_id, hash_type, value, classification, source, source_ref, added_by, added_at) " +
            "SELECT DISTINCT ON (hash_type, value) @b, hash_type, value, classification, @s, source_ref, @u, @now FROM hash_import ORDER BY hash_type, value " +
            "ON CONFLICT (bank_id, hash_type, value) WHERE tombstoned_at IS NULL DO NOTHING", conn, tx);
        insert.Parameters.Add(new NpgsqlParameter<long>("b", bankId));
        insert.Parameters.Add(Sql.Text("s", source));
        insert.Parameters.Add(new NpgsqlParameter("u", NpgsqlDbType.Bigint) { Value = (object?)actor.UserId ?? DBNull.Value });
        insert.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        var added = await insert.ExecuteNonQueryAsync(ct);
        await audit.AppendAsync(conn, tx, actor.UserId, "hashbank.import", null, ["bank:" + bank, "added:" + added.ToString(CultureInfo.InvariantCulture)], actor.Source, ct);
        await tx.CommitAsync(ct);
        return new ImportResult(added, lines.Count - added, []);
    }

    /// <summary>
    /// Adds a list of hashes to a bank, creating the bank (of <paramref name="kind"/>, owned by <paramref name="ownerTeam"/>)
    /// on first use, in one transaction and one statement: a platform's contribution of up to 1,000 hashes. Answers each
    /// item's entry, new or already live in the bank; a repeated request adds nothing twice.
    /// </summary>
    public async Task<Hub.Core.Platform.HashContributionResult> ContributeAsync(
        Actor actor, string bank, string ownerTeam, string kind, IReadOnlyList<Hub.Core.Platform.HashContribution> items, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(items);
        var db = await database.GetAsync(ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        await using (var create = new NpgsqlCommand("INSERT INTO hash_banks (name, owner_team, kind, created_at) VALUES (@n, @t, @k, @now) ON CONFLICT (name) DO NOTHING RETURNING id", conn, tx))
        {
            create.Parameters.Add(Sql.Text("n", bank));
            create.Parameters.Add(Sql.Text("t", ownerTeam));
            create.Parameters.Add(Sql.Text("k", kind));
            create.Parameters.Add(Sql.Ts("now", now));
            if (await create.ExecuteScalarAsync(ct) is long)
            {
                await audit.AppendAsync(conn, tx, actor.UserId, "hashbank.create", null, ["bank:" + bank, "kind:" + kind, "owner:" + ownerTeam], actor.Source, ct);
            }
        }

        var bankId = await BankIdAsync(conn, tx, bank, ct);
        await using var cmd = new NpgsqlCommand(
            """
            WITH input AS (
              SELECT * FROM unnest(@types, @values, @classes, @refs) WITH ORDINALITY AS t(hash_type, value, classification, source_ref, ord)),
            ins AS (
              INSERT INTO hash_entries (bank_id, hash_type, value, classification, source, source_ref, added_by, added_at)
              SELECT DISTINCT ON (hash_type, value) @b, hash_type, value, classification, @s, source_ref, @u, @now FROM input ORDER BY hash_type, value, ord
              ON CONFLICT (bank_id, hash_type, value) WHERE tombstoned_at IS NULL DO NOTHING
              RETURNING id, hash_type, value)
            SELECT i.ord, COALESCE(ins.id, e.id), ins.id IS NOT NULL
            FROM input i
            LEFT JOIN ins ON ins.hash_type = i.hash_type AND ins.value = i.value
            LEFT JOIN hash_entries e ON ins.id IS NULL AND e.bank_id = @b AND e.hash_type = i.hash_type AND e.value = i.value AND e.tombstoned_at IS NULL
            ORDER BY i.ord
            """,
            conn,
            tx);
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("types", [.. items.Select(i => i.Type)]));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("values", [.. items.Select(i => i.Value)]));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("classes", [.. items.Select(i => i.Classification)]));
        cmd.Parameters.Add(new NpgsqlParameter("refs", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = items.Select(i => (object?)i.Ref ?? DBNull.Value).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter<long>("b", bankId));
        cmd.Parameters.Add(Sql.Text("s", source));
        cmd.Parameters.Add(new NpgsqlParameter("u", NpgsqlDbType.Bigint) { Value = (object?)actor.UserId ?? DBNull.Value });
        cmd.Parameters.Add(Sql.Ts("now", now));
        var entries = new List<Hub.Core.Platform.HashContributionItem>(items.Count);
        var seen = new HashSet<long>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var id = r.GetInt64(1);
                // The same hash twice in one request: the first is the one added, the second finds it there.
                var added = r.GetBoolean(2) && seen.Add(id);
                entries.Add(new((int)(r.GetInt64(0) - 1), id, added ? "added" : "existing"));
            }
        }

        var count = entries.Count(e => e.Status == "added");
        if (count > 0)
        {
            await audit.AppendAsync(conn, tx, actor.UserId, "hashbank.contribute", null, ["bank:" + bank, "added:" + count.ToString(CultureInfo.InvariantCulture), "source:" + source], actor.Source, ct);
        }

        await tx.CommitAsync(ct);
        return new(bank, count, entries.Count - count, entries);
    }

    /// <summary>Removes an entry from matching for good: a tombstone (who, when, why), never a delete.</summary>
    public async Task TombstoneAsync(Actor actor, long entryId, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new CaseOperationException(CaseProblem.Invalid, "a tombstone needs a reason");
        }

        var db = await database.GetAsync(ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var n = await Sql.ExecAsync(conn, tx, "UPDATE hash_entries SET tombstoned_at = @now, tombstoned_by = @u, tombstone_reason = @r WHERE id = @id AND tombstoned_at IS NULL", ct,
            ("now", time.GetUtcNow()), ("u", new NpgsqlParameter("u", NpgsqlDbType.Bigint) { Value = (object?)actor.UserId ?? DBNull.Value }), ("r", reason.Trim()), ("id", entryId));
        if (n == 0)
        {
            throw new CaseOperationException(CaseProblem.NotFound, "no such live entry");
        }

        await audit.AppendAsync(conn, tx, actor.UserId, "hashbank.tombstone", null, ["entry:" + entryId.ToString(CultureInfo.InvariantCulture)], actor.Source, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>A true- or false-positive verdict on an entry, by a user or a platform, with a reason.</summary>
    public async Task VoteAsync(long entryId, bool truePositive, long? userId, string? platform, string reason, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason) || (userId is null) == (platform is null))
        {
            throw new CaseOperationException(CaseProblem.Invalid, "a vote needs a reason and one voter (a user or a platform)");
        }

        var db = await database.GetAsync(ct);
        await using var cmd = db.CreateCommand("INSERT INTO hash_votes (entry_id, verdict, user_id, platform, reason, at) SELECT @e, @v, @u, @p, @r, @now WHERE EXISTS (SELECT 1 FROM hash_entries WHERE id = @e)");
        cmd.Parameters.Add(new NpgsqlParameter<long>("e", entryId));
        cmd.Parameters.Add(Sql.Text("v", truePositive ? "true-positive" : "false-positive"));
        cmd.Parameters.Add(new NpgsqlParameter("u", NpgsqlDbType.Bigint) { Value = (object?)userId ?? DBNull.Value });
        cmd.Parameters.Add(Sql.Text("p", platform));
        cmd.Parameters.Add(Sql.Text("r", reason.Trim()));
        cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
        {
            throw new CaseOperationException(CaseProblem.NotFound, "no such entry");
        }
    }

    /// <summary>
    /// A platform's verdicts on entries its lookups returned, all or none in one transaction: answers the entries that do
    /// not exist (nothing recorded then), or an empty list when every vote was recorded.
    /// </summary>
    public async Task<IReadOnlyList<long>> PlatformVotesAsync(string platform, IReadOnlyList<Hub.Core.Platform.HashVote> votes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(votes);
        var db = await database.GetAsync(ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var ids = votes.Select(v => v.Entry).Distinct().ToArray();
        await using (var check = new NpgsqlCommand("SELECT x FROM unnest(@ids) AS x WHERE NOT EXISTS (SELECT 1 FROM hash_entries WHERE id = x) ORDER BY x", conn, tx))
        {
            check.Parameters.Add(new NpgsqlParameter<long[]>("ids", ids));
            var missing = new List<long>();
            await using (var r = await check.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    missing.Add(r.GetInt64(0));
                }
            }

            if (missing.Count > 0)
            {
                return missing;
            }
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO hash_votes (entry_id, verdict, platform, reason, at) SELECT e, v, @p, r, @now FROM unnest(@entries, @verdicts, @reasons) AS t(e, v, r)", conn, tx);
        insert.Parameters.Add(new NpgsqlParameter<long[]>("entries", [.. votes.Select(v => v.Entry)]));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("verdicts", [.. votes.Select(v => v.Verdict)]));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("reasons", [.. votes.Select(v => v.Reason)]));
        insert.Parameters.Add(Sql.Text("p", platform));
        insert.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        await insert.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return [];
    }

    /// <summary>A bank's live hashes as a list in the import format (hashes only: for sharing with another bank).</summary>
    public async Task<int> ExportAsync(string bank, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        var db = await database.GetAsync(ct);
        await using var cmd = db.CreateCommand(
            "SELECT e.hash_type, e.value, e.classification, e.source_ref FROM hash_entries e JOIN hash_banks b ON b.id = e.bank_id WHERE b.name = @n AND e.tombstoned_at IS NULL ORDER BY e.id");
        cmd.Parameters.Add(Sql.Text("n", bank));
        await output.WriteLineAsync("type,value,classification,source-ref");
        var n = 0;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            await output.WriteLineAsync($"{r.GetString(0)},{r.GetString(1)},{r.GetString(2)},{(r.IsDBNull(3) ? string.Empty : r.GetString(3))}");
            n++;
        }

        return n;
    }

    public async Task<IReadOnlyList<BankStats>> StatsAsync(CancellationToken ct)
    {
        var db = await database.GetAsync(ct);
        await using var cmd = db.CreateCommand(
            "SELECT b.name, b.kind, b.owner_team, b.enabled, " +
            "COALESCE((SELECT json_object_agg(t, c)::text FROM (SELECT hash_type t, count(*) c FROM hash_entries WHERE bank_id = b.id AND tombstoned_at IS NULL GROUP BY hash_type) x), '{}'), " +
            "(SELECT count(*) FROM hash_entries WHERE bank_id = b.id AND tombstoned_at IS NOT NULL), " +
            "(SELECT count(*) FROM hash_votes v JOIN hash_entries e ON e.id = v.entry_id WHERE e.bank_id = b.id) FROM hash_banks b ORDER BY b.name");
        var list = new List<BankStats>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var live = System.Text.Json.JsonSerializer.Deserialize(r.GetString(4), HashJsonContext.Default.DictionaryStringInt64) ?? [];
            list.Add(new BankStats(r.GetString(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), live, r.GetInt64(5), r.GetInt64(6)));
        }

        return list;
    }

    /// <summary>
    /// Streams the live entries of enabled banks with an id above <paramref name="afterId"/> to <paramref name="added"/>
    /// (in id order, one row at a time: a bank of ten million is never held twice), then the ids tombstoned since
    /// <paramref name="since"/> to <paramref name="removed"/>.
    /// </summary>
    public async Task ChangesAsync(long afterId, DateTimeOffset since, Action<HashEntry> added, Action<long> removed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(removed);
        var db = await database.GetAsync(ct);
        await using var batch = db.CreateBatch();
        var a = new NpgsqlBatchCommand("SELECT e.id, b.name, e.hash_type, e.value, e.classification FROM hash_entries e JOIN hash_banks b ON b.id = e.bank_id WHERE e.id > @after AND e.tombstoned_at IS NULL AND b.enabled ORDER BY e.id");
        a.Parameters.Add(new NpgsqlParameter<long>("after", afterId));
        var g = new NpgsqlBatchCommand("SELECT id FROM hash_entries WHERE id <= @after AND tombstoned_at >= @since");
        g.Parameters.Add(new NpgsqlParameter<long>("after", afterId));
        g.Parameters.Add(Sql.Ts("since", since));
        batch.BatchCommands.Add(a);
        batch.BatchCommands.Add(g);
        await using var r = await batch.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        while (await r.ReadAsync(ct))
        {
            added(new HashEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4)));
        }

        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
        {
            removed(r.GetInt64(0));
        }
    }

    private static async Task<long> BankIdAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string bank, CancellationToken ct)
    {
        await using var find = new NpgsqlCommand("SELECT id FROM hash_banks WHERE name = @n", conn, tx);
        find.Parameters.Add(Sql.Text("n", bank));
        return await find.ExecuteScalarAsync(ct) is long id ? id : throw new CaseOperationException(CaseProblem.NotFound, $"no bank '{bank}'");
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class HashJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
