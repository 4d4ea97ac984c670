using Hub.Core.Routing;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases.Database;

/// <summary>
/// Cases in PostgreSQL. A new report is one statement (one round trip): insert its <c>reports</c> row (the unique
/// (channel instance, provider message id) is the idempotency check) and, unless it follows an open case, its case
/// in the owning team's queue with its clocks, its <c>created</c> history row, and a call-back task for a missed
/// call. A higher revision updates the report and the case's report-derived columns in one statement; the row lock
/// and the <c>revision &lt; @rev</c> condition make racing revisions end at the highest. Operator-owned columns
/// (status, team, owner, clocks already running) are never written here.
/// </summary>
public sealed class PostgresCaseStore(CaseDatabase database, IOptions<HubOptions> options, TimeProvider time, Hashing.HashMatcher? matcher = null) : ICaseStore
{
    public const string CentralTeam = "central-111";

    internal const string Columns =
        "c.id, r0.channel_instance, r0.provider_message_id, c.reference_code, c.channel, c.urgency, c.categories, c.province_code, " +
        "c.reporter_pseudonym, r0.revision, c.status, c.team_id, c.owner_id, c.received_at, c.created_at, c.updated_at, r0.envelope::text";

    private const string SelectCase = "SELECT " + Columns + " FROM cases c JOIN reports r0 ON r0.id = c.id ";

    private const string InsertSql = """
        WITH blocked AS (
          SELECT reason FROM reporter_blocks
          WHERE @pseudonym IS NOT NULL AND pseudonym = @pseudonym AND lifted_at IS NULL AND expires_at > @now
          ORDER BY expires_at DESC LIMIT 1),
        parent AS (
          SELECT c.id, c.status FROM reports r JOIN cases c ON c.id = r.case_id
          WHERE @follow IS NOT NULL AND r.reference_code = @follow
          ORDER BY r.id LIMIT 1),
        rep AS (
          INSERT INTO reports (id, case_id, channel_instance, provider_message_id, reference_code, revision, received_at, created_at, envelope)
          VALUES (@id, COALESCE((SELECT id FROM parent WHERE status <> 'closed'), @id), @instance, @mid, @code, @rev, @received, @now, @envelope::jsonb)
          ON CONFLICT (channel_instance, provider_message_id) DO NOTHING
          RETURNING case_id),
        new_case AS (
          INSERT INTO cases (id, reference_code, channel, channel_instance, urgency, categories, province_code, reporter_pseudonym,
                             received_at, created_at, team_id, queue_rank, low_priority_reason, first_response_due, intervention_due,
                             routing_rule, proposed_referrals)
          SELECT @id, @code, @channel, @instance, @urgency, @categories, @province, @pseudonym, @received, @now,
                 COALESCE((SELECT t.id FROM teams t WHERE t.id = @team), (SELECT t.id FROM teams t WHERE t.province_code = @province), @central),
                 CASE WHEN EXISTS (SELECT 1 FROM blocked) THEN 3 ELSE @rank END,
                 (SELECT 'blocked reporter: ' || reason FROM blocked),
                 @first_due, @intervention_due, @rule, @proposed
          FROM rep WHERE rep.case_id = @id
          RETURNING id, team_id),
        created AS (
          INSERT INTO case_history (case_id, at, action, to_status, to_team, reason)
          SELECT id, @now, 'created', 'new', team_id,
                 concat_ws('; ', CASE WHEN team_id = @team THEN @routing ELSE @routing || ' (team ' || @team || ' does not exist: ' || team_id || ')' END,
                           (SELECT 'blocked reporter: ' || reason FROM blocked))
          FROM new_case),
        attached AS (
          INSERT INTO case_history (case_id, at, action, reason)
          SELECT case_id, @now, 'follow-up', 'report ' || @id FROM rep WHERE rep.case_id <> @id),
        linked AS (
          INSERT INTO case_links (case_id, other_case_id, kind, reason, created_at)
          SELECT n.id, p.id, 'related', 'follow-up of a closed case', @now FROM parent p, new_case n WHERE p.status = 'closed'),
        callback AS (
          INSERT INTO callback_tasks (case_id, contact_ref, created_at, due_at)
          SELECT case_id, @contact, @now, @callback_due FROM rep WHERE @missed AND @contact IS NOT NULL
          ON CONFLICT DO NOTHING)
        SELECT (SELECT count(*) FROM rep), (SELECT count(*) FROM new_case)
        """;

