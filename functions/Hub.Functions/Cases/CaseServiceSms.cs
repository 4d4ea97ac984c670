using Hub.Core.Cases;
using Hub.Functions.Cases.Database;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases;

/// <summary>Whom an SMS case's reply goes to: its latest SMS report that left a (sealed) number.</summary>
/// <param name="ReportId">The report answered.</param>
/// <param name="Instance">The channel instance it came in on (the reply goes out through the same one).</param>
/// <param name="ProviderAccount">The number or short code the reporter wrote to: the reply's sender.</param>
/// <param name="Pseudonym">The reporter's pseudonym (for STOP).</param>
/// <param name="ContactRef">The sealed number.</param>
public sealed record SmsTarget(string ReportId, string Instance, string? ProviderAccount, string? Pseudonym, string ContactRef);

/// <summary>One stored SMS reply (<c>sms_replies</c>).</summary>
public sealed record SmsReplyRow(
    string Id, string CaseId, string ReportId, string Instance, long AuthorId, string Body, int Segments, DateTimeOffset CreatedAt,
    string Status, int Attempts, string? ProviderMessageId, string? Error, DateTimeOffset UpdatedAt);

/// <summary>What the sender found when it came to send a reply.</summary>
public enum SmsClaim
{
    /// <summary>This sender holds the reply's lease: send it.</summary>
    Claimed,

    /// <summary>No such reply: its transaction has not committed yet, or never will.</summary>
    Missing,

    /// <summary>Another sender holds it (its lease has not run out).</summary>
    Leased,

    /// <summary>Already handed to the provider, or given up: nothing to send.</summary>
    Done,
}

/// <summary>
/// SMS replies to a case's reporter (V006 <c>sms_replies</c>): written with their audit row in the transaction that
/// accepts them, claimed under a lease by one sender at a time, moved forward only (<see cref="SmsReplyStates"/>).
/// </summary>
public sealed partial class CaseService
{
    private const string SmsColumns = "id, case_id, report_id, channel_instance, author_id, body, segments, created_at, status, attempts, provider_message_id, error, updated_at";

    /// <summary>A report's columns that make its <see cref="SmsTarget"/> (<see cref="ReadSmsTarget"/>).</summary>
    private const string SmsTargetColumns = "id, channel_instance, envelope -> 'source' ->> 'providerAccount', envelope -> 'reporter' ->> 'pseudonym', envelope -> 'reporter' ->> 'contactRef'";

