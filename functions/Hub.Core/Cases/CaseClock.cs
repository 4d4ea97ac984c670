using Hub.Core.Envelope;

namespace Hub.Core.Cases;

/// <summary>
/// First-response targets per urgency (configurable, <c>Hub:Cases:FirstResponse</c>) and Decree 56 Art. 26.3's
/// 12-hour deadline for emergency measures when a child is in serious danger (urgency <c>immediate</c>).
/// </summary>
public sealed class CaseClockOptions
{
    public TimeSpan Immediate { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan High { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan Normal { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan Low { get; set; } = TimeSpan.FromHours(72);

    /// <summary>Decree 56/2017 Art. 26.3: emergency intervention within 12 hours of receiving the information.</summary>
    public TimeSpan Intervention { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>The clocks of one case, all counted from when the report was received (not from when it was processed).</summary>
public static class CaseClock
{
    /// <summary>Queue order: the lower, the sooner (immediate 0 … low 3).</summary>
    public static short Rank(string urgency) => urgency switch
    {
        Urgencies.Immediate => 0,
        Urgencies.High => 1,
        Urgencies.Normal => 2,
        _ => 3,
    };

    public static DateTimeOffset FirstResponseDue(DateTimeOffset receivedAt, string urgency, CaseClockOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return receivedAt + urgency switch
        {
            Urgencies.Immediate => o.Immediate,
            Urgencies.High => o.High,
            Urgencies.Normal => o.Normal,
            _ => o.Low,
        };
    }

    /// <summary>Only a child in serious danger (<c>immediate</c>) carries the 12-hour intervention deadline.</summary>
    public static DateTimeOffset? InterventionDue(DateTimeOffset receivedAt, string urgency, CaseClockOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return urgency == Urgencies.Immediate ? receivedAt + o.Intervention : null;
    }

    /// <summary>Whether a clock has run out at <paramref name="now"/> without the step it waits for.</summary>
    public static bool IsOverdue(DateTimeOffset? due, DateTimeOffset? done, DateTimeOffset now) =>
        due is { } d && done is null && now > d;
}
