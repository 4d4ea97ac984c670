using System.Globalization;
using Hub.Core.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases;

/// <summary>One row of a team's queue or of the overdue list: no report content (the detail is an audited read).</summary>
public sealed record CaseSummary(
    string Id,
    string ReferenceCode,
    string Channel,
    string Urgency,
    short QueueRank,
    CaseStatus Status,
    string TeamId,
    long? OwnerId,
    IReadOnlyList<string> Categories,
    string? ProvinceCode,
    DateTimeOffset ReceivedAt,
    DateTimeOffset FirstResponseDue,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? InterventionDue,
    string? LowPriorityReason,
    string? TransferTo,
    int Version)
{
    public bool FirstResponseOverdue(DateTimeOffset now) => Status != CaseStatus.Closed && CaseClock.IsOverdue(FirstResponseDue, FirstResponseAt, now);

    public bool InterventionOverdue(DateTimeOffset now) => Status != CaseStatus.Closed && CaseClock.IsOverdue(InterventionDue, null, now);
}

public sealed record CaseDetail(
    CaseRecord Case,
    CaseSummary Summary,
    string? CloseReason,
    IReadOnlyList<CaseEvent> History,
    IReadOnlyList<CaseNote> Notes,
    IReadOnlyList<CaseLink> Links,
    IReadOnlyList<CallbackTask> Callbacks,
    int EarlierReportsBySameReporter,
    int EarlierCasesBySameReporter,
    IReadOnlyList<(string Id, string Envelope)> Reports,
    IReadOnlyDictionary<long, string> UserNames,
    IReadOnlyList<SmsReplyRow> SmsReplies,
    Hub.Core.Cases.RoutingView Routing,
    IReadOnlyList<ReferralRow> Referrals,
    IReadOnlyList<Hub.Core.Cases.KnownMaterialView> KnownMaterial);

public sealed record NoteAdded(long Id, int Version);

/// <summary>
/// The case an operation acts on — its id or a report's reference code — and, from an API's <c>If-Match</c>, the
/// version the caller last read: a change to a case that has moved on since is refused (412), never applied blindly.
/// </summary>
public readonly record struct CaseTarget(string Key, int? IfVersion = null)
{
    public static implicit operator CaseTarget(string key) => new(key);

    public static CaseTarget FromString(string key) => new(key);
}

/// <summary>
/// The case service: every change to a case, each checked against <see cref="CaseLifecycle"/> and the actor's role
/// and team, done in one transaction with the case row locked, its history row and its audit row (all or nothing).
/// Reads of a case's detail or protected content are audited the same way. Nothing here trusts a UI.
/// </summary>
public sealed partial class CaseService(CaseDatabase database, AuditLog audit, TimeProvider time, Microsoft.Extensions.Options.IOptions<HubOptions>? options = null)
{
    private const string SummaryColumns =
        "c.id, c.reference_code, c.channel, c.urgency, c.queue_rank, c.status, c.team_id, c.owner_id, c.categories, c.province_code, " +
        "c.received_at, c.first_response_due, c.first_response_at, c.intervention_due, c.low_priority_reason, c.transfer_to, c.version";

    public static readonly IReadOnlyDictionary<string, TimeSpan> BlockDurations = new Dictionary<string, TimeSpan>(StringComparer.Ordinal)
    {
        ["24h"] = TimeSpan.FromHours(24),
        ["30d"] = TimeSpan.FromDays(30),
        ["1y"] = TimeSpan.FromDays(365),
    };

    private sealed record Locked(string Id, CaseStatus Status, string TeamId, long? OwnerId, string? TransferTo, string? Pseudonym, int Version);

    // ---- who may see and do what ----

