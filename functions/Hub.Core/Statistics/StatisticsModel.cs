namespace Hub.Core.Statistics;

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
/// Which cases a statistic counts: those received on Vietnamese days <see cref="From"/> to <see cref="To"/> (both
/// included), optionally in one province (<c>unknown</c> for none) and on one channel.
/// </summary>
public sealed record StatsFilter(DateOnly From, DateOnly To, string? Province = null, string? Channel = null);

/// <summary>
/// Whose cases a reader's statistics cover: every case (analysts, the central team, administrators' tools), or a
/// team's: the cases its teams hold and the cases of its provinces (a provincial supervisor sees their province).
/// </summary>
public sealed record StatsScope(bool All, IReadOnlyList<string> Teams, IReadOnlyList<string> Provinces)
{
    public static StatsScope Everything { get; } = new(true, [], []);
}

/// <summary>A part of a whole: the programme's indicators, the shares within a deadline.</summary>
public sealed record Share(long Part, long Of)
{
    /// <summary>Part ÷ Of, or null when there is nothing to divide by.</summary>
    public double? Rate => Of == 0 ? null : (double)Part / Of;
}

/// <summary>A count under a key (a close reason, a channel, a bucket of times).</summary>
public sealed record Count(string Key, long N);

/// <summary>How long something took: how many were measured, the median and 90th percentile (seconds: the lower bound of the measured value's bucket — the minute under an hour, ten minutes under a day, docs/statistics.md#speed), and the share on time.</summary>
public sealed record Durations(long Measured, long? P50Seconds, long? P90Seconds, Share? OnTime);

/// <summary>
/// Decision 830's two indicators (§I.2b–c), each with its definition in docs/statistics.md#indicators:
/// <see cref="ChildVictimsSupported"/> — of the cases with a child victim, those that received support or intervention;
/// <see cref="ViolatorsHandled"/> — of the reported violators (accounts, URLs), those handled.
/// </summary>
public sealed record Indicators(Share ChildVictimsSupported, Share ViolatorsHandled);

public sealed record Timeliness(
    Durations FirstResponse,
    long AwaitingResponse,
    long ResponseOverdueNow,
    IReadOnlyList<Count> ResponseDistribution,
    Durations FirstReferral,
    Durations ReferralAcknowledgement,
    long InterventionDue,
    long InterventionMet,
    long InterventionMissed,
    long InterventionPending,
    long InterventionOverdueNow);

/// <summary>Takedowns of one platform: requested, confirmed by it, removed, and the time from request to removal.</summary>
public sealed record TakedownRow(string Platform, long Requested, long Confirmed, long Removed, long? P50RemovalSeconds, long? P90RemovalSeconds);

public sealed record Outcomes(
    long Closed,
    IReadOnlyList<Count> CloseReasons,
    IReadOnlyList<Count> ReferralStates,
    IReadOnlyList<Count> ReferralOutcomes,
    IReadOnlyList<TakedownRow> Takedowns,
    long KnownMaterialCases,
    IReadOnlyList<Count> KnownMaterialByBank);

/// <summary>One team's work on the period's cases: received, closed, still open.</summary>
public sealed record TeamWork(string Team, long Cases, long Closed, long Open);

/// <summary>One person's cases of the period: owned and open now, closed. Only a supervisor sees these, for their teams.</summary>
public sealed record PersonWork(long UserId, string Name, long Open, long Closed);

public sealed record Operations(
    long CallbacksCreated,
    long CallbacksDone,
    Durations CallbackTime,
    long CallbacksOverdueNow,
    long Handoffs,
    long HandoffsAnswered,
    Durations HandoffWait,
    long RepeatReporters,
    long RepeatReporterCases,
    IReadOnlyList<TeamWork> Teams,
    IReadOnlyList<PersonWork> People);

/// <summary>One province's cases and its support indicator (the province table orders by the indicator, lowest first).</summary>
public sealed record ProvinceRow(string Province, long Cases, long ChildVictimCases, long Supported)
{
    public Share Support => new(Supported, ChildVictimCases);
}

/// <summary>Everything the Thống kê page shows and its exports carry, for one filter and scope, at one moment.</summary>
public sealed record Dashboard(
    StatsFilter Filter,
    DateTimeOffset At,
    long Cases,
    long Reports,
    Indicators Indicators,
    Timeliness Timeliness,
    Outcomes Outcomes,
    Operations Operations,
    StatsBucket SeriesBucket,
    IReadOnlyList<VolumeRow> Series,
    IReadOnlyList<ProvinceRow> Provinces,
    IReadOnlyDictionary<StatsDimension, IReadOnlyList<Count>> Breakdowns);
