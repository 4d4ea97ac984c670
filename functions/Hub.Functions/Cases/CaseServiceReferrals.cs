using System.Globalization;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Functions.Cases.Database;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases;

/// <summary>What a sender gives to refer a case (docs/referrals.md#sending).</summary>
/// <param name="ToTeam">The receiving team: a province's child-protection unit, a provincial police, A05, the content regulator.</param>
/// <param name="Reason">Why, written for the receiver (they read it).</param>
/// <param name="Sharing">How much of the case the receiver sees.</param>
/// <param name="ReporterConsented">The sender records that the reporter agreed to this hand-off.</param>
/// <param name="SupervisorOverride">Without that consent: a supervisor's decision, with <paramref name="OverrideReason"/>.</param>
public sealed record ReferralRequest(string ToTeam, string Reason, SharingLevel Sharing, bool ReporterConsented, bool SupervisorOverride, string? OverrideReason);

/// <summary>The result of a referral's move: the referral's and the case's versions after it.</summary>
public sealed record ReferralChanged(string Id, int Version, int CaseVersion, string State);

/// <summary>
/// Referrals (V008 <c>referrals</c>, docs/referrals.md): a case's hand-offs to other teams, each sent by the case's
/// owner or a supervisor of its team with a reason, a sharing level and a consent basis; moved by the receiving team
/// (acknowledge, accept, reject, done) or revoked by the sender. The case keeps its team and owner; it is
/// <c>referred</c> while any referral is open. Every move is one transaction: the case row locked, the referral, the
/// case's history line and the audit row.
/// </summary>
public sealed partial class CaseService
{
    private const string ReferralColumns =
        "f.id, f.case_id, f.to_team, f.from_team, f.state, f.reason, f.sharing, f.consent_basis, f.override_reason, f.sent_by, f.sent_at, f.acknowledge_due, " +
        "f.intervention_due, f.acknowledged_at, f.decided_at, f.closed_at, f.outcome, f.answer, f.webhook, f.webhook_attempts, f.webhook_error, f.version";

    private ReferralClockOptions ReferralClock => options?.Value.Cases.Referrals.Clock ?? new ReferralClockOptions();

    public static string SharingName(SharingLevel s) => s == SharingLevel.WithEvidence ? "with-evidence" : "summary";

    public static SharingLevel? ParseSharing(string? s) => s switch
    {
        "summary" => SharingLevel.Summary,
        "with-evidence" => SharingLevel.WithEvidence,
        _ => null,
    };

