using Hub.Core.Cases;
using Hub.Functions.Cases.Database;

namespace Hub.Functions.Cases;

/// <summary>The queue's head: waiting cases per channel, and the chats handed to a person that nobody has taken yet.</summary>
public sealed partial class CaseService
{
    private static readonly string[] Waiting = ["new", "reopened"];

    /// <summary>Per channel, the cases in scope waiting for someone to take them (new or reopened) and the oldest one's arrival.</summary>
    public async Task<IReadOnlyList<(string Channel, int Waiting, DateTimeOffset Oldest)>> WaitingByChannelAsync(Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var where = new List<string> { "c.status = ANY(@waiting)" };
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand();
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter<string[]>("waiting", Waiting));
        AddScope(actor, where, cmd);
        cmd.CommandText = $"SELECT c.channel, count(*)::int, min(c.received_at) FROM cases c WHERE {string.Join(" AND ", where)} GROUP BY c.channel";
        var list = new List<(string, int, DateTimeOffset)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add((r.GetString(0), r.GetInt32(1), r.GetFieldValue<DateTimeOffset>(2)));
        }

        return list;
    }

    /// <summary>Cases in scope nobody has taken whose chatbot handed the conversation to a person, longest waiting first (V005).</summary>
    public async Task<IReadOnlyList<(CaseSummary Case, DateTimeOffset Since)>> WaitingChatsAsync(Actor actor, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var where = new List<string> { "c.status = ANY(@waiting)" };
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand();
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter<string[]>("waiting", Waiting));
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter<int>("n", Math.Clamp(limit, 1, 200)));
        AddScope(actor, where, cmd);
        cmd.CommandText =
            $"SELECT {SummaryColumns}, h.since FROM cases c JOIN LATERAL (SELECT min(x.received_at) AS since FROM reports x " +
            "WHERE x.case_id = c.id AND (x.envelope -> 'signals' ->> 'handoff') = 'true') h ON h.since IS NOT NULL " +
            $"WHERE {string.Join(" AND ", where)} ORDER BY h.since, c.id LIMIT @n";
        var list = new List<(CaseSummary, DateTimeOffset)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add((ReadSummary(r, 0), r.GetFieldValue<DateTimeOffset>(17)));
        }

        return list;
    }

    /// <summary>For the metrics: every chat handed to a person that nobody has taken yet, and the oldest handoff's time (no actor: counts only).</summary>
    public async Task<(long Waiting, DateTimeOffset? Since)> WaitingChatsCountAsync(CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(
            "SELECT count(*), min(h.since) FROM cases c JOIN LATERAL (SELECT min(x.received_at) AS since FROM reports x " +
            "WHERE x.case_id = c.id AND (x.envelope -> 'signals' ->> 'handoff') = 'true') h ON h.since IS NOT NULL WHERE c.status = ANY(@waiting)");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter<string[]>("waiting", Waiting));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1));
    }
}