    /// <summary>
    /// Accepts a reply from the case's owner or a supervisor of its team: checks the case can be answered by SMS
    /// (<paramref name="refuse"/> adds the channel's and the reporter's conditions), writes the reply, its history line
    /// and its audit row, and calls <paramref name="enqueue"/> before the commit — so a reply is either stored and
    /// queued, or neither is visible (a queued message whose transaction never committed finds no row and is dropped).
    /// </summary>
    public async Task<int> QueueSmsReplyAsync(
        Actor actor, CaseTarget target, string replyId, string body, int segments, Func<SmsTarget, Task<string?>> refuse, Func<string, Task> enqueue, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(refuse);
        ArgumentNullException.ThrowIfNull(enqueue);
        return await ChangeAsync(actor, target, "sms.reply", async (conn, tx, c) =>
        {
            if (!(actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor)) || (c.OwnerId != actor.UserId && !Supervises(actor, c.TeamId)))
            {
                throw Forbidden("only the case's owner or a supervisor of its team answers the reporter: claim the case first");
            }

            if (c.Status == CaseStatus.Closed)
            {
                throw new CaseOperationException(CaseProblem.Conflict, "the case is closed: reopen it to answer the reporter");
            }

            var to = await SmsTargetAsync(conn, tx, c.Id, ct) ?? throw new CaseOperationException(CaseProblem.Conflict, "no-sms-contact");
            if (await refuse(to) is { } why)
            {
                throw new CaseOperationException(CaseProblem.Conflict, why);
            }

            var now = time.GetUtcNow();
            await Sql.ExecAsync(conn, tx,
                "INSERT INTO sms_replies (id, case_id, report_id, channel_instance, author_id, body, segments, created_at, status, updated_at) " +
                "VALUES (@id, @c, @r, @i, @a, @b, @s, @now, 'queued', @now)", ct,
                ("id", replyId), ("c", c.Id), ("r", to.ReportId), ("i", to.Instance), ("a", actor.UserId), ("b", body), ("s", segments), ("now", now));
            await Sql.ExecAsync(conn, tx,
                "UPDATE cases SET first_response_at = COALESCE(first_response_at, @now) WHERE id = @id", ct, ("now", now), ("id", c.Id));
            await HistoryAsync(conn, tx, c.Id, actor, "sms-reply", c.Status, c.Status, c.OwnerId, c.OwnerId, c.TeamId, c.TeamId, null, ct);
            await enqueue(c.Id);
            return ["sms_replies:" + replyId];
        }, ct);
    }

    /// <summary>A case's replies, oldest first (the detail reads them in its own batch; this is the live panel's read).</summary>
    public async Task<IReadOnlyList<SmsReplyRow>> SmsRepliesAsync(Actor actor, string caseIdOrCode, bool audited, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var c = await VisibleAsync(conn, tx, actor, caseIdOrCode, ct);
        await using var cmd = new NpgsqlCommand($"SELECT {SmsColumns} FROM sms_replies WHERE case_id = @c ORDER BY created_at, id", conn, tx);
        cmd.Parameters.Add(Sql.Text("c", c.Id));
        var list = new List<SmsReplyRow>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                list.Add(ReadSmsReply(r));
            }
        }

        if (audited)
        {
            await audit.AppendAsync(conn, tx, actor.UserId, "sms.read", c.Id, ["sms_replies"], actor.Source, ct);
        }

        await tx.CommitAsync(ct);
        return list;
    }

    /// <summary>
    /// Takes the reply for sending: from <c>queued</c> (or a <c>sending</c> whose lease ran out) to <c>sending</c> until
    /// <paramref name="leaseUntil"/>, with the reporter it goes to; the unsealing that follows is audited here, as the system's read.
    /// </summary>
    public async Task<(SmsClaim Claim, SmsReplyRow? Reply, SmsTarget? To, DateTimeOffset? LeaseUntil)> ClaimSmsReplyAsync(string replyId, DateTimeOffset leaseUntil, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        SmsReplyRow? row = null;
        await using (var cmd = new NpgsqlCommand(
            $"UPDATE sms_replies SET status = 'sending', lease_until = @l, updated_at = @now WHERE id = @id AND (status = 'queued' OR (status = 'sending' AND lease_until < @now)) RETURNING {SmsColumns}", conn, tx))
        {
            cmd.Parameters.Add(Sql.Text("id", replyId));
            cmd.Parameters.Add(Sql.Ts("l", leaseUntil));
            cmd.Parameters.Add(Sql.Ts("now", now));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
            {
                row = ReadSmsReply(r);
            }
        }

        if (row is null)
        {
            await using var look = new NpgsqlCommand("SELECT status, lease_until FROM sms_replies WHERE id = @id", conn, tx);
            look.Parameters.Add(Sql.Text("id", replyId));
            await using var r = await look.ExecuteReaderAsync(ct);
            return !await r.ReadAsync(ct) ? (SmsClaim.Missing, null, null, null)
                : r.GetString(0) == SmsReplyStates.Sending ? (SmsClaim.Leased, null, null, r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1))
                : (SmsClaim.Done, null, null, null);
        }

        SmsTarget? to;
        await using (var cmd = new NpgsqlCommand(
            $"SELECT {SmsTargetColumns} FROM reports WHERE id = @r", conn, tx))
        {
            cmd.Parameters.Add(Sql.Text("r", row.ReportId));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            to = await r.ReadAsync(ct) ? ReadSmsTarget(r) : null;
        }

        await audit.AppendAsync(conn, tx, null, "sms.send", row.CaseId, ["reporter.contact", "sms_replies:" + replyId], "sms-replies", ct);
        await tx.CommitAsync(ct);
        return (SmsClaim.Claimed, row, to, leaseUntil);
    }

    /// <summary>
    /// Moves a reply to <paramref name="status"/> if that is forward of where it is (a late or replayed receipt changes
    /// nothing); <paramref name="instance"/>, when given, must be the reply's own (a receipt on another instance's URL
    /// is not about it). Answers whether the reply exists and whether it moved.
    /// </summary>
    public async Task<(bool Exists, bool Moved, string? CaseId)> RecordSmsAsync(
        string replyId, string? instance, string status, int addAttempts, string? providerMessageId, string? error, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "UPDATE sms_replies SET status = @s, attempts = attempts + @a, provider_message_id = COALESCE(provider_message_id, @p), error = COALESCE(@e, error), " +
            "lease_until = NULL, updated_at = @now WHERE id = @id AND (@i IS NULL OR channel_instance = @i) AND status = ANY(@from) " +
            "AND (@p IS NULL OR provider_message_id IS NULL OR provider_message_id = @p) RETURNING case_id", conn);
        cmd.Parameters.Add(Sql.Text("s", status));
        cmd.Parameters.Add(new NpgsqlParameter<int>("a", addAttempts));
        cmd.Parameters.Add(Sql.Text("p", providerMessageId));
        cmd.Parameters.Add(Sql.Text("e", error));
        cmd.Parameters.Add(Sql.Ts("now", time.GetUtcNow()));
        cmd.Parameters.Add(Sql.Text("id", replyId));
        cmd.Parameters.Add(Sql.Text("i", instance));
        cmd.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = SmsReplyStates.MovableTo(status).ToArray() });
        if (await cmd.ExecuteScalarAsync(ct) is string caseId)
        {
            return (true, true, caseId);
        }

        await using var look = new NpgsqlCommand("SELECT case_id FROM sms_replies WHERE id = @id AND (@i IS NULL OR channel_instance = @i)", conn);
        look.Parameters.Add(Sql.Text("id", replyId));
        look.Parameters.Add(Sql.Text("i", instance));
        return await look.ExecuteScalarAsync(ct) is string existing ? (true, false, existing) : (false, false, null);
    }

    private static async Task<SmsTarget?> SmsTargetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string caseId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {SmsTargetColumns} FROM reports " +
            "WHERE case_id = @c AND envelope ->> 'channel' = 'sms' AND envelope -> 'reporter' ? 'contactRef' ORDER BY id DESC LIMIT 1", conn, tx);
        cmd.Parameters.Add(Sql.Text("c", caseId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadSmsTarget(r) : null;
    }

    /// <summary>The target from <see cref="SmsTargetColumns"/>; null when the report holds no sealed number.</summary>
    private static SmsTarget? ReadSmsTarget(NpgsqlDataReader r) =>
        r.IsDBNull(4) ? null : new SmsTarget(r.GetString(0), r.GetString(1), S(r, 2), S(r, 3), r.GetString(4));

    private static SmsReplyRow ReadSmsReply(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetString(5), r.GetInt32(6), r.GetFieldValue<DateTimeOffset>(7),
        r.GetString(8), r.GetInt32(9), S(r, 10), S(r, 11), r.GetFieldValue<DateTimeOffset>(12));
}

/// <summary>
/// An SMS reply's states and the one rule between them: forward only. <c>queued</c> and <c>sending</c> are the hub's;
/// <c>accepted</c> the provider took it; <c>sent</c> it went to the carrier; then one final state.
/// </summary>
public static class SmsReplyStates
{
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Accepted = "accepted";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Undelivered = "undelivered";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Queued, Sending, Accepted, Sent, Delivered, Undelivered, Failed];

    public static bool IsFinal(string status) => status is Delivered or Undelivered or Failed;

    /// <summary>The states a reply may move to <paramref name="status"/> from. Back to <c>queued</c> only from <c>sending</c> (a send to retry later).</summary>
    public static IEnumerable<string> MovableTo(string status) => status switch
    {
        Queued => [Sending],
        Accepted => [Queued, Sending],
        Sent => [Queued, Sending, Accepted],
        Delivered or Undelivered or Failed => [Queued, Sending, Accepted, Sent],
        _ => [],
    };
}