    /// <summary>
    /// Sends a referral: checked against the consent rule (<see cref="ReferralLifecycle.WhyNotSend"/>), written with the
    /// clocks of the case's urgency, the case moved to <c>referred</c>, and <paramref name="enqueue"/> called before the
    /// commit when the receiving team has a webhook — so a referral is stored and queued for delivery, or neither.
    /// </summary>
    public async Task<ReferralChanged> SendReferralAsync(Actor actor, CaseTarget target, ReferralRequest send, Func<string, bool> hasWebhook, Func<string, string, Task> enqueue, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(hasWebhook);
        ArgumentNullException.ThrowIfNull(enqueue);
        var id = ReportId.New(time);
        var state = string.Empty;
        var version = await ChangeAsync(actor, target, "referral.send", async (conn, tx, c) =>
        {
            if (!(Works(actor, c.TeamId) && (c.OwnerId == actor.UserId || actor.Has(Roles.Supervisor))))
            {
                throw Forbidden("only the case's owner or a supervisor of its team refers it");
            }

            if (ReferralLifecycle.WhyNotSend(send.Reason, send.ReporterConsented, send.SupervisorOverride, send.OverrideReason, Supervises(actor, c.TeamId)) is { } why)
            {
                throw send.SupervisorOverride && !Supervises(actor, c.TeamId) ? Forbidden(why) : new CaseOperationException(CaseProblem.Invalid, why);
            }

            if (send.Reason.Length > 2000 || send.OverrideReason is { Length: > 2000 })
            {
                throw new CaseOperationException(CaseProblem.Invalid, "a reason is at most 2,000 characters");
            }

            if (c.Status is not (CaseStatus.Open or CaseStatus.Referred))
            {
                throw new CaseOperationException(CaseProblem.Conflict, c.Status == CaseStatus.Closed ? "a closed case is not referred: reopen it first" : "claim the case first: a referral is sent by the case's owner");
            }

            await using (var team = new NpgsqlCommand("SELECT kind FROM teams WHERE id = @t", conn, tx))
            {
                team.Parameters.Add(Sql.Text("t", send.ToTeam));
                if (await team.ExecuteScalarAsync(ct) is not string kind || kind == "central" || send.ToTeam == c.TeamId)
                {
                    throw new CaseOperationException(CaseProblem.Invalid, $"'{send.ToTeam}' is not a team a case is referred to");
                }
            }

            string urgency;
            DateTimeOffset? interventionDue;
            await using (var read = new NpgsqlCommand(
                "SELECT urgency, intervention_due, EXISTS (SELECT 1 FROM referrals WHERE case_id = @c AND to_team = @t AND state IN ('sent', 'acknowledged', 'accepted')) FROM cases WHERE id = @c", conn, tx))
            {
                read.Parameters.Add(Sql.Text("c", c.Id));
                read.Parameters.Add(Sql.Text("t", send.ToTeam));
                await using var r = await read.ExecuteReaderAsync(ct);
                await r.ReadAsync(ct);
                urgency = r.GetString(0);
                interventionDue = r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1);
                if (r.GetBoolean(2))
                {
                    throw new CaseOperationException(CaseProblem.Conflict, $"a referral to {send.ToTeam} is already open");
                }
            }

            var now = time.GetUtcNow();
            var webhook = hasWebhook(send.ToTeam);
            var basis = send.ReporterConsented ? "reporter" : "override";
            await Sql.ExecAsync(conn, tx,
                "INSERT INTO referrals (id, case_id, to_team, from_team, state, reason, sharing, consent_basis, override_reason, sent_by, sent_at, acknowledge_due, intervention_due, webhook) " +
                "VALUES (@id, @c, @to, @from, 'sent', @r, @s, @b, @o, @u, @now, @due, @iv, @w)", ct,
                ("id", id), ("c", c.Id), ("to", send.ToTeam), ("from", c.TeamId), ("r", send.Reason.Trim()), ("s", SharingName(send.Sharing)), ("b", basis),
                ("o", Sql.Text("o", send.ReporterConsented ? null : send.OverrideReason!.Trim())), ("u", actor.UserId), ("now", now),
                ("due", ReferralLifecycle.AcknowledgeDue(now, urgency, ReferralClock)),
                ("iv", new NpgsqlParameter("iv", NpgsqlDbType.TimestampTz) { Value = urgency == Urgencies.Immediate && interventionDue is { } d ? d.ToUniversalTime() : DBNull.Value }),
                ("w", webhook ? "queued" : "none"));
            var to = c.Status == CaseStatus.Open ? CaseStatus.Referred : c.Status;
            if (to != c.Status)
            {
                await Sql.ExecAsync(conn, tx, "UPDATE cases SET status = 'referred' WHERE id = @id", ct, ("id", c.Id));
            }

            await HistoryAsync(conn, tx, c.Id, actor, "referral-sent", c.Status, to, c.OwnerId, c.OwnerId, c.TeamId, c.TeamId,
                string.Create(CultureInfo.InvariantCulture, $"{send.ToTeam} ({SharingName(send.Sharing)}; consent: {(send.ReporterConsented ? "the reporter's" : "supervisor override: " + send.OverrideReason!.Trim())}): {send.Reason.Trim()}"), ct);
            if (webhook)
            {
                await enqueue(id, "sent");
            }

            state = "sent";
            return send.ReporterConsented ? ["referral:" + id, "status"] : ["referral:" + id, "status", "consent:override"];
        }, ct);
        return new ReferralChanged(id, 1, version, state);
    }

    /// <summary>
    /// Moves a referral: the receiving team acknowledges, accepts, rejects (with a reason) or completes it (with an
    /// outcome); the sending team revokes it (with a reason). A referral nobody in the actor's teams sends or receives
    /// does not exist for them (404). When the last open referral ends, the case is <c>open</c> again.
    /// </summary>
    public async Task<ReferralChanged> MoveReferralAsync(Actor actor, string referralId, ReferralState to, string? reason, string? outcome, int? ifVersion, Func<string, bool> hasWebhook, Func<string, string, Task> enqueue, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(hasWebhook);
        ArgumentNullException.ThrowIfNull(enqueue);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        // The case first, then the referral: every writer locks in that order.
        string? caseId;
        await using (var find = new NpgsqlCommand("SELECT case_id FROM referrals WHERE id = @id", conn, tx))
        {
            find.Parameters.Add(Sql.Text("id", referralId));
            caseId = await find.ExecuteScalarAsync(ct) as string;
        }

        var c = caseId is null ? null : await LockAsync(conn, tx, caseId, forUpdate: true, ct);
        var f = c is null ? null : await ReadReferralAsync(conn, tx, "f.id = @id FOR UPDATE", ct, ("id", referralId));
        if (c is null || f is null)
        {
            throw new CaseOperationException(CaseProblem.NotFound, "no such referral");
        }

        var side = SideOf(actor, f, c);
        if (side is null)
        {
            throw new CaseOperationException(CaseProblem.NotFound, "no such referral");
        }

        if (ifVersion is { } expected && expected != f.Version)
        {
            throw new CaseOperationException(CaseProblem.PreconditionFailed, "the referral changed since it was read: read it again");
        }

        var from = ReferralLifecycle.Parse(f.State)!.Value;
        if (ReferralLifecycle.WhyNot(from, to, side.Value, reason, outcome) is { } why)
        {
            var kind = !ReferralLifecycle.IsOpen(from) ? CaseProblem.Conflict
                : (to == ReferralState.Revoked) != (side == ReferralSide.Sender) ? CaseProblem.Forbidden
                : why.Contains("needs", StringComparison.Ordinal) || why.StartsWith("an outcome", StringComparison.Ordinal) ? CaseProblem.Invalid
                : CaseProblem.Conflict;
            throw new CaseOperationException(kind, why);
        }

        if (side == ReferralSide.Sender && !(c.OwnerId == actor.UserId || Supervises(actor, c.TeamId)))
        {
            throw Forbidden("only the case's owner or a supervisor of its team revokes a referral");
        }

        if (reason is { Length: > 2000 })
        {
            throw new CaseOperationException(CaseProblem.Invalid, "a reason is at most 2,000 characters");
        }

        var now = time.GetUtcNow();
        var name = ReferralLifecycle.Name(to);
        var set = to switch
        {
            ReferralState.Acknowledged => "acknowledged_at = @now, acknowledged_by = @u",
            ReferralState.Accepted or ReferralState.Rejected => "acknowledged_at = COALESCE(acknowledged_at, @now), acknowledged_by = COALESCE(acknowledged_by, @u), decided_at = @now, decided_by = @u, answer = @a",
            _ => "closed_at = @now, closed_by = @u, outcome = @o, answer = COALESCE(@a, answer)",
        };
        await using (var update = new NpgsqlCommand($"UPDATE referrals SET state = @s, version = version + 1, {set} WHERE id = @id RETURNING version", conn, tx))
        {
            update.Parameters.Add(Sql.Text("s", name));
            update.Parameters.Add(Sql.Ts("now", now));
            update.Parameters.Add(new NpgsqlParameter("u", NpgsqlDbType.Bigint) { Value = (object?)actor.UserId ?? DBNull.Value });
            update.Parameters.Add(Sql.Text("a", string.IsNullOrWhiteSpace(reason) ? null : reason.Trim()));
            update.Parameters.Add(Sql.Text("o", to == ReferralState.Done ? outcome : null));
            update.Parameters.Add(Sql.Text("id", f.Id));
            f = f with { Version = (int)(await update.ExecuteScalarAsync(ct))!, State = name };
        }

        if (to == ReferralState.Done && outcome is "intervened" or "child-safe")
        {
            // The receiver intervened or found the child safe: the case's 12-hour clock (Decree 56 Art. 26.3) is met.
            await Sql.ExecAsync(conn, tx, "UPDATE cases SET intervention_done_at = COALESCE(intervention_done_at, @now) WHERE id = @id", ct, ("now", now), ("id", c.Id));
        }

        var caseTo = c.Status;
        if (!ReferralLifecycle.IsOpen(to) && c.Status == CaseStatus.Referred)
        {
            await using var open = new NpgsqlCommand("SELECT count(*) FROM referrals WHERE case_id = @c AND state IN ('sent', 'acknowledged', 'accepted')", conn, tx);
            open.Parameters.Add(Sql.Text("c", c.Id));
            if ((long)(await open.ExecuteScalarAsync(ct))! == 0)
            {
                caseTo = CaseLifecycle.Next(c.Status, CaseAction.ReferralDone) ?? c.Status;
                await Sql.ExecAsync(conn, tx, "UPDATE cases SET status = @s WHERE id = @id", ct, ("s", CaseLifecycle.Name(caseTo)), ("id", c.Id));
            }
        }

        var detail = to == ReferralState.Done ? outcome + (string.IsNullOrWhiteSpace(reason) ? string.Empty : ": " + reason.Trim()) : reason?.Trim();
        await HistoryAsync(conn, tx, c.Id, actor, "referral-" + name, c.Status, caseTo, c.OwnerId, c.OwnerId, c.TeamId, c.TeamId,
            f.ToTeam + (string.IsNullOrEmpty(detail) ? string.Empty : ": " + detail), ct);
        if (to == ReferralState.Revoked && f.Webhook != "none" && hasWebhook(f.ToTeam))
        {
            await enqueue(f.Id, "revoked");
        }

        await using var bump = new NpgsqlCommand("UPDATE cases SET version = version + 1 WHERE id = @id RETURNING version", conn, tx);
        bump.Parameters.Add(Sql.Text("id", c.Id));
        var caseVersion = (int)(await bump.ExecuteScalarAsync(ct))!;
        await audit.AppendAsync(conn, tx, actor.UserId, "referral." + name, c.Id, caseTo == c.Status ? ["referral:" + f.Id] : ["referral:" + f.Id, "status"], actor.Source, ct);
        await tx.CommitAsync(ct);
        return new ReferralChanged(f.Id, f.Version, caseVersion, name);
    }

    /// <summary>The referrals the actor's teams receive (their inbox), newest first; open ones only unless <paramref name="all"/>. No case content: the detail is an audited read.</summary>
    public async Task<IReadOnlyList<(ReferralRow Referral, CaseSummary Case)>> ReferralInboxAsync(Actor actor, bool all, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!(actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) || actor.Has(Roles.Liaison)))
        {
            return [];
        }

        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(
            $"SELECT {ReferralColumns}, {SummaryColumns} FROM referrals f JOIN cases c ON c.id = f.case_id WHERE f.to_team = ANY(@teams) " +
            "AND (@all OR f.state IN ('sent', 'acknowledged', 'accepted')) ORDER BY f.state = 'sent' DESC, f.acknowledge_due, f.id LIMIT @n");
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("teams", actor.Teams.ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter<bool>("all", all));
        cmd.Parameters.Add(new NpgsqlParameter<int>("n", Math.Clamp(limit, 1, 500)));
        var list = new List<(ReferralRow, CaseSummary)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add((ReadReferral(r), ReadSummary(r, 22)));
        }

        return list;
    }

    /// <summary>
    /// One referral as its receiver (or its sender) sees it: the referral, and the case as far as the sharing level
    /// allows — the summary, or with the description, links, accounts and the evidence list. Never the reporter's
    /// identity or contact. An audited read.
    /// </summary>
    public async Task<(ReferralRow Referral, CaseSummary Case, ReportEnvelope? First, IReadOnlyList<EvidenceItem> Evidence, IReadOnlyDictionary<string, string> TeamNames, ReferralSide Side)> ReferralDetailAsync(Actor actor, string referralId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (f, c) = await VisibleReferralAsync(conn, tx, actor, referralId, ct);
        var shared = f.Sharing == "with-evidence";
        var (summary, first, evidence) = await SharedAsync(conn, tx, c.Id, shared, ct);

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("SELECT id, name FROM teams WHERE id = ANY(@t)", conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("t", [f.ToTeam, f.FromTeam]));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                names[r.GetString(0)] = r.GetString(1);
            }
        }

        await audit.AppendAsync(conn, tx, actor.UserId, "referral.view", c.Id, shared ? ["referral:" + f.Id, "summary", "evidence-list"] : ["referral:" + f.Id, "summary"], actor.Source, ct);
        await tx.CommitAsync(ct);
        return (f, summary, first, evidence, names, SideOf(actor, f, c)!.Value);
    }

    /// <summary>One evidence item of a referral shared <c>with-evidence</c>, for its receiving team: audited (committed) before a byte is read.</summary>
    public async Task<EvidenceItem> OpenReferralEvidenceAsync(Actor actor, string referralId, int n, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (f, c) = await VisibleReferralAsync(conn, tx, actor, referralId, ct);
        if (f.Sharing != "with-evidence" || !ReferralLifecycle.IsOpen(ReferralLifecycle.Parse(f.State)!.Value) && f.State != "done")
        {
            throw new CaseOperationException(CaseProblem.NotFound, "this referral shares no evidence");
        }

        var found = (await EvidenceOfAsync(conn, tx, c.Id, ct)).ElementAtOrDefault(n - 1);
        if (found?.Evidence is not { Blob: not null, Sha256: not null })
        {
            throw new CaseOperationException(CaseProblem.NotFound, found is null ? "this case has no such evidence" : $"this evidence is not held by the hub ({found.Evidence.Error ?? found.Evidence.HeldBy ?? "no content"})");
        }

        await RefuseKnownMaterialAsync(conn, tx, found, ct);
        await audit.AppendAsync(conn, tx, actor.UserId, "referral.evidence.read", c.Id, ["referral:" + f.Id, "evidence:" + n.ToString(CultureInfo.InvariantCulture), "sha256:" + found.Evidence.Sha256], actor.Source, ct);
        await tx.CommitAsync(ct);
        return found;
    }

    /// <summary>
    /// Open referrals past a clock (unacknowledged after their due time, or an immediate case's 12 hours gone), for the
    /// sending team's supervisors (the central team's and administrators see all): most overdue first.
    /// </summary>
    public async Task<IReadOnlyList<(ReferralRow Referral, CaseSummary Case)>> EscalatedReferralsAsync(Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var all = actor.Has(Roles.Admin) || (actor.Has(Roles.Supervisor) && actor.In(PostgresCaseStore.CentralTeam));
        if (!all && !actor.Has(Roles.Supervisor))
        {
            return [];
        }

        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(
            $"SELECT {ReferralColumns}, {SummaryColumns} FROM referrals f JOIN cases c ON c.id = f.case_id WHERE {EscalatedSql} AND (@all OR f.from_team = ANY(@teams)) " +
            "ORDER BY LEAST(CASE WHEN f.state = 'sent' THEN f.acknowledge_due END, f.intervention_due), f.id LIMIT 500");
        cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        cmd.Parameters.Add(new NpgsqlParameter<bool>("all", all));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("teams", actor.Teams.ToArray()));
        var list = new List<(ReferralRow, CaseSummary)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add((ReadReferral(r), ReadSummary(r, 22)));
        }

        return list;
    }

    /// <summary>A referral for its webhook delivery (no actor: the hub's own worker), with its case's first report; null when it does not exist (yet).</summary>
    public async Task<(ReferralRow Referral, CaseSummary Case, ReportEnvelope? First, IReadOnlyList<EvidenceItem> Evidence)?> ReferralForDeliveryAsync(string referralId, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var f = await ReadReferralAsync(conn, tx, "f.id = @id", ct, ("id", referralId));
        if (f is null)
        {
            return null;
        }

        var (summary, first, evidence) = await SharedAsync(conn, tx, f.CaseId, f.Sharing == "with-evidence", ct);
        await tx.CommitAsync(ct);
        return (f, summary, first, evidence);
    }

    /// <summary>Records a webhook delivery's outcome on the referral, and on the case's timeline when it delivered or failed for good.</summary>
    public async Task RecordReferralWebhookAsync(string referralId, string state, int attempts, string? error, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "UPDATE referrals SET webhook = @s, webhook_attempts = webhook_attempts + @n, webhook_error = @e, webhook_at = @now WHERE id = @id RETURNING case_id, to_team, from_team", conn, tx);
        cmd.Parameters.Add(Sql.Text("s", state));
        cmd.Parameters.Add(new NpgsqlParameter<int>("n", attempts));
        cmd.Parameters.Add(Sql.Text("e", error is { Length: > 300 } ? error[..300] : error));
        cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        cmd.Parameters.Add(Sql.Text("id", referralId));
        string? caseId = null, toTeam = null, fromTeam = null;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct))
            {
                (caseId, toTeam, fromTeam) = (r.GetString(0), r.GetString(1), r.GetString(2));
            }
        }

        if (caseId is not null && state is "delivered" or "failed")
        {
            await using var status = new NpgsqlCommand("SELECT status FROM cases WHERE id = @id", conn, tx);
            status.Parameters.Add(Sql.Text("id", caseId));
            var s = CaseLifecycle.ParseStatus((string)(await status.ExecuteScalarAsync(ct))!);
            await HistoryAsync(conn, tx, caseId, Actor.Console("referral-webhook"), "referral-webhook-" + state, s, s, null, null, fromTeam!, fromTeam!, toTeam + (error is null ? string.Empty : ": " + error), ct);
            await Sql.ExecAsync(conn, tx, "UPDATE cases SET version = version + 1 WHERE id = @id", ct, ("id", caseId));
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>A case's referrals, oldest first (also read in the detail's batch).</summary>
    internal const string CaseReferralsSql = "SELECT " + ReferralColumns + " FROM referrals f WHERE f.case_id = @id ORDER BY f.sent_at, f.id";

    /// <summary>The SQL condition of a referral past its clock at <c>@now</c>.</summary>
    internal const string EscalatedSql =
        "((f.state = 'sent' AND f.acknowledge_due < @now) OR (f.state IN ('sent', 'acknowledged', 'accepted') AND f.intervention_due IS NOT NULL AND f.intervention_due < @now))";

    /// <summary>What a referral shares of its case: the case's summary row, its first report, and (with evidence) its numbered evidence.</summary>
    private static async Task<(CaseSummary Summary, ReportEnvelope? First, IReadOnlyList<EvidenceItem> Evidence)> SharedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string caseId, bool withEvidence, CancellationToken ct)
    {
        CaseSummary summary;
        await using (var cmd = new NpgsqlCommand($"SELECT {SummaryColumns} FROM cases c WHERE c.id = @id", conn, tx))
        {
            cmd.Parameters.Add(Sql.Text("id", caseId));
            summary = (await ReadSummariesAsync(cmd, ct))[0];
        }

        ReportEnvelope? first;
        await using (var cmd = new NpgsqlCommand("SELECT envelope::text FROM reports WHERE case_id = @c ORDER BY id LIMIT 1", conn, tx))
        {
            cmd.Parameters.Add(Sql.Text("c", caseId));
            first = await cmd.ExecuteScalarAsync(ct) is string json ? ReadEnvelope(json) : null;
        }

        return (summary, first, withEvidence ? await EvidenceOfAsync(conn, tx, caseId, ct) : []);
    }

    private static ReferralSide? SideOf(Actor actor, ReferralRow f, Locked c)
    {
        var works = actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) || actor.Has(Roles.Liaison);
        if (works && actor.In(f.ToTeam))
        {
            return ReferralSide.Receiver;
        }

        return CanSee(actor, c.TeamId, c.TransferTo) ? ReferralSide.Sender : null;
    }

    private static async Task<(ReferralRow Referral, Locked Case)> VisibleReferralAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor, string referralId, CancellationToken ct)
    {
        var f = await ReadReferralAsync(conn, tx, "f.id = @id", ct, ("id", referralId));
        var c = f is null ? null : await LockAsync(conn, tx, f.CaseId, forUpdate: false, ct);
        return f is not null && c is not null && SideOf(actor, f, c) is not null
            ? (f, c)
            : throw new CaseOperationException(CaseProblem.NotFound, "no such referral");
    }

    private static async Task<ReferralRow?> ReadReferralAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string where, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {ReferralColumns} FROM referrals f WHERE {where}", conn, tx);
        foreach (var (name, value) in args)
        {
            cmd.Parameters.Add(Sql.Text(name, (string?)value));
        }

        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadReferral(r) : null;
    }

    internal static ReferralRow ReadReferral(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), S(r, 8), N64(r, 9),
        r.GetFieldValue<DateTimeOffset>(10), r.GetFieldValue<DateTimeOffset>(11), T(r, 12), T(r, 13), T(r, 14), T(r, 15), S(r, 16), S(r, 17), r.GetString(18), r.GetInt32(19), S(r, 20), r.GetInt32(21));

    private static DateTimeOffset? T(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
}

