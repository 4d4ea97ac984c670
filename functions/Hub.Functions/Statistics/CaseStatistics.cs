using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Npgsql;

namespace Hub.Functions.Statistics;

/// <summary>How cases are counted into periods, in Vietnam's time (UTC+7, no daylight saving).</summary>
public enum StatsBucket
{
    Day,
    Week,
    Month,
    Year,
}

/// <summary>What a volume is broken down by.</summary>
public enum StatsDimension
{
    Channel,
    ChannelInstance,
    Province,
    Category,
    Urgency,
    ReporterRole,
    AgeBand,
}

/// <summary>One cell of a volume: the period's first day (in Vietnam), the key (a channel, a province code…), the number of cases.</summary>
public sealed record VolumeRow(DateOnly Period, string Key, long Cases);

/// <summary>
/// The programme's statistics, computed with SQL from the case store (issue 19, started; docs/statistics.md). Counts
/// are of **cases** (one per child's situation: revisions of a report and follow-ups attached to the case count once),
/// by the time the case's first report was received, in <c>Asia/Ho_Chi_Minh</c>: a report at 23:30 UTC on 31 January
/// is a February case. <paramref name="from"/> and <paramref name="to"/> are Vietnamese calendar days, both included.
/// </summary>
public sealed class CaseStatistics(CaseDatabase database)
{
    public const string Zone = "Asia/Ho_Chi_Minh";

    public async Task<IReadOnlyList<VolumeRow>> VolumesAsync(DateOnly from, DateOnly to, StatsBucket bucket, StatsDimension by, CancellationToken ct)
    {
        if (to < from)
        {
            throw new CaseOperationException(CaseProblem.Invalid, "a period ends on or after the day it starts");
        }

        var key = by switch
        {
            StatsDimension.Channel => "c.channel",
            StatsDimension.ChannelInstance => "c.channel_instance",
            StatsDimension.Province => "COALESCE(c.province_code, 'unknown')",
            StatsDimension.Category => "COALESCE(k.category, 'unclassified')",
            StatsDimension.Urgency => "c.urgency",
            StatsDimension.ReporterRole => "COALESCE(r.envelope -> 'reporter' ->> 'role', 'unknown')",
            _ => "COALESCE(r.envelope -> 'reporter' ->> 'ageBand', 'unknown')",
        };
        var join = by switch
        {
            StatsDimension.Category => "LEFT JOIN LATERAL unnest(CASE WHEN cardinality(c.categories) = 0 THEN NULL ELSE c.categories END) AS k(category) ON true",
            StatsDimension.ReporterRole or StatsDimension.AgeBand => "JOIN reports r ON r.id = c.id", // the report that opened the case
            _ => string.Empty,
        };
        var unit = bucket switch
        {
            StatsBucket.Day => "day",
            StatsBucket.Week => "week",
            StatsBucket.Month => "month",
            _ => "year",
        };
        var db = await database.GetAsync(ct);
        await using var cmd = db.CreateCommand(
            $"""
            SELECT date_trunc('{unit}', c.received_at AT TIME ZONE '{Zone}')::date AS period, {key} AS key, count(*)
            FROM cases c {join}
            WHERE c.received_at >= (@from::timestamp AT TIME ZONE '{Zone}') AND c.received_at < ((@to::timestamp + interval '1 day') AT TIME ZONE '{Zone}')
            GROUP BY 1, 2 ORDER BY 1, 2
            """);
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("from", from.ToDateTime(TimeOnly.MinValue)));
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("to", to.ToDateTime(TimeOnly.MinValue)));
        var rows = new List<VolumeRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            rows.Add(new VolumeRow(DateOnly.FromDateTime(r.GetDateTime(0)), r.GetString(1), r.GetInt64(2)));
        }

        return rows;
    }
}