    private const string ReviseSql = """
        WITH r AS (
          UPDATE reports SET revision = @rev, envelope = @envelope::jsonb, reference_code = @code, updated_at = @now
          WHERE channel_instance = @instance AND provider_message_id = @mid AND revision < @rev
          RETURNING id, case_id),
        c AS (
          UPDATE cases SET urgency = CASE WHEN classified_at IS NULL THEN @urgency ELSE urgency END,
                 categories = CASE WHEN classified_at IS NULL THEN @categories ELSE categories END,
                 province_code = CASE WHEN classified_at IS NULL THEN @province ELSE province_code END, reporter_pseudonym = @pseudonym,
                 reference_code = @code,
                 queue_rank = CASE WHEN low_priority_reason IS NULL THEN LEAST(queue_rank, @rank) ELSE queue_rank END,
                 first_response_due = LEAST(first_response_due, @first_due),
                 intervention_due = COALESCE(intervention_due, @intervention_due),
                 updated_at = @now, version = version + 1
          FROM r WHERE cases.id = r.case_id AND r.id = r.case_id
          RETURNING 1),
        h AS (
          INSERT INTO case_history (case_id, at, action, reason) SELECT case_id, @now, 'revision', 'revision ' || @rev FROM r),
        callback AS (
          INSERT INTO callback_tasks (case_id, contact_ref, created_at, due_at)
          SELECT case_id, @contact, @now, @callback_due FROM r WHERE @missed AND @contact IS NOT NULL
          ON CONFLICT DO NOTHING)
        SELECT count(*) FROM r
        """;

    private CasesOptions O => options.Value.Cases;

    public async Task<ProcessOutcome> WriteAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        using var span = Telemetry.HubTelemetry.Source.StartActivity("case write");
        span?.SetTag("hub.report_channel", envelope.Channel);
        var source = await database.GetAsync(ct);
        var now = time.GetUtcNow();
        await using (var insert = source.CreateCommand(InsertSql))
        {
            await BindInsertAsync(source, insert.Parameters, envelope, envelopeJson, now, ct);
            await using var r = await insert.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            var inserted = r.GetInt64(0);
            var created = r.GetInt64(1);
            if (inserted > 0)
            {
                return created > 0 ? ProcessOutcome.Created : ProcessOutcome.Attached;
            }
        }