/// <summary>One stored referral (<c>referrals</c>).</summary>
public sealed record ReferralRow(
    string Id, string CaseId, string ToTeam, string FromTeam, string State, string Reason, string Sharing, string ConsentBasis, string? OverrideReason, long? SentBy,
    DateTimeOffset SentAt, DateTimeOffset AcknowledgeDue, DateTimeOffset? InterventionDue, DateTimeOffset? AcknowledgedAt, DateTimeOffset? DecidedAt, DateTimeOffset? ClosedAt,
    string? Outcome, string? Answer, string Webhook, int WebhookAttempts, string? WebhookError, int Version)
{
    public bool Escalated(DateTimeOffset now) =>
        ReferralLifecycle.Parse(State) is { } s && ReferralLifecycle.Escalates(s, AcknowledgeDue, InterventionDue, now);
}

/// <summary>Takedown requests to platforms on the case's timeline: the platform's own referral, with its time to removal.</summary>
public sealed partial class CaseService
{
    /// <summary>
    /// Writes a takedown's step (<c>takedown-requested</c>, <c>-delivered</c>, <c>-failed</c>, <c>-confirmed</c>) into the history of the case
    /// that holds report <paramref name="hubReportId"/>; false when the report is not a case yet (still queued).
    /// </summary>
    public async Task<bool> TakedownStepAsync(string hubReportId, string step, string detail, TakedownFact fact, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fact);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var find = new NpgsqlCommand("SELECT c.id, c.status, c.team_id FROM reports r JOIN cases c ON c.id = r.case_id WHERE r.id = @r FOR UPDATE OF c", conn, tx);
        find.Parameters.Add(Sql.Text("r", hubReportId));
        string caseId, team;
        CaseStatus status;
        await using (var r = await find.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                return false;
            }

