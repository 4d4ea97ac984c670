using System.Globalization;
using System.Text.Json;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Functions.Cases.Database;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases;

/// <summary>What <c>GET /cases</c> asks for; every part optional. <see cref="Search"/> is already resolved to one kind.</summary>
public sealed record CaseQuery
{
    public IReadOnlyList<CaseStatus> Statuses { get; init; } = [];

    public string? Urgency { get; init; }

    public string? Team { get; init; }

    public string? Province { get; init; }

    public string? Channel { get; init; }

    public string? Category { get; init; }

    public long? OwnerId { get; init; }

    public bool OverdueOnly { get; init; }

    public CaseSearch? Search { get; init; }

    public string? After { get; init; }

    public int Limit { get; init; } = 50;
}

/// <summary>A search term, by kind: a report's reference code, a URL a report names, or a reporter's pseudonym (from a phone number).</summary>
public sealed record CaseSearch(CaseSearchKind Kind, string Value);

public enum CaseSearchKind
{
    ReferenceCode,
    Url,
    Pseudonym,
}

/// <summary>A page of the change feed: the cases changed since the caller's cursor, and the cursor to ask with next.</summary>
public sealed record CaseChanges(IReadOnlyList<CaseSummary> Cases, string Cursor, bool More);

/// <summary>Which protected item of a case is asked for.</summary>
public enum ProtectedKind
{
    /// <summary>The latest conversation transcript (the most complete one).</summary>
    Transcript,

    /// <summary>The n-th call recording (1-based, in the order the reports arrived).</summary>
    Recording,

    /// <summary>The n-th evidence item of any kind (1-based), as the case's detail lists them.</summary>
    Evidence,
}


/// <summary>Where a case's chatbot conversation lives: its channel type, instance and storage key (a pseudonym).</summary>
public sealed record CaseConversation(string CaseId, string ChannelType, string Instance, string Key);

/// <summary>One evidence item of a case as the detail lists it: where it sits in the case, never its bytes or blob name.</summary>
public sealed record EvidenceItem(int Index, string ReportId, Evidence Evidence);