        return await ReviseAsync(source, envelope, envelopeJson, now, ct);
    }

    /// <summary>
    /// A batch message's envelopes: their hash-bank lookups (in memory; a round trip only to record a match), then every
    /// insert in one <see cref="NpgsqlBatch"/> — one round trip and one implicit transaction, in key order so that two
    /// batches sharing reports cannot deadlock — and a revise for each higher revision that found its report.
    /// </summary>
    public async Task<IReadOnlyList<ProcessOutcome>> WriteManyAsync(IReadOnlyList<(ReportEnvelope Envelope, string Json)> envelopes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelopes);
        var outcomes = new ProcessOutcome[envelopes.Count];
        if (envelopes.Count == 0)
        {
            return outcomes;
        }

        using var span = Telemetry.HubTelemetry.Source.StartActivity("case write batch");
        span?.SetTag("hub.items", envelopes.Count);
        var source = await database.GetAsync(ct);
        var now = time.GetUtcNow();
        var order = Enumerable.Range(0, envelopes.Count)
            .OrderBy(i => envelopes[i].Envelope.ChannelInstance, StringComparer.Ordinal)
            .ThenBy(i => envelopes[i].Envelope.Source.ProviderMessageId, StringComparer.Ordinal)
            .ToArray();
        await using (var batch = source.CreateBatch())
        {
            foreach (var i in order)
            {
                var command = new NpgsqlBatchCommand(InsertSql);
                await BindInsertAsync(source, command.Parameters, envelopes[i].Envelope, envelopes[i].Json, now, ct);
                batch.BatchCommands.Add(command);
            }

            await using var r = await batch.ExecuteReaderAsync(ct);
            foreach (var i in order)
            {
                await r.ReadAsync(ct);
                var inserted = r.GetInt64(0);
                var created = r.GetInt64(1);
                outcomes[i] = inserted > 0 ? (created > 0 ? ProcessOutcome.Created : ProcessOutcome.Attached) : ProcessOutcome.Duplicate;
                await r.NextResultAsync(ct);
            }
        }

        foreach (var i in order)
        {
            if (outcomes[i] == ProcessOutcome.Duplicate && (envelopes[i].Envelope.Revision ?? 1) > 1)
            {
                outcomes[i] = await ReviseAsync(source, envelopes[i].Envelope, envelopes[i].Json, now, ct);
            }
        }

        return outcomes;
    }

    /// <summary>The insert's parameters: the case as routed, after its evidence is looked up in the hash banks.</summary>
    private async Task BindInsertAsync(NpgsqlDataSource source, NpgsqlParameterCollection parameters, ReportEnvelope envelope, string envelopeJson, DateTimeOffset now, CancellationToken ct)
    {
        var known = await KnownMaterialAsync(source, envelope, now, ct);
        var asCase = known.Count == 0 ? envelope : envelope with
        {
            // Known abuse material: at least high, whatever the words said (docs/hash-bank.md#matching).
            Signals = envelope.Signals with
            {
                Urgency = CaseClock.Rank(envelope.Signals.Urgency) > CaseClock.Rank(Urgencies.High) ? Urgencies.High : envelope.Signals.Urgency,
                Reasons = [.. envelope.Signals.Reasons, "known-material"],
            },
        };
        Bind(parameters, asCase, envelopeJson, now);
        parameters.Add(Sql.Text("follow", envelope.Source.FollowUpOf));
        parameters.Add(Sql.Text("channel", envelope.Channel));
        parameters.Add(Sql.Text("central", CentralTeam));
        parameters.Add(Sql.Ts("received", envelope.ReceivedAt));
        parameters.Add(Sql.Text("id", envelope.Id));
        var routing = Route(asCase, known.Count > 0);
        parameters.Add(Sql.Text("team", routing.Team));
        parameters.Add(Sql.Text("rule", routing.Rule));
        parameters.Add(new NpgsqlParameter<string[]>("proposed", routing.ProposedReferrals.ToArray()));
        parameters.Add(Sql.Text("routing", Describe(routing) + (known.Count == 0 ? string.Empty
            : "; known material: " + string.Join(", ", known.Select(m => $"{m.Bank} ({m.Classification}, {m.Type}{(m.Type == "pdq" ? " distance " + m.Distance.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)})").Distinct(StringComparer.Ordinal))
              + ProposedTakedown(envelope))));
    }

    private async Task<ProcessOutcome> ReviseAsync(NpgsqlDataSource source, ReportEnvelope envelope, string envelopeJson, DateTimeOffset now, CancellationToken ct)
    {
        if ((envelope.Revision ?? 1) <= 1)
        {
            return ProcessOutcome.Duplicate;
        }

        await using var revise = source.CreateCommand(ReviseSql);
        Bind(revise.Parameters, envelope, envelopeJson, now);
        var updated = (long)(await revise.ExecuteScalarAsync(ct))!;
        return updated > 0 ? ProcessOutcome.Updated : ProcessOutcome.Duplicate;
    }

    public async Task<CaseRecord?> FindAsync(string channelInstance, string providerMessageId, CancellationToken ct) =>
        await QuerySingleAsync(
            SelectCase + "WHERE c.id = (SELECT case_id FROM reports WHERE channel_instance = @i AND provider_message_id = @m)",
            [Sql.Text("i", channelInstance), Sql.Text("m", providerMessageId)],
            ct);

    public async Task<CaseRecord?> FindByReferenceCodeAsync(string referenceCode, CancellationToken ct) =>
        await QuerySingleAsync(
            SelectCase + "WHERE c.id = (SELECT case_id FROM reports WHERE reference_code = @code ORDER BY id LIMIT 1)",
            [Sql.Text("code", referenceCode)],
            ct);

    public async Task<CaseRecord?> GetAsync(string id, CancellationToken ct) =>
        await QuerySingleAsync(SelectCase + "WHERE c.id = @id", [Sql.Text("id", id)], ct);

    public async Task<IReadOnlyList<CaseRecord>> ListRecentAsync(int count, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(SelectCase + "ORDER BY c.id DESC LIMIT @n");
        cmd.Parameters.Add(new NpgsqlParameter<long>("n", Math.Max(0, (long)count)));
        var list = new List<CaseRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(Read(r));
        }

        return list;
    }

    public async Task CheckAsync(CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand("SELECT 1 FROM cases LIMIT 1");
        await cmd.ExecuteScalarAsync(ct);
    }

    /// <summary>Reads one row of <see cref="Columns"/>.</summary>
    internal static CaseRecord Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetString(0),
        ChannelInstance = r.GetString(1),
        ProviderMessageId = r.GetString(2),
        ReferenceCode = r.GetString(3),
        Channel = r.GetString(4),
        Urgency = r.GetString(5),
        Categories = r.GetFieldValue<string[]>(6),
        ProvinceCode = r.IsDBNull(7) ? null : r.GetString(7),
        ReporterPseudonym = r.IsDBNull(8) ? null : r.GetString(8),
        Revision = r.GetInt32(9),
        Status = CaseLifecycle.ParseStatus(r.GetString(10)),
        TeamId = r.GetString(11),
        OwnerId = r.IsDBNull(12) ? null : r.GetInt64(12),
        ReceivedAt = r.GetFieldValue<DateTimeOffset>(13),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(14),
        UpdatedAt = r.IsDBNull(15) ? null : r.GetFieldValue<DateTimeOffset>(15),
        Envelope = r.GetString(16),
    };

    private async Task<CaseRecord?> QuerySingleAsync(string sql, NpgsqlParameter[] parameters, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(sql);
        cmd.Parameters.AddRange(parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    /// <summary>The routing decision for a new case (docs/routing.md); <paramref name="knownMaterial"/>: its evidence matched a hash bank.</summary>
    internal RoutingDecision Route(ReportEnvelope e, bool knownMaterial = false)
    {
        using var span = Telemetry.HubTelemetry.Source.StartActivity("route");
        var decision = Router.Decide(options.Value.Routing.Effective, new RoutingInput(e.Location?.ProvinceCode, e.Incident.Categories, e.Channel, e.Signals.Urgency, knownMaterial));
        span?.SetTag("hub.team", decision.Team);
        span?.SetTag("hub.rule", decision.Rule);
        return decision;
    }

    /// <summary>
    /// The report's evidence hashes looked up in the banks, and each match recorded (idempotently, before the case is
    /// written: a retried report keeps its matches). None without a matcher (unit tests of the store alone).
    /// </summary>
    private async Task<IReadOnlyList<Hashing.HashMatch>> KnownMaterialAsync(NpgsqlDataSource source, ReportEnvelope e, DateTimeOffset now, CancellationToken ct)
    {
        if (matcher is null || e.Evidence.Count == 0)
        {
            return [];
        }

        using var span = Telemetry.HubTelemetry.Source.StartActivity("hash match");
        span?.SetTag("hub.evidence_items", e.Evidence.Count);

        var all = new List<(string Sha256, Hashing.HashMatch Match)>();
        foreach (var item in e.Evidence)
        {
            var queries = new List<Hashing.HashQuery>();
            void Add(string type, string? value, int? quality = null)
            {
                if (value is not null)
                {
                    queries.Add(new Hashing.HashQuery(type, value, quality));
                }
            }

            Add("md5", item.Md5);
            Add("sha1", item.Sha1);
            Add("sha256", item.Sha256);
            Add("pdq", item.Pdq, item.PdqQuality);
            if (queries.Count > 0)
            {
                all.AddRange((await matcher.MatchAsync(queries, ct)).Select(m => (item.Blob is null ? string.Empty : item.Sha256 ?? string.Empty, m)));
            }
        }

        if (all.Count == 0)
        {
            return [];
        }

        await using var batch = source.CreateBatch();
        foreach (var (sha, m) in all)
        {
            var cmd = new NpgsqlBatchCommand(
                "INSERT INTO case_hash_matches (report_id, evidence_sha256, entry_id, bank, classification, hash_type, distance, matched_at) VALUES (@r, @s, @e, @b, @c, @t, @d, @now) ON CONFLICT DO NOTHING");
            cmd.Parameters.Add(Sql.Text("r", e.Id));
            cmd.Parameters.Add(Sql.Text("s", sha));
            cmd.Parameters.Add(new NpgsqlParameter<long>("e", m.Entry));
            cmd.Parameters.Add(Sql.Text("b", m.Bank));
            cmd.Parameters.Add(Sql.Text("c", m.Classification));
            cmd.Parameters.Add(Sql.Text("t", m.Type));
            cmd.Parameters.Add(new NpgsqlParameter<int>("d", m.Distance));
            cmd.Parameters.Add(Sql.Ts("now", now));
            batch.BatchCommands.Add(cmd);
        }

        await batch.ExecuteNonQueryAsync(ct);
        return [.. all.Select(a => a.Match)];
    }

    /// <summary>
    /// For known material a platform reported with the URLs where it is: the takedown the case page proposes (the
    /// request itself is a person's decision: the case's owner or a supervisor sends it from the page).
    /// </summary>
    internal static string ProposedTakedown(ReportEnvelope e)
    {
        if (e.Channel != "platform")
        {
            return string.Empty;
        }

        var urls = e.Incident.Urls.Concat(e.Evidence.Where(x => x.HeldBy is not null && x.SourceUrl is not null).Select(x => x.SourceUrl!)).Distinct(StringComparer.Ordinal).Count();
        return urls == 0 ? string.Empty : $"; proposed takedown: {e.ChannelInstance} ({urls.ToString(System.Globalization.CultureInfo.InvariantCulture)} URL(s))";
    }

    /// <summary>The decision as the case's history says it: the rule and what it proposes, or that no rule matched.</summary>
    internal static string Describe(RoutingDecision d) =>
        d.Rule is null
            ? "routing: no rule matched, the central team"
            : "routing: rule " + d.Rule + (d.ProposedReferrals.Count == 0 ? "" : "; proposed referrals " + string.Join(", ", d.ProposedReferrals));

    private void Bind(NpgsqlParameterCollection parameters, ReportEnvelope e, string envelopeJson, DateTimeOffset now)
    {
        var urgency = e.Signals.Urgency;
        var missed = e.Signals.Reasons.Contains("call:missed", StringComparer.Ordinal);
        parameters.Add(Sql.Text("instance", e.ChannelInstance));
        parameters.Add(Sql.Text("mid", e.Source.ProviderMessageId));
        parameters.Add(Sql.Text("code", e.ReferenceCode));
        parameters.Add(new NpgsqlParameter<int>("rev", e.Revision ?? 1));
        parameters.Add(Sql.Text("envelope", envelopeJson));
        parameters.Add(Sql.Text("urgency", urgency));
        parameters.Add(new NpgsqlParameter<string[]>("categories", e.Incident.Categories.ToArray()));
        parameters.Add(Sql.Text("province", e.Location?.ProvinceCode));
        parameters.Add(Sql.Text("pseudonym", e.Reporter.Pseudonym));
        parameters.Add(new NpgsqlParameter<short>("rank", CaseClock.Rank(urgency)));
        parameters.Add(Sql.Ts("first_due", CaseClock.FirstResponseDue(e.ReceivedAt, urgency, O.Clock)));
        parameters.Add(new NpgsqlParameter("intervention_due", NpgsqlDbType.TimestampTz) { Value = (object?)CaseClock.InterventionDue(e.ReceivedAt, urgency, O.Clock)?.ToUniversalTime() ?? DBNull.Value });
        parameters.Add(Sql.Ts("now", now));
        parameters.Add(new NpgsqlParameter<bool>("missed", missed));
        parameters.Add(Sql.Text("contact", e.Reporter.ContactRef));
        parameters.Add(Sql.Ts("callback_due", now + O.CallbackDue));
    }
}