            (caseId, status, team) = (r.GetString(0), CaseLifecycle.ParseStatus(r.GetString(1)), r.GetString(2));
        }

        await HistoryAsync(conn, tx, caseId, Actor.Console("takedowns"), "takedown-" + step, status, status, null, null, team, team, detail, ct);

        // The takedown's state for the statistics: a later step never goes back to an earlier one (a redelivered
        // "delivered" after the confirmation leaves it confirmed).
        await using (var upsert = new NpgsqlCommand(
            """
            INSERT INTO case_takedowns (id, case_id, platform, requested_at, status, confirmed_at, outcome, removed_at)
            VALUES (@id, @case, @platform, @requested, @status, @confirmed, @outcome, @removed)
            ON CONFLICT (id) DO UPDATE SET
              status = CASE WHEN case_takedowns.status = 'confirmed' THEN 'confirmed' ELSE EXCLUDED.status END,
              confirmed_at = COALESCE(case_takedowns.confirmed_at, EXCLUDED.confirmed_at),
              outcome = COALESCE(case_takedowns.outcome, EXCLUDED.outcome),
              removed_at = COALESCE(case_takedowns.removed_at, EXCLUDED.removed_at)
            """, conn, tx))
        {
            upsert.Parameters.Add(Sql.Text("id", fact.TakedownId));
            upsert.Parameters.Add(Sql.Text("case", caseId));
            upsert.Parameters.Add(Sql.Text("platform", fact.PlatformId));
            upsert.Parameters.Add(Sql.Ts("requested", fact.RequestedAt));
            upsert.Parameters.Add(Sql.Text("status", step));
            upsert.Parameters.Add(new NpgsqlParameter("confirmed", NpgsqlDbType.TimestampTz) { Value = (object?)fact.ConfirmedAt?.ToUniversalTime() ?? DBNull.Value });
            upsert.Parameters.Add(Sql.Text("outcome", fact.Outcome));
            upsert.Parameters.Add(new NpgsqlParameter("removed", NpgsqlDbType.TimestampTz) { Value = (object?)fact.RemovedAt?.ToUniversalTime() ?? DBNull.Value });
            await upsert.ExecuteNonQueryAsync(ct);
        }

        await Sql.ExecAsync(conn, tx, "UPDATE cases SET version = version + 1 WHERE id = @id", ct, ("id", caseId));
        await tx.CommitAsync(ct);
        return true;
    }
}

/// <summary>A takedown's state at one of its steps, as the case store keeps it for the statistics (table <c>case_takedowns</c>).</summary>
public sealed record TakedownFact(string TakedownId, string PlatformId, DateTimeOffset RequestedAt, DateTimeOffset? ConfirmedAt = null, string? Outcome = null, DateTimeOffset? RemovedAt = null);