/// <summary>The operator API's reads: the queue across teams, the change feed, protected content and the case's audit.</summary>
public sealed partial class CaseService
{
    /// <summary>Whether <paramref name="actor"/> sees every case: administrators (at the server console) and the central 111 team's counsellors and supervisors.</summary>
    public static bool SeesAll(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Has(Roles.Admin) || (actor.In(PostgresCaseStore.CentralTeam) && (actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor)));
    }

    /// <summary>
    /// The queue as the actor may see it, in working order (urgency, then oldest first), keyset-paged. Without a
    /// status filter, every case not closed. Scope is part of the query, so a page is never short because of it.
    /// </summary>
    public async Task<IReadOnlyList<CaseSummary>> ListAsync(Actor actor, CaseQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(query);
        var (rank, received, id) = ParseCursor(query.After);
        var where = new List<string> { "(c.queue_rank, c.received_at, c.id) > (@rank, @received, @id)" };
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand();
        cmd.Parameters.Add(new NpgsqlParameter<short>("rank", rank));
        cmd.Parameters.Add(Sql.Ts("received", received));
        cmd.Parameters.Add(Sql.Text("id", id));
        cmd.Parameters.Add(new NpgsqlParameter<int>("n", Math.Clamp(query.Limit, 1, 200)));
        void Filter(string clause, string name, string? value)
        {
            if (value is not null)
            {
                where.Add(clause);
                cmd.Parameters.Add(Sql.Text(name, value));
            }
        }

        AddScope(actor, where, cmd);
        if (query.Statuses.Count == 0)
        {
            where.Add("c.status <> 'closed'");
        }
        else
        {
            where.Add("c.status = ANY(@statuses)");
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("statuses", query.Statuses.Select(CaseLifecycle.Name).ToArray()));
        }

        Filter("c.urgency = @urgency", "urgency", query.Urgency);
        Filter("c.team_id = @team", "team", query.Team);
        Filter("c.province_code = @province", "province", query.Province);
        Filter("c.channel = @channel", "channel", query.Channel);
        Filter("@category = ANY(c.categories)", "category", query.Category);
        if (query.OwnerId is { } owner)
        {
            where.Add("c.owner_id = @owner");
            cmd.Parameters.Add(new NpgsqlParameter<long>("owner", owner));
        }

        if (query.OverdueOnly)
        {
            where.Add("c.status <> 'closed' AND ((c.first_response_at IS NULL AND c.first_response_due < @now) OR (c.intervention_due IS NOT NULL AND c.intervention_done_at IS NULL AND c.intervention_due < @now))");
            cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        }

        switch (query.Search)
        {
            case { Kind: CaseSearchKind.ReferenceCode } s:
                Filter("c.id IN (SELECT case_id FROM reports WHERE reference_code = @code)", "code", s.Value);
                break;
            case { Kind: CaseSearchKind.Url } s:
                where.Add("c.id IN (SELECT case_id FROM reports WHERE envelope -> 'incident' -> 'urls' @> @url)");
                cmd.Parameters.Add(new NpgsqlParameter("url", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(new[] { s.Value }) });
                break;
            case { Kind: CaseSearchKind.Pseudonym } s:
                Filter("c.reporter_pseudonym = @pseudonym", "pseudonym", s.Value);
                break;
        }

        cmd.CommandText = $"SELECT {SummaryColumns} FROM cases c WHERE {string.Join(" AND ", where)} ORDER BY c.queue_rank, c.received_at, c.id LIMIT @n";
        return await ReadSummariesAsync(cmd, ct);
    }

    /// <summary>
    /// The cases in the actor's scope changed since <paramref name="cursor"/> (null: none, just the cursor of now).
    /// Only changes by transactions older than every transaction still running are given, so one that commits
    /// late is given on a later call rather than skipped (<c>V003__console_api.sql</c>).
    /// </summary>
    public async Task<CaseChanges> ChangesAsync(Actor actor, string? cursor, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var (xid, afterId) = cursor is null ? (ulong.MaxValue, string.Empty) : ParseChangeCursor(cursor);
        var where = new List<string> { "(c.change_xid, c.id) > (@x::xid8, @id)", "c.change_xid < h.xmin" };
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand();
        cmd.Parameters.Add(Sql.Text("x", xid.ToString(CultureInfo.InvariantCulture)));
        cmd.Parameters.Add(Sql.Text("id", afterId));
        var n = Math.Clamp(limit, 1, 500);
        cmd.Parameters.Add(new NpgsqlParameter<int>("n", n + 1));
        AddScope(actor, where, cmd);

        // One statement, one snapshot: the horizon and the rows below it are read together.
        cmd.CommandText =
            "WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) " +
            $"SELECT h.xmin::text, s.* FROM h LEFT JOIN LATERAL (SELECT {SummaryColumns}, c.change_xid::text AS change FROM cases c " +
            $"WHERE {string.Join(" AND ", where)} ORDER BY c.change_xid, c.id LIMIT @n) s ON true";
        var rows = new List<CaseSummary>();
        string horizon = "0";
        string? lastXid = null;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                horizon = r.GetString(0);
                if (!r.IsDBNull(1) && rows.Count < n)
                {
                    rows.Add(ReadSummary(r, 1));
                    lastXid = r.GetString(18);
                }
                else if (!r.IsDBNull(1))
                {
                    return new CaseChanges(rows, lastXid + "." + rows[^1].Id, true);
                }
            }
        }

        // Caught up: every change below the horizon has been given, so the next call starts there.
        var next = ulong.Parse(horizon, CultureInfo.InvariantCulture);
        return cursor is null || next > xid ? new CaseChanges(rows, horizon + ".", false) : new CaseChanges(rows, cursor, false);
    }

    /// <summary>
    /// A case's protected item (a transcript, a recording, an evidence file): who asked is written to the audit
    /// trail and committed before the caller may fetch a byte. Counsellors and supervisors who see the case only;
    /// liaisons get shared evidence through referrals, administrators and analysts never.
    /// </summary>
    public async Task<EvidenceItem> OpenProtectedAsync(Actor actor, CaseTarget target, ProtectedKind kind, int n, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        EvidenceItem? found = null;
        await ChangeAsync(actor, target, "content.read", async (conn, tx, c) =>
        {
            if (!(actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor)) || actor.UserId is null)
            {
                throw Forbidden("only counsellors and supervisors read a case's protected content");
            }

            var items = await EvidenceOfAsync(conn, tx, c.Id, ct);
            found = kind switch
            {
                ProtectedKind.Transcript => items.LastOrDefault(i => i.Evidence.Kind == "transcript"),
                ProtectedKind.Recording => items.Where(i => i.Evidence.Kind == "audio").ElementAtOrDefault(n - 1),
                _ => items.ElementAtOrDefault(n - 1),
            };
            if (found?.Evidence is not { Blob: not null, Sha256: not null })
            {
                throw new CaseOperationException(CaseProblem.NotFound, found is null ? $"this case has no such {Name(kind)}" : $"this {Name(kind)} is not held by the hub ({found.Evidence.Error ?? found.Evidence.HeldBy ?? "no content"})");
            }

            await RefuseKnownMaterialAsync(conn, tx, found, ct);

            return [$"{Name(kind)}:{found.Index.ToString(CultureInfo.InvariantCulture)}", "sha256:" + found.Evidence.Sha256];
        }, ct, changesCase: false);
        return found!;
    }

    /// <summary>The reporter's contact (sealed in the report), unsealed for the case's owner or a supervisor of its team: an audited read.</summary>
    public async Task<string> RevealContactAsync(Actor actor, CaseTarget target, Func<string, string> unseal, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(unseal);
        string? contact = null;
        await ChangeAsync(actor, target, "contact.reveal", async (conn, tx, c) =>
        {
            if (c.OwnerId != actor.UserId && !Supervises(actor, c.TeamId))
            {
                throw Forbidden("only the case's owner or a supervisor of its team sees the reporter's contact");
            }

            await using var cmd = new NpgsqlCommand("SELECT envelope -> 'reporter' ->> 'contactRef' FROM reports WHERE case_id = @c AND envelope -> 'reporter' ? 'contactRef' ORDER BY id DESC LIMIT 1", conn, tx);
            cmd.Parameters.Add(Sql.Text("c", c.Id));
            var sealedContact = await cmd.ExecuteScalarAsync(ct) as string
                ?? throw new CaseOperationException(CaseProblem.Conflict, "this case's reporter left no contact");
            contact = unseal(sealedContact);
            return ["reporter.contact"];
        }, ct, changesCase: false);
        return contact!;
    }

    /// <summary>
    /// The chatbot conversation a case came from (its latest Zalo or Messenger report that names one), for its owner
    /// or a supervisor of its team: reading it, replying in it and releasing it are each audited before they happen.
    /// </summary>
    public async Task<CaseConversation> OpenConversationAsync(Actor actor, CaseTarget target, string auditAction, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        CaseConversation? found = null;
        await ChangeAsync(actor, target, auditAction, async (conn, tx, c) =>
        {
            found = await ConversationOfAsync(conn, tx, actor, c.Id, c.OwnerId, c.TeamId, ct);
            return ["conversation"];
        }, ct, changesCase: false);
        return found!;
    }

    /// <summary>
    /// Where a case's conversation is, under the same rules as <see cref="OpenConversationAsync"/> but without an
    /// audit row: for checking whether anything new was said before the content is read (and audited) again.
    /// </summary>
    public async Task<CaseConversation> LocateConversationAsync(Actor actor, string caseIdOrCode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var c = await VisibleAsync(conn, tx, actor, caseIdOrCode, ct);
        var found = await ConversationOfAsync(conn, tx, actor, c.Id, c.OwnerId, c.TeamId, ct);
        await tx.CommitAsync(ct);
        return found;
    }

    private static async Task<CaseConversation> ConversationOfAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor, string caseId, long? ownerId, string teamId, CancellationToken ct)
    {
        if (!(actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor)) || (ownerId != actor.UserId && !Supervises(actor, teamId) && !(actor.Has(Roles.Supervisor) && actor.In(PostgresCaseStore.CentralTeam))))
        {
            throw Forbidden("only the case's owner or a supervisor talks with the child: claim the case first");
        }

        await using var cmd = new NpgsqlCommand(
            "SELECT envelope ->> 'channel', envelope ->> 'channelInstance', envelope -> 'source' ->> 'conversationId' FROM reports " +
            "WHERE case_id = @c AND envelope ->> 'channel' IN ('messenger', 'zalo') AND envelope -> 'source' ? 'conversationId' ORDER BY id DESC LIMIT 1", conn, tx);
        cmd.Parameters.Add(Sql.Text("c", caseId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new CaseConversation(caseId, r.GetString(0), r.GetString(1), r.GetString(2))
            : throw new CaseOperationException(CaseProblem.NotFound, "no such conversation: this case did not come from a chatbot");
    }

    /// <summary>
    /// A counsellor or supervisor of the owning team corrects the case's categories, urgency or province, with a
    /// reason. Urgency moves the queue rank (not past a reporter block's) and the first-response clock, counted
    /// from receipt; a case becoming immediate gets Decree 56's 12-hour clock, and a 12-hour clock once started is
    /// not stopped by a reclassification. From then on the report's revisions no longer change these three.
    /// Nothing is re-routed: the team stays (routing proposals come with referrals).
    /// </summary>
    public Task<int> ClassifyAsync(Actor actor, CaseTarget target, IReadOnlyList<string>? categories, string? urgency, string? province, string reason, CancellationToken ct)
    {
        Required(reason, "a reason");
        if (categories is null && urgency is null && province is null)
        {
            throw new CaseOperationException(CaseProblem.Invalid, "name categories, an urgency or a province");
        }

        if (categories is not null && (categories.Count == 0 || categories.Any(c => !Hub.Core.Taxonomy.Categories.IsValid(c))))
        {
            throw new CaseOperationException(CaseProblem.Invalid, "categories are one or more codes of the taxonomy (GET /taxonomy)");
        }

        if (urgency is not null and not (Hub.Core.Envelope.Urgencies.Immediate or Hub.Core.Envelope.Urgencies.High or Hub.Core.Envelope.Urgencies.Normal or Hub.Core.Envelope.Urgencies.Low))
        {
            throw new CaseOperationException(CaseProblem.Invalid, "urgency is immediate, high, normal or low");
        }

        if (province is not null && Hub.Core.Taxonomy.Provinces.ByCodeOrNull(province) is null)
        {
            throw new CaseOperationException(CaseProblem.Invalid, "province is the code of one of the 34 provinces");
        }

        var clock = options?.Value.Cases.Clock ?? new CaseClockOptions();
        return ChangeAsync(actor, target, "case.classify", async (conn, tx, c) =>
        {
            if (!Works(actor, c.TeamId))
            {
                throw Forbidden("only a counsellor or supervisor of the owning team classifies its cases");
            }

            await using var cmd = new NpgsqlCommand(
                "UPDATE cases SET categories = COALESCE(@categories, categories), province_code = COALESCE(@province, province_code), urgency = COALESCE(@urgency, urgency), " +
                "queue_rank = CASE WHEN @urgency IS NULL OR low_priority_reason IS NOT NULL THEN queue_rank ELSE @rank END, " +
                "first_response_due = CASE WHEN @urgency IS NULL THEN first_response_due ELSE @first_due END, " +
                "intervention_due = COALESCE(intervention_due, @intervention_due), classified_at = @now " +
                "WHERE id = @id RETURNING province_code, categories, channel, urgency", conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter("categories", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)categories?.ToArray() ?? DBNull.Value });
            cmd.Parameters.Add(Sql.Text("province", province));
            cmd.Parameters.Add(Sql.Text("urgency", urgency));
            cmd.Parameters.Add(new NpgsqlParameter<short>("rank", CaseClock.Rank(urgency ?? Hub.Core.Envelope.Urgencies.Normal)));
            var (received, before) = await ClockBaseAsync(conn, tx, c.Id, ct);
            cmd.Parameters.Add(Sql.Ts("first_due", CaseClock.FirstResponseDue(received, urgency ?? Hub.Core.Envelope.Urgencies.Normal, clock)));
            cmd.Parameters.Add(new NpgsqlParameter("intervention_due", NpgsqlDbType.TimestampTz) { Value = (object?)(urgency is null ? null : CaseClock.InterventionDue(received, urgency, clock)?.ToUniversalTime()) ?? DBNull.Value });
            cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
            cmd.Parameters.Add(Sql.Text("id", c.Id));
            Hub.Core.Routing.RoutingInput stands;
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                stands = new(r.IsDBNull(0) ? null : r.GetString(0), r.GetFieldValue<string[]>(1), r.GetString(2), r.GetString(3));
            }

            // Routing runs again on what the case now says; its proposal is recorded and shown, the team is not changed
            // (moving a case is a transfer, which the receiving team accepts).
            var routing = await RerouteAsync(conn, tx, c.Id, stands, ct);
            var what = string.Join("; ", new[]
            {
                categories is null ? null : "categories " + string.Join(",", categories),
                urgency is null ? null : $"urgency {before} → {urgency}",
                province is null ? null : "province " + province,
                Database.PostgresCaseStore.Describe(routing) + (routing.Team == c.TeamId ? string.Empty : $" (proposes team {routing.Team}; the case stays with {c.TeamId} unless transferred)"),
            }.Where(x => x is not null));
            await HistoryAsync(conn, tx, c.Id, actor, "reclassified", c.Status, c.Status, c.OwnerId, c.OwnerId, c.TeamId, c.TeamId, what + ": " + reason, ct);
            return [.. new[] { categories is null ? null : "categories", urgency is null ? null : "urgency", province is null ? null : "province_code", "proposed_referrals" }.OfType<string>()];
        }, ct);
    }

    /// <summary>The routing decision for the case as it now stands (<paramref name="input"/>, as the update returned it), its proposal stored (docs/routing.md).</summary>
    private async Task<Hub.Core.Routing.RoutingDecision> RerouteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string caseId, Hub.Core.Routing.RoutingInput input, CancellationToken ct)
    {
        var decision = Hub.Core.Routing.Router.Decide(options?.Value.Routing.Effective ?? Hub.Core.Routing.Router.Defaults, input);
        await using var update = new NpgsqlCommand("UPDATE cases SET proposed_referrals = @proposed WHERE id = @id", conn, tx);
        update.Parameters.Add(new NpgsqlParameter<string[]>("proposed", decision.ProposedReferrals.ToArray()));
        update.Parameters.Add(Sql.Text("id", caseId));
        await update.ExecuteNonQueryAsync(ct);
        return decision;
    }

    private static async Task<(DateTimeOffset ReceivedAt, string Urgency)> ClockBaseAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string caseId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT received_at, urgency FROM cases WHERE id = @id", conn, tx);
        cmd.Parameters.Add(Sql.Text("id", caseId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (r.GetFieldValue<DateTimeOffset>(0), r.GetString(1));
    }

    /// <summary>
    /// Cases that may belong with this one, in the actor's scope: the same reporter (by pseudonym) or a URL one of its
    /// reports names, newest first, not already linked. Suggestions only: linking is the operator's decision.
    /// </summary>
    public async Task<IReadOnlyList<CaseSummary>> RelatedAsync(Actor actor, string caseIdOrCode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var c = await VisibleAsync(conn, tx, actor, caseIdOrCode, ct);

        // The candidates first, each by its own index (cases_reporter; reports_urls, one probe per URL of this case),
        // then scope and order on that small set. An OR of the two in one WHERE would walk the whole table instead.
        // A URL in thousands of reports (a platform's home page) adds at most 1,000 of them.
        var where = new List<string>
        {
            "c.id <> @id",
            "c.id NOT IN (SELECT other_case_id FROM case_links WHERE case_id = @id UNION SELECT case_id FROM case_links WHERE other_case_id = @id)",
        };
        await using var cmd = new NpgsqlCommand(string.Empty, conn, tx);
        cmd.Parameters.Add(Sql.Text("id", c.Id));
        cmd.Parameters.Add(Sql.Text("p", c.Pseudonym));
        AddScope(actor, where, cmd);
        // ARRAY(...) is evaluated first, so the cases are then fetched by primary key; a join on a CTE would be
        // planned from a guess of its size (100,000) and walk the whole table.
        cmd.CommandText =
            "SELECT " + SummaryColumns + " FROM cases c WHERE c.id = ANY(ARRAY(" +
            "WITH mine AS (SELECT DISTINCT u FROM reports, jsonb_array_elements(envelope -> 'incident' -> 'urls') AS u WHERE case_id = @id) " +
            "SELECT x.id FROM cases x WHERE x.reporter_pseudonym = @p " +
            "UNION SELECT r.case_id FROM mine CROSS JOIN LATERAL (SELECT case_id FROM reports WHERE envelope -> 'incident' -> 'urls' @> jsonb_build_array(mine.u) LIMIT 1000) r)) " +
            $"AND {string.Join(" AND ", where)} ORDER BY c.received_at DESC, c.id LIMIT 20";
        var rows = await ReadSummariesAsync(cmd, ct);
        await tx.CommitAsync(ct);
        return rows;
    }

    /// <summary>For a supervisor: each person's open cases (and how many are past a clock) in their teams, or one of them.</summary>
    public async Task<IReadOnlyList<Workload>> WorkloadAsync(Actor actor, string? teamId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var teams = teamId is null ? actor.Teams.ToArray() : actor.In(teamId) || SeesAll(actor) ? [teamId] : throw new CaseOperationException(CaseProblem.NotFound, "no such team among yours");
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(
            "SELECT c.team_id, u.login, u.display_name, count(*)::int, count(*) FILTER (WHERE (c.first_response_at IS NULL AND c.first_response_due < @now) " +
            "OR (c.intervention_due IS NOT NULL AND c.intervention_done_at IS NULL AND c.intervention_due < @now))::int " +
            "FROM cases c JOIN users u ON u.id = c.owner_id WHERE c.status <> 'closed' AND c.team_id = ANY(@teams) GROUP BY c.team_id, u.login, u.display_name ORDER BY c.team_id, 4 DESC, u.login");
        cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("teams", teams));
        var list = new List<Workload>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new Workload(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4)));
        }

        return list;
    }

    /// <summary>The evidence of every report of a case, numbered from 1 in the order the reports arrived.</summary>
    public static IReadOnlyList<EvidenceItem> NumberEvidence(IEnumerable<(string ReportId, ReportEnvelope Envelope)> reports)
    {
        var list = new List<EvidenceItem>();
        foreach (var (reportId, envelope) in reports)
        {
            foreach (var e in envelope.Evidence)
            {
                list.Add(new EvidenceItem(list.Count + 1, reportId, e));
            }
        }

        return list;
    }

    /// <summary>A case's audit rows, for a supervisor of its team (or the central team): 404 outside scope like every case read.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AuditOfAsync(Actor actor, string caseIdOrCode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        string caseId;
        await using (var conn = await source.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            var c = await VisibleAsync(conn, tx, actor, caseIdOrCode, ct);

            if (!(actor.Has(Roles.Supervisor) && (actor.In(c.TeamId) || actor.In(PostgresCaseStore.CentralTeam))))
            {
                throw Forbidden("only a supervisor of the case's team reads its audit trail");
            }

            await audit.AppendAsync(conn, tx, actor.UserId, "audit.view", c.Id, ["audit"], actor.Source, ct);
            await tx.CommitAsync(ct);
            caseId = c.Id;
        }

        return await audit.ForCaseAsync(caseId, ct);
    }

    /// <summary>
    /// Known abuse material is never served, to anyone (docs/hash-bank.md#matching): the case shows its hashes and
    /// metadata only. The refusal answers like an absent item (404), with the reason in words.
    /// </summary>
    internal static async Task RefuseKnownMaterialAsync(NpgsqlConnection conn, NpgsqlTransaction tx, EvidenceItem item, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM case_hash_matches WHERE report_id = @r AND evidence_sha256 = @s)", conn, tx);
        cmd.Parameters.Add(Sql.Text("r", item.ReportId));
        cmd.Parameters.Add(Sql.Text("s", item.Evidence.Sha256));
        if ((bool)(await cmd.ExecuteScalarAsync(ct))!)
        {
            throw new CaseOperationException(CaseProblem.NotFound, "this evidence matched known child-abuse material in a hash bank: it is never shown, only its hashes");
        }
    }

    private static async Task<IReadOnlyList<EvidenceItem>> EvidenceOfAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string caseId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT id, envelope::text FROM reports WHERE case_id = @c ORDER BY id", conn, tx);
        cmd.Parameters.Add(Sql.Text("c", caseId));
        var reports = new List<(string, ReportEnvelope)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (ReadEnvelope(r.GetString(1)) is { } envelope)
            {
                reports.Add((r.GetString(0), envelope));
            }
        }

        return NumberEvidence(reports);
    }

    /// <summary>
    /// A stored report's envelope, or null when it no longer reads as <c>hub.report/v1</c> (a future schema, a damaged
    /// row): the case stays workable and the detail names the report it could not show, instead of failing whole.
    /// </summary>
    public static ReportEnvelope? ReadEnvelope(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, HubJsonContext.Default.ReportEnvelope);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void AddScope(Actor actor, List<string> where, NpgsqlCommand cmd)
    {
        if (SeesAll(actor))
        {
            return;
        }

        var works = actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) || actor.Has(Roles.Liaison);
        where.Add(works ? "(c.team_id = ANY(@teams) OR c.transfer_to = ANY(@teams))" : "false");
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("teams", actor.Teams.ToArray()));
    }

    private static (ulong Xid, string Id) ParseChangeCursor(string cursor)
    {
        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && ulong.TryParse(cursor.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var xid) && cursor.Length - dot <= 40
            ? (xid, cursor[(dot + 1)..])
            : throw new CaseOperationException(CaseProblem.Invalid, "not an events cursor");
    }

    private static string Name(ProtectedKind kind) => kind switch
    {
        ProtectedKind.Transcript => "transcript",
        ProtectedKind.Recording => "recording",
        _ => "evidence",
    };
}