    /// <summary>
    /// Scope: the central 111 team and administrators see every case (111 is the one national point of contact); anyone
    /// else sees their teams' cases and those offered to their team. Analysts see statistics, not cases.
    /// </summary>
    public static bool CanSee(Actor actor, string teamId, string? transferTo)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Has(Roles.Admin) || (actor.In(PostgresCaseStore.CentralTeam) && (actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor))))
        {
            return true;
        }

        var works = actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) || actor.Has(Roles.Liaison);
        return works && (actor.In(teamId) || (transferTo is not null && actor.In(transferTo)));
    }

    private static bool Works(Actor a, string team) => a.In(team) && (a.Has(Roles.Counsellor) || a.Has(Roles.Supervisor));

    private static bool Supervises(Actor a, string team) => a.In(team) && a.Has(Roles.Supervisor);

    // ---- changes ----

    /// <summary>Takes a case from the team's queue: the actor becomes its owner and its first response is recorded.</summary>
    public Task<int> ClaimAsync(Actor actor, CaseTarget caseId, CancellationToken ct) =>
        MoveAsync(actor, caseId, CaseAction.Claim, null, (c, _) => Works(actor, c.TeamId) ? null : "only a counsellor or supervisor of the owning team claims its cases", (_, _) => actor.UserId, null, ct);

    /// <summary>A supervisor gives the case to a counsellor or supervisor of its team.</summary>
    public async Task<int> AssignAsync(Actor actor, CaseTarget caseId, string toLogin, string? reason, CancellationToken ct)
    {
        var target = await UserInTeamAsync(toLogin, ct);
        return await MoveAsync(actor, caseId, CaseAction.Assign, reason,
            (c, _) => !Supervises(actor, c.TeamId) ? "only a supervisor of the owning team assigns its cases"
                : !target.Teams.Contains(c.TeamId) || !(target.Roles.Contains(Roles.Counsellor) || target.Roles.Contains(Roles.Supervisor)) ? $"'{toLogin}' is not a counsellor or supervisor of {c.TeamId}"
                : !target.Active ? $"'{toLogin}' is disabled" : null,
            (_, _) => target.Id,
            null,
            ct);
    }

    /// <summary>The owner (or a supervisor) gives the case back to the team's queue.</summary>
    public Task<int> ReleaseAsync(Actor actor, CaseTarget caseId, string reason, CancellationToken ct) =>
        MoveAsync(actor, caseId, CaseAction.Release, Required(reason, "a reason"), (c, _) => c.OwnerId == actor.UserId || Supervises(actor, c.TeamId) ? null : "only the owner or a supervisor releases a case", (_, _) => null, null, ct);

    public Task<int> CloseAsync(Actor actor, CaseTarget caseId, CloseReason reason, string? note, CancellationToken ct) =>
        MoveAsync(actor, caseId, CaseAction.Close, note,
            (c, _) => c.Status == CaseStatus.Referred ? throw new CaseOperationException(CaseProblem.Conflict, "the case has open referrals: wait for their outcome or revoke them before closing it")
                : c.OwnerId == actor.UserId || Supervises(actor, c.TeamId) ? null : "only the owner or a supervisor closes a case",
            (c, _) => c.OwnerId,
            CaseLifecycle.Name(reason),
            ct);

    /// <summary>A closed case opened again goes back to its team's queue until someone claims it.</summary>
    public Task<int> ReopenAsync(Actor actor, CaseTarget caseId, string reason, CancellationToken ct) =>
        MoveAsync(actor, caseId, CaseAction.Reopen, Required(reason, "a reason"), (c, _) => Works(actor, c.TeamId) ? null : "only a counsellor or supervisor of the owning team reopens a case", (_, _) => null, null, ct);

    /// <summary>Offers the case to another team; it keeps its team and owner until that team accepts.</summary>
    public async Task<int> RequestTransferAsync(Actor actor, CaseTarget caseId, string toTeam, string reason, CancellationToken ct)
    {
        Required(reason, "a reason");
        return await ChangeAsync(actor, caseId, "transfer.request", async (conn, tx, c) =>
        {
            if (c.OwnerId != actor.UserId && !Supervises(actor, c.TeamId))
            {
                throw Forbidden("only the owner or a supervisor transfers a case");
            }

            if (toTeam == c.TeamId || !await TeamExistsAsync(conn, tx, toTeam, ct))
            {
                throw new CaseOperationException(CaseProblem.Invalid, $"'{toTeam}' is not another team");
            }

            if (c.Status == CaseStatus.Closed || c.TransferTo is not null)
            {
                throw new CaseOperationException(CaseProblem.Conflict, c.TransferTo is null ? "a closed case is not transferred" : $"already offered to {c.TransferTo}");
            }

            await Sql.ExecAsync(conn, tx, "UPDATE cases SET transfer_to = @t WHERE id = @id", ct, ("t", toTeam), ("id", c.Id));
            await HistoryAsync(conn, tx, c.Id, actor, "transfer-requested", c.Status, c.Status, c.OwnerId, c.OwnerId, c.TeamId, toTeam, reason, ct);
            return ["transfer_to"];
        }, ct);
    }

    /// <summary>The receiving team takes the case: it joins that team's queue with no personal owner.</summary>
    public Task<int> AcceptTransferAsync(Actor actor, CaseTarget caseId, CancellationToken ct) =>
        ChangeAsync(actor, caseId, "transfer.accept", async (conn, tx, c) =>
        {
            if (c.TransferTo is null)
            {
                throw new CaseOperationException(CaseProblem.Conflict, "no transfer is pending");
            }

            if (!(actor.In(c.TransferTo) && (actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) || actor.Has(Roles.Liaison))))
            {
                throw Forbidden($"only a member of {c.TransferTo} accepts this transfer");
            }

            var to = c.Status == CaseStatus.Closed ? c.Status : CaseStatus.New;
            await Sql.ExecAsync(conn, tx, "UPDATE cases SET team_id = transfer_to, transfer_to = NULL, owner_id = NULL, status = @s WHERE id = @id", ct, ("s", CaseLifecycle.Name(to)), ("id", c.Id));
            await HistoryAsync(conn, tx, c.Id, actor, "transfer-accepted", c.Status, to, c.OwnerId, null, c.TeamId, c.TransferTo, null, ct);
            return ["team_id", "owner_id", "status"];
        }, ct);

    public Task<int> RejectTransferAsync(Actor actor, CaseTarget caseId, string reason, CancellationToken ct) =>
        ChangeAsync(actor, caseId, "transfer.reject", async (conn, tx, c) =>
        {
            Required(reason, "a reason");
            if (c.TransferTo is null)
            {
                throw new CaseOperationException(CaseProblem.Conflict, "no transfer is pending");
            }

            if (!(actor.In(c.TransferTo) && (actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) || actor.Has(Roles.Liaison))))
            {
                throw Forbidden($"only a member of {c.TransferTo} rejects this transfer");
            }

            await Sql.ExecAsync(conn, tx, "UPDATE cases SET transfer_to = NULL WHERE id = @id", ct, ("id", c.Id));
            await HistoryAsync(conn, tx, c.Id, actor, "transfer-rejected", c.Status, c.Status, c.OwnerId, c.OwnerId, c.TeamId, c.TransferTo, reason, ct);
            return ["transfer_to"];
        }, ct);

    /// <summary>Appends a note (notes are never edited: a correction names the note it corrects).</summary>
    public async Task<NoteAdded> AddNoteAsync(Actor actor, CaseTarget caseId, string body, long? corrects, CancellationToken ct)
    {
        Required(body, "a note");
        long id = 0;
        var version = await ChangeAsync(actor, caseId, "note.add", async (conn, tx, c) =>
        {
            if (!(actor.In(c.TeamId) && (actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) || actor.Has(Roles.Liaison))))
            {
                throw Forbidden("only a member of the owning team writes notes");
            }

            await using var cmd = new NpgsqlCommand(
                "INSERT INTO case_notes (case_id, author_id, at, body, corrects) SELECT @c, @a, @at, @b, @k WHERE @k IS NULL OR EXISTS (SELECT 1 FROM case_notes WHERE id = @k AND case_id = @c) RETURNING id", conn, tx);
            cmd.Parameters.Add(Sql.Text("c", c.Id));
            cmd.Parameters.Add(new NpgsqlParameter("a", NpgsqlDbType.Bigint) { Value = (object?)actor.UserId ?? DBNull.Value });
            cmd.Parameters.Add(Sql.Ts("at", time.GetUtcNow()));
            cmd.Parameters.Add(Sql.Text("b", body));
            cmd.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Bigint) { Value = (object?)corrects ?? DBNull.Value });
            id = await cmd.ExecuteScalarAsync(ct) is long n ? n : throw new CaseOperationException(CaseProblem.Invalid, $"note {corrects} is not a note of this case");
            return [corrects is null ? "note" : "note:corrects:" + corrects.Value.ToString(CultureInfo.InvariantCulture)];
        }, ct);
        return new NoteAdded(id, version);
    }

    /// <summary>Links two cases (related, or a duplicate of the other); linking never deletes either.</summary>
    public Task<int> LinkAsync(Actor actor, CaseTarget caseId, string otherCaseId, string kind, string reason, CancellationToken ct) =>
        ChangeAsync(actor, caseId, "case.link", async (conn, tx, c) =>
        {
            Required(reason, "a reason");
            if (kind is not ("related" or "duplicate-of"))
            {
                throw new CaseOperationException(CaseProblem.Invalid, "a link is 'related' or 'duplicate-of'");
            }

            if (!Works(actor, c.TeamId))
            {
                throw Forbidden("only a counsellor or supervisor of the owning team links cases");
            }

            var other = await LockAsync(conn, tx, otherCaseId, forUpdate: false, ct);
            if (other is null || !CanSee(actor, other.TeamId, other.TransferTo) || other.Id == c.Id)
            {
                throw new CaseOperationException(CaseProblem.NotFound, "no such other case");
            }

            await Sql.ExecAsync(conn, tx, "INSERT INTO case_links (case_id, other_case_id, kind, reason, created_by, created_at) VALUES (@c, @o, @k, @r, @u, @at) ON CONFLICT DO NOTHING", ct,
                ("c", c.Id), ("o", other.Id), ("k", kind), ("r", reason), ("u", actor.UserId), ("at", time.GetUtcNow()));
            return ["link:" + kind + ":" + other.Id];
        }, ct);

    /// <summary>
    /// Blocks the case's reporter (by pseudonym: no identity is shown) for 24 hours, 30 days or a year: their next
    /// reports are still stored and still become cases, marked low priority with the reason. A supervisor's decision.
    /// </summary>
    public Task<int> BlockReporterAsync(Actor actor, CaseTarget caseId, string duration, string reason, CancellationToken ct) =>
        ChangeAsync(actor, caseId, "reporter.block", async (conn, tx, c) =>
        {
            Required(reason, "a reason");
            if (!BlockDurations.TryGetValue(duration, out var length))
            {
                throw new CaseOperationException(CaseProblem.Invalid, "a block lasts 24h, 30d or 1y");
            }

            if (!Supervises(actor, c.TeamId))
            {
                throw Forbidden("only a supervisor of the owning team blocks a reporter");
            }

            if (c.Pseudonym is null)
            {
                throw new CaseOperationException(CaseProblem.Conflict, "this case's reporter is anonymous: nothing to block");
            }

            var now = time.GetUtcNow();
            await Sql.ExecAsync(conn, tx, "INSERT INTO reporter_blocks (pseudonym, reason, blocked_by, blocked_at, expires_at) VALUES (@p, @r, @u, @at, @x)", ct,
                ("p", c.Pseudonym), ("r", reason), ("u", actor.UserId), ("at", now), ("x", now + length));
            await HistoryAsync(conn, tx, c.Id, actor, "reporter-blocked", c.Status, c.Status, c.OwnerId, c.OwnerId, c.TeamId, c.TeamId, duration + ": " + reason, ct);
            return ["reporter_blocks"];
        }, ct);

    /// <summary>Reveals a missed call's number to the case's owner or a supervisor: an audited action of its own.</summary>
    public async Task<string> RevealCallbackNumberAsync(Actor actor, long taskId, Func<string, string> unseal, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(unseal);
        var (caseId, contactRef) = await CallbackAsync(taskId, ct);
        string? number = null;
        await ChangeAsync(actor, caseId, "contact.reveal", (_, _, c) =>
        {
            if (c.OwnerId != actor.UserId && !Supervises(actor, c.TeamId))
            {
                throw Forbidden("only the case's owner or a supervisor sees the number to call back");
            }

            number = unseal(contactRef);
            return Task.FromResult<string[]>(["callback:" + taskId.ToString(CultureInfo.InvariantCulture)]);
        }, ct, changesCase: false);
        return number!;
    }

    public async Task CompleteCallbackAsync(Actor actor, long taskId, string outcome, CancellationToken ct)
    {
        Required(outcome, "an outcome");
        var (caseId, _) = await CallbackAsync(taskId, ct);
        await ChangeAsync(actor, caseId, "callback.done", async (conn, tx, c) =>
        {
            if (!Works(actor, c.TeamId))
            {
                throw Forbidden("only a counsellor or supervisor of the owning team completes a call-back");
            }

            var n = await Sql.ExecAsync(conn, tx, "UPDATE callback_tasks SET status = 'done', done_by = @u, done_at = @at, outcome = @o WHERE id = @id AND status = 'open'", ct,
                ("u", actor.UserId), ("at", time.GetUtcNow()), ("o", outcome), ("id", taskId));
            return n == 0 ? throw new CaseOperationException(CaseProblem.Conflict, "this call-back is already done") : ["callback:" + taskId.ToString(CultureInfo.InvariantCulture)];
        }, ct);
    }

    // ---- reads ----

    /// <summary>A case's full record, history, notes, links and call-backs: an audited read.</summary>
    public async Task<CaseDetail> GetDetailAsync(Actor actor, string caseIdOrCode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var c = await VisibleAsync(conn, tx, actor, caseIdOrCode, ct);

        // Everything the detail shows, in one round trip (a batch of reads in the same snapshot).
        await using var batch = new NpgsqlBatch(conn, tx);
        void Add(string sql)
        {
            var cmd = new NpgsqlBatchCommand(sql);
            cmd.Parameters.Add(Sql.Text("id", c.Id));
            cmd.Parameters.Add(Sql.Text("p", c.Pseudonym));
            batch.BatchCommands.Add(cmd);
        }

        Add($"SELECT {PostgresCaseStore.Columns}, {SummaryColumns}, c.close_reason, c.routing_rule, c.proposed_referrals FROM cases c JOIN reports r0 ON r0.id = c.id WHERE c.id = @id");
        Add("SELECT id, at, actor_id, action, from_status, to_status, from_owner, to_owner, from_team, to_team, reason FROM case_history WHERE case_id = @id ORDER BY id");
        Add("SELECT id, author_id, at, body, corrects FROM case_notes WHERE case_id = @id ORDER BY id");
        Add("SELECT other_case_id, kind, reason, created_by, created_at FROM case_links WHERE case_id = @id UNION ALL SELECT case_id, CASE kind WHEN 'duplicate-of' THEN 'duplicated-by' ELSE kind END, reason, created_by, created_at FROM case_links WHERE other_case_id = @id ORDER BY 5");
        Add("SELECT id, case_id, status, created_at, due_at, done_by, done_at, outcome FROM callback_tasks WHERE case_id = @id ORDER BY id");
        Add("SELECT (SELECT count(*) FROM reports r JOIN cases k ON k.id = r.case_id WHERE @p IS NOT NULL AND k.reporter_pseudonym = @p AND r.id < @id)::int, " +
            "(SELECT count(*) FROM cases WHERE @p IS NOT NULL AND reporter_pseudonym = @p AND id < @id)::int");
        Add("SELECT id, envelope::text FROM reports WHERE case_id = @id ORDER BY id");
        Add("SELECT id, display_name FROM users WHERE id IN (SELECT owner_id FROM cases WHERE id = @id UNION SELECT actor_id FROM case_history WHERE case_id = @id " +
            "UNION SELECT from_owner FROM case_history WHERE case_id = @id UNION SELECT author_id FROM case_notes WHERE case_id = @id UNION SELECT author_id FROM sms_replies WHERE case_id = @id " +
            "UNION SELECT sent_by FROM referrals WHERE case_id = @id)");
        Add($"SELECT {SmsColumns} FROM sms_replies WHERE case_id = @id ORDER BY created_at, id");
        Add(CaseReferralsSql);
        Add("SELECT m.report_id, m.evidence_sha256, m.bank, m.classification, m.hash_type, m.distance, m.entry_id, u.display_name FROM case_hash_matches m LEFT JOIN users u ON u.id = m.confirmed_by WHERE m.report_id IN (SELECT id FROM reports WHERE case_id = @id) ORDER BY m.report_id, m.distance, m.entry_id");

        CaseRecord record;
        CaseSummary summary;
        string? closeReason;
        Hub.Core.Cases.RoutingView routing;
        var history = new List<CaseEvent>();
        var notes = new List<CaseNote>();
        var links = new List<CaseLink>();
        var callbacks = new List<CallbackTask>();
        int reports, cases;
        var all = new List<(string, string)>();
        var names = new Dictionary<long, string>();
        var sms = new List<SmsReplyRow>();
        var referrals = new List<ReferralRow>();
        var known = new List<Hub.Core.Cases.KnownMaterialView>();
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            record = PostgresCaseStore.Read(r);
            summary = ReadSummary(r, 17);
            closeReason = r.IsDBNull(34) ? null : r.GetString(34);
            routing = new Hub.Core.Cases.RoutingView(r.IsDBNull(35) ? null : r.GetString(35), r.GetFieldValue<string[]>(36));
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                history.Add(new CaseEvent(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), N64(r, 2), r.GetString(3), S(r, 4), S(r, 5), N64(r, 6), N64(r, 7), S(r, 8), S(r, 9), S(r, 10)));
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                notes.Add(new CaseNote(r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<DateTimeOffset>(2), r.GetString(3), N64(r, 4)));
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                links.Add(new CaseLink(r.GetString(0), r.GetString(1), r.GetString(2), N64(r, 3), r.GetFieldValue<DateTimeOffset>(4)));
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                callbacks.Add(ReadCallback(r));
            }

            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            reports = r.GetInt32(0);
            cases = r.GetInt32(1);
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                all.Add((r.GetString(0), r.GetString(1)));
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                names[r.GetInt64(0)] = r.GetString(1);
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                sms.Add(ReadSmsReply(r));
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                referrals.Add(ReadReferral(r));
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                known.Add(new Hub.Core.Cases.KnownMaterialView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetString(7)));
            }
        }

        await audit.AppendAsync(conn, tx, actor.UserId, "case.view", c.Id, ["case", "reports", "notes", "history"], actor.Source, ct);
        await tx.CommitAsync(ct);
        return new CaseDetail(record, summary, closeReason, history, notes, links, callbacks, reports, cases, all, names, sms, routing, referrals, known);
    }

    /// <summary>
    /// A team's queue in working order (urgency, then oldest first), keyset-paged: pass the last row's
    /// <see cref="Cursor"/> as <paramref name="after"/>. Only cases not closed; <paramref name="statuses"/> narrows it.
    /// </summary>
    public async Task<IReadOnlyList<CaseSummary>> QueueAsync(Actor actor, string teamId, IReadOnlyList<CaseStatus>? statuses, string? after, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!CanSee(actor, teamId, null))
        {
            throw new CaseOperationException(CaseProblem.NotFound, "no such team queue");
        }

        var wanted = (statuses is { Count: > 0 } ? statuses : [CaseStatus.New, CaseStatus.Reopened, CaseStatus.Open, CaseStatus.Referred]).Where(s => s != CaseStatus.Closed).Select(CaseLifecycle.Name).ToArray();
        var (rank, received, id) = ParseCursor(after);
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(
            $"SELECT {SummaryColumns} FROM cases c WHERE c.team_id = @team AND c.status <> 'closed' AND c.status = ANY(@statuses) " +
            "AND (c.queue_rank, c.received_at, c.id) > (@rank, @received, @id) ORDER BY c.queue_rank, c.received_at, c.id LIMIT @n");
        cmd.Parameters.Add(Sql.Text("team", teamId));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("statuses", wanted));
        cmd.Parameters.Add(new NpgsqlParameter<short>("rank", rank));
        cmd.Parameters.Add(Sql.Ts("received", received));
        cmd.Parameters.Add(Sql.Text("id", id));
        cmd.Parameters.Add(new NpgsqlParameter<int>("n", Math.Clamp(limit, 1, 500)));
        return await ReadSummariesAsync(cmd, ct);
    }

    /// <summary>The keyset cursor after <paramref name="row"/> in a queue.</summary>
    public static string Cursor(CaseSummary row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return string.Create(CultureInfo.InvariantCulture, $"{row.QueueRank}.{row.ReceivedAt.UtcTicks}.{row.Id}");
    }

    /// <summary>Cases past a clock (first response not given in time, or the 12-hour intervention not done), most overdue first.</summary>
    public async Task<IReadOnlyList<CaseSummary>> OverdueAsync(Actor actor, string? teamId, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (teamId is not null && !CanSee(actor, teamId, null))
        {
            throw new CaseOperationException(CaseProblem.NotFound, "no such team");
        }

        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(
            $"SELECT {SummaryColumns} FROM cases c WHERE c.status <> 'closed' AND (@team IS NULL OR c.team_id = @team) AND " +
            "((c.first_response_at IS NULL AND c.first_response_due < @now) OR (c.intervention_due IS NOT NULL AND c.intervention_done_at IS NULL AND c.intervention_due < @now) " +
            $"OR EXISTS (SELECT 1 FROM referrals f WHERE f.case_id = c.id AND {EscalatedSql})) " +
            "ORDER BY LEAST(CASE WHEN c.first_response_at IS NULL THEN c.first_response_due END, c.intervention_due, " +
            $"(SELECT min(LEAST(CASE WHEN f.state = 'sent' THEN f.acknowledge_due END, f.intervention_due)) FROM referrals f WHERE f.case_id = c.id AND {EscalatedSql})), c.id LIMIT @n");
        cmd.Parameters.Add(Sql.Text("team", teamId));
        cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        cmd.Parameters.Add(new NpgsqlParameter<int>("n", Math.Clamp(limit, 1, 1000)));
        var rows = await ReadSummariesAsync(cmd, ct);
        return rows.Where(r => CanSee(actor, r.TeamId, r.TransferTo)).ToList();
    }

    /// <summary>For supervisors: how many cases are overdue now, per team and urgency.</summary>
    public async Task<IReadOnlyList<OverdueCount>> OverdueByTeamAsync(CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(
            "SELECT team_id, urgency, count(*) FILTER (WHERE first_response_at IS NULL AND first_response_due < @now)::int, " +
            "count(*) FILTER (WHERE intervention_due IS NOT NULL AND intervention_done_at IS NULL AND intervention_due < @now)::int " +
            "FROM cases WHERE status <> 'closed' AND ((first_response_at IS NULL AND first_response_due < @now) OR (intervention_due IS NOT NULL AND intervention_done_at IS NULL AND intervention_due < @now)) " +
            "GROUP BY team_id, urgency ORDER BY team_id, urgency");
        cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        var list = new List<OverdueCount>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new OverdueCount(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3)));
        }

        return list;
    }

    /// <summary>The open call-back tasks of the actor's teams, soonest due first (no numbers).</summary>
    public async Task<IReadOnlyList<CallbackTask>> OpenCallbacksAsync(Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand("SELECT t.id, t.case_id, t.status, t.created_at, t.due_at, t.done_by, t.done_at, t.outcome, c.team_id, c.transfer_to FROM callback_tasks t JOIN cases c ON c.id = t.case_id WHERE t.status = 'open' ORDER BY t.due_at LIMIT 500");
        var list = new List<CallbackTask>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (CanSee(actor, r.GetString(8), S(r, 9)))
            {
                list.Add(ReadCallback(r));
            }
        }

        return list;
    }

    // ---- the machinery ----

    private Task<int> MoveAsync(Actor actor, CaseTarget caseId, CaseAction action, string? reason, Func<Locked, CaseStatus, string?> refuse, Func<Locked, CaseStatus, long?> owner, string? closeReason, CancellationToken ct) =>
        ChangeAsync(actor, caseId, "case." + CaseLifecycle.Name(action), async (conn, tx, c) =>
        {
            var to = CaseLifecycle.Next(c.Status, action)
                ?? throw new CaseOperationException(CaseProblem.Conflict, $"a {CaseLifecycle.Name(c.Status)} case cannot be {CaseLifecycle.Name(action)}ed", [.. CaseLifecycle.AllowedFrom(c.Status).Select(CaseLifecycle.Name)]);
            if (refuse(c, to) is { } why)
            {
                throw Forbidden(why);
            }

            var newOwner = owner(c, to);
            var now = time.GetUtcNow();
            await Sql.ExecAsync(conn, tx,
                "UPDATE cases SET status = @s, owner_id = @o, close_reason = @r, closed_at = CASE WHEN @s = 'closed' THEN @now END, " +
                "first_response_at = CASE WHEN @o IS NOT NULL THEN COALESCE(first_response_at, @now) ELSE first_response_at END WHERE id = @id", ct,
                ("s", CaseLifecycle.Name(to)), ("o", new NpgsqlParameter("o", NpgsqlDbType.Bigint) { Value = (object?)newOwner ?? DBNull.Value }), ("r", Sql.Text("r", closeReason)), ("now", now), ("id", c.Id));
            await HistoryAsync(conn, tx, c.Id, actor, CaseLifecycle.Name(action), c.Status, to, c.OwnerId, newOwner, c.TeamId, c.TeamId, closeReason is null ? reason : closeReason + (reason is null ? string.Empty : ": " + reason), ct);
            return closeReason is null ? ["status", "owner_id"] : ["status", "owner_id", "close_reason"];
        }, ct);

    /// <summary>
    /// Locks the case, checks scope (404 outside it) and the caller's precondition (412 when the case changed since
    /// the caller read it), runs <paramref name="work"/>, counts the change in the case's version (unless it only
    /// reads protected content), audits the fields it names, commits. Answers the case's version afterwards.
    /// </summary>
    private async Task<int> ChangeAsync(Actor actor, CaseTarget target, string auditAction, Func<NpgsqlConnection, NpgsqlTransaction, Locked, Task<string[]>> work, CancellationToken ct, bool changesCase = true)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var c = await LockAsync(conn, tx, target.Key, forUpdate: true, ct);
        if (c is null || !CanSee(actor, c.TeamId, c.TransferTo))
        {
            throw new CaseOperationException(CaseProblem.NotFound, "no such case");
        }

        if (target.IfVersion is { } expected && expected != c.Version)
        {
            throw new CaseOperationException(CaseProblem.PreconditionFailed, "the case changed since it was read: read it again");
        }

        var fields = await work(conn, tx, c);
        var version = c.Version;
        if (changesCase)
        {
            await using var bump = new NpgsqlCommand("UPDATE cases SET version = version + 1 WHERE id = @id RETURNING version", conn, tx);
            bump.Parameters.Add(Sql.Text("id", c.Id));
            version = (int)(await bump.ExecuteScalarAsync(ct))!;
        }

        await audit.AppendAsync(conn, tx, actor.UserId, auditAction, c.Id, fields, actor.Source, ct);
        await tx.CommitAsync(ct);
        return version;
    }

    private async Task HistoryAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string caseId, Actor actor, string action, CaseStatus from, CaseStatus to, long? fromOwner, long? toOwner, string fromTeam, string toTeam, string? reason, CancellationToken ct) =>
        await Sql.ExecAsync(conn, tx,
            "INSERT INTO case_history (case_id, at, actor_id, action, from_status, to_status, from_owner, to_owner, from_team, to_team, reason) VALUES (@c, @at, @a, @act, @fs, @ts, @fo, @to, @ft, @tt, @r)", ct,
            ("c", caseId), ("at", time.GetUtcNow()), ("a", actor.UserId), ("act", action), ("fs", CaseLifecycle.Name(from)), ("ts", CaseLifecycle.Name(to)),
            ("fo", fromOwner), ("to", toOwner), ("ft", fromTeam), ("tt", toTeam), ("r", reason));

    /// <summary>The case for a read, if the actor may see it: outside their scope it does not exist (404, the same answer as no case).</summary>
    private static async Task<Locked> VisibleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor, string caseIdOrCode, CancellationToken ct) =>
        await LockAsync(conn, tx, caseIdOrCode, forUpdate: false, ct) is { } c && CanSee(actor, c.TeamId, c.TransferTo)
            ? c
            : throw new CaseOperationException(CaseProblem.NotFound, "no such case");

    /// <summary>The case by its id or by the reference code (XXXX-XXXX) of any of its reports, in one query; optionally row-locked.</summary>
    private static async Task<Locked?> LockAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string idOrCode, bool forUpdate, CancellationToken ct)
    {
        var code = Hub.Core.Envelope.ReferenceCode.Parse(idOrCode);
        var where = code is null ? "id = @k" : "id = (SELECT case_id FROM reports WHERE reference_code = @k ORDER BY id LIMIT 1)";
        await using var cmd = new NpgsqlCommand("SELECT id, status, team_id, owner_id, transfer_to, reporter_pseudonym, version FROM cases WHERE " + where + (forUpdate ? " FOR UPDATE" : string.Empty), conn, tx);
        cmd.Parameters.Add(Sql.Text("k", code ?? idOrCode));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new Locked(r.GetString(0), CaseLifecycle.ParseStatus(r.GetString(1)), r.GetString(2), N64(r, 3), S(r, 4), S(r, 5), r.GetInt32(6)) : null;
    }

    private static async Task<bool> TeamExistsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string team, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1 FROM teams WHERE id = @t", conn, tx);
        cmd.Parameters.Add(Sql.Text("t", team));
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    private async Task<(long Id, bool Active, HashSet<string> Teams, HashSet<string> Roles)> UserInTeamAsync(string login, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand("SELECT id, active, ARRAY(SELECT team_id FROM team_members WHERE user_id = u.id), ARRAY(SELECT role FROM user_roles WHERE user_id = u.id) FROM users u WHERE login = @l");
        cmd.Parameters.Add(Sql.Text("l", login));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? (r.GetInt64(0), r.GetBoolean(1), new HashSet<string>(r.GetFieldValue<string[]>(2), StringComparer.Ordinal), new HashSet<string>(r.GetFieldValue<string[]>(3), StringComparer.Ordinal))
            : throw new CaseOperationException(CaseProblem.Invalid, $"no user '{login}'");
    }

    private async Task<(string CaseId, string ContactRef)> CallbackAsync(long taskId, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand("SELECT case_id, contact_ref FROM callback_tasks WHERE id = @id");
        cmd.Parameters.Add(new NpgsqlParameter<long>("id", taskId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetString(0), r.GetString(1)) : throw new CaseOperationException(CaseProblem.NotFound, "no such call-back");
    }

    private static async Task<IReadOnlyList<CaseSummary>> ReadSummariesAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<CaseSummary>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(ReadSummary(r, 0));
        }

        return list;
    }

    private static CaseSummary ReadSummary(NpgsqlDataReader r, int o) => new(
        r.GetString(o),
        r.GetString(o + 1),
        r.GetString(o + 2),
        r.GetString(o + 3),
        r.GetInt16(o + 4),
        CaseLifecycle.ParseStatus(r.GetString(o + 5)),
        r.GetString(o + 6),
        N64(r, o + 7),
        r.GetFieldValue<string[]>(o + 8),
        S(r, o + 9),
        r.GetFieldValue<DateTimeOffset>(o + 10),
        r.GetFieldValue<DateTimeOffset>(o + 11),
        r.IsDBNull(o + 12) ? null : r.GetFieldValue<DateTimeOffset>(o + 12),
        r.IsDBNull(o + 13) ? null : r.GetFieldValue<DateTimeOffset>(o + 13),
        S(r, o + 14),
        S(r, o + 15),
        r.GetInt32(o + 16));

    private static CallbackTask ReadCallback(NpgsqlDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4), N64(r, 5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6), S(r, 7));

    private static (short Rank, DateTimeOffset Received, string Id) ParseCursor(string? after)
    {
        if (string.IsNullOrEmpty(after))
        {
            return (-1, DateTimeOffset.MinValue.ToUniversalTime(), string.Empty);
        }

        var parts = after.Split('.', 3);
        return parts.Length == 3 && short.TryParse(parts[0], CultureInfo.InvariantCulture, out var rank) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var ticks)
            && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? (rank, new DateTimeOffset(ticks, TimeSpan.Zero), parts[2])
            : throw new CaseOperationException(CaseProblem.Invalid, "not a queue cursor");
    }

    private static string Required(string? value, string what) =>
        string.IsNullOrWhiteSpace(value) ? throw new CaseOperationException(CaseProblem.Invalid, $"{what} is required") : value;

    private static CaseOperationException Forbidden(string why) => new(CaseProblem.Forbidden, why);

    private static long? N64(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static string? S(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
