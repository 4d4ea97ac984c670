using System.Globalization;
using Hub.Functions.Cases.Database;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases;

/// <summary>The industry classification a curator gives confirmed material (NCMEC's and Meta's A1/A2/B1/B2).</summary>
public static class CuratedClassifications
{
    public const string Bank = "hub-verified";

    public static readonly IReadOnlyList<string> All = ["csam-a1", "csam-a2", "csam-b1", "csam-b2"];
}

/// <summary>A curator's confirmation: the verified bank and the entry each of the item's hashes is now.</summary>
public sealed record ConfirmedMaterial(string Bank, string Classification, IReadOnlyList<(string Type, long Entry)> Entries, int Version = 0);

/// <summary>Hash curation on a case (docs/hash-bank.md#curators): confirming an evidence item as abuse material, and votes on a case's matches.</summary>
public sealed partial class CaseService
{
    /// <summary>
    /// A hash curator who can see the case confirms its evidence item <paramref name="n"/> as child-abuse material: the
    /// item's SHA-256, MD5, SHA-1 and (quality ≥ 50) PDQ go into the hub's verified bank, the item becomes known material
    /// (hidden from everyone from then on, the curator included), the case's history says so, and the confirmation is
    /// audited, all in one transaction. Only what the hub holds can be confirmed (a curator confirms what was seen).
    /// </summary>
    public async Task<ConfirmedMaterial> ConfirmKnownMaterialAsync(Actor actor, CaseTarget target, int n, string? classification, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ConfirmedMaterial? confirmed = null;
        var version = await ChangeAsync(actor, target, "evidence.confirm-material", async (conn, tx, c) =>
        {
            if (!actor.Has(Roles.HashCurator) || actor.UserId is null)
            {
                throw Forbidden("only a hash curator confirms material for the verified bank");
            }

            if (classification is null || !CuratedClassifications.All.Contains(classification, StringComparer.Ordinal))
            {
                throw new CaseOperationException(CaseProblem.Invalid, $"a classification is one of {string.Join(", ", CuratedClassifications.All)}");
            }

            var item = (await EvidenceOfAsync(conn, tx, c.Id, ct)).ElementAtOrDefault(n - 1)
                ?? throw new CaseOperationException(CaseProblem.NotFound, "this case has no such evidence item");
            if (item.Evidence is not { Blob: not null, Sha256: { } sha256 } e)
            {
                throw new CaseOperationException(CaseProblem.NotFound, "this evidence item is not held by the hub: only what the hub holds (and a curator has seen) is confirmed");
            }

            await using (var known = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM case_hash_matches WHERE report_id = @r AND evidence_sha256 = @s)", conn, tx))
            {
                known.Parameters.Add(Sql.Text("r", item.ReportId));
                known.Parameters.Add(Sql.Text("s", sha256));
                if ((bool)(await known.ExecuteScalarAsync(ct))!)
                {
                    throw new CaseOperationException(CaseProblem.Conflict, "this item is known material already");
                }
            }

            var hashes = new List<(string Type, string Value)> { ("sha256", sha256) };
            if (e.Md5 is { } md5)
            {
                hashes.Add(("md5", md5));
            }

            if (e.Sha1 is { } sha1)
            {
                hashes.Add(("sha1", sha1));
            }

            if (e.Pdq is { } pdq && (e.PdqQuality ?? 0) >= Hashing.HashMatcher.MinQuality)
            {
                hashes.Add(("pdq", pdq));
            }

            await using var add = new NpgsqlCommand(
                """
                WITH bank AS (SELECT id FROM hash_banks WHERE name = @bank),
                input AS (SELECT * FROM unnest(@types, @values) WITH ORDINALITY AS t(hash_type, value, ord)),
                ins AS (
                  INSERT INTO hash_entries (bank_id, hash_type, value, classification, source, source_ref, added_by, added_at)
                  SELECT bank.id, hash_type, value, @class, 'curator', @ref, @u, @now FROM input, bank
                  ON CONFLICT (bank_id, hash_type, value) WHERE tombstoned_at IS NULL DO NOTHING
                  RETURNING id, hash_type),
                entries AS (
                  SELECT i.ord, i.hash_type, COALESCE(ins.id, e.id) AS id FROM input i
                  LEFT JOIN ins ON ins.hash_type = i.hash_type
                  LEFT JOIN hash_entries e ON ins.id IS NULL AND e.bank_id = (SELECT id FROM bank) AND e.hash_type = i.hash_type AND e.value = i.value AND e.tombstoned_at IS NULL),
                matched AS (
                  INSERT INTO case_hash_matches (report_id, evidence_sha256, entry_id, bank, classification, hash_type, distance, matched_at, confirmed_by)
                  SELECT @report, @sha, id, @bank, @class, hash_type, 0, @now, @u FROM entries
                  ON CONFLICT DO NOTHING)
                SELECT hash_type, id FROM entries ORDER BY ord
                """,
                conn,
                tx);
            add.Parameters.Add(Sql.Text("bank", CuratedClassifications.Bank));
            add.Parameters.Add(new NpgsqlParameter<string[]>("types", [.. hashes.Select(h => h.Type)]));
            add.Parameters.Add(new NpgsqlParameter<string[]>("values", [.. hashes.Select(h => h.Value)]));
            add.Parameters.Add(Sql.Text("class", classification));
            add.Parameters.Add(Sql.Text("ref", "case " + c.Id));
            add.Parameters.Add(new NpgsqlParameter<long>("u", actor.UserId.Value));
            add.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
            add.Parameters.Add(Sql.Text("report", item.ReportId));
            add.Parameters.Add(Sql.Text("sha", sha256));
            var entries = new List<(string, long)>();
            await using (var r = await add.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    entries.Add((r.GetString(0), r.GetInt64(1)));
                }
            }

            var number = n.ToString(CultureInfo.InvariantCulture);
            await HistoryAsync(conn, tx, c.Id, actor, "known-material", c.Status, c.Status, c.OwnerId, c.OwnerId, c.TeamId, c.TeamId,
                $"evidence {number} confirmed as known material ({CuratedClassifications.Bank}, {classification}); its hashes are in the bank and it is no longer shown", ct);
            confirmed = new ConfirmedMaterial(CuratedClassifications.Bank, classification, entries);
            return ["evidence:" + number, "sha256:" + sha256, "bank:" + CuratedClassifications.Bank, "classification:" + classification, .. entries.Select(x => "entry:" + x.Item2.ToString(CultureInfo.InvariantCulture))];
        }, ct);
        return confirmed! with { Version = version };
    }

    /// <summary>
    /// A hash curator's verdict on one of the case's matches (true or false positive, with a reason), recorded against the
    /// bank entry for its curators and audited on the case. A false positive does not unhide the item: the entry's bank
    /// tombstones it (<c>hashes tombstone</c>), and the item stays hidden on this case.
    /// </summary>
    public async Task VoteOnMatchAsync(Actor actor, CaseTarget target, long entry, bool truePositive, string? reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await ChangeAsync(actor, target, "hashbank.vote", async (conn, tx, c) =>
        {
            if (!actor.Has(Roles.HashCurator) || actor.UserId is null)
            {
                throw Forbidden("only a hash curator votes on matches");
            }

            if (string.IsNullOrWhiteSpace(reason) || reason.Length > 500)
            {
                throw new CaseOperationException(CaseProblem.Invalid, "a vote needs a reason (up to 500 characters)");
            }

            await using var cmd = new NpgsqlCommand(
                "INSERT INTO hash_votes (entry_id, verdict, user_id, reason, at) SELECT @e, @v, @u, @r, @now WHERE EXISTS " +
                "(SELECT 1 FROM case_hash_matches WHERE entry_id = @e AND report_id IN (SELECT id FROM reports WHERE case_id = @c))", conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter<long>("e", entry));
            cmd.Parameters.Add(Sql.Text("v", truePositive ? "true-positive" : "false-positive"));
            cmd.Parameters.Add(new NpgsqlParameter("u", NpgsqlDbType.Bigint) { Value = actor.UserId.Value });
            cmd.Parameters.Add(Sql.Text("r", reason.Trim()));
            cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
            cmd.Parameters.Add(Sql.Text("c", c.Id));
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                throw new CaseOperationException(CaseProblem.NotFound, "this case has no match on that entry");
            }

            return ["entry:" + entry.ToString(CultureInfo.InvariantCulture), truePositive ? "true-positive" : "false-positive"];
        }, ct, changesCase: false);
    }

    /// <summary>
    /// Checks that <paramref name="actor"/> may ask a platform to take down what one of the case's platform reports names
    /// (the case's owner or a supervisor of its team) and records the request in the audit trail before it is made.
    /// Answers the platform the report came from.
    /// </summary>
    public async Task<string> AuthorizeTakedownAsync(Actor actor, CaseTarget target, string? reportId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        string? platform = null;
        await ChangeAsync(actor, target, "takedown.request", async (conn, tx, c) =>
        {
            if (c.OwnerId != actor.UserId && !Supervises(actor, c.TeamId))
            {
                throw Forbidden("only the case's owner or a supervisor of its team asks a platform to take content down");
            }

            await using var cmd = new NpgsqlCommand("SELECT channel_instance FROM reports WHERE id = @r AND case_id = @c AND envelope ->> 'channel' = 'platform'", conn, tx);
            cmd.Parameters.Add(Sql.Text("r", reportId ?? string.Empty));
            cmd.Parameters.Add(Sql.Text("c", c.Id));
            platform = await cmd.ExecuteScalarAsync(ct) as string
                ?? throw new CaseOperationException(CaseProblem.NotFound, "this case has no such platform report");
            return ["report:" + reportId, "platform:" + platform];
        }, ct, changesCase: false);
        return platform!;
    }
}
