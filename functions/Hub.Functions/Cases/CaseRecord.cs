using Hub.Core.Cases;

namespace Hub.Functions.Cases;

/// <summary>One case as stored: the report-derived fields (which follow the opening report's revisions) and the case's own.</summary>
public sealed record CaseRecord
{
    /// <summary>The case's id: the id (a ULID, so it sorts by time) of the report that opened it.</summary>
    public required string Id { get; init; }

    /// <summary>The opening report's channel instance.</summary>
    public required string ChannelInstance { get; init; }

    /// <summary>The opening report's provider message id.</summary>
    public required string ProviderMessageId { get; init; }

    public required string ReferenceCode { get; init; }

    public required string Channel { get; init; }

    public required string Urgency { get; init; }

    public IReadOnlyList<string> Categories { get; init; } = [];

    public string? ProvinceCode { get; init; }

    public string? ReporterPseudonym { get; init; }

    /// <summary>The opening report's revision.</summary>
    public int Revision { get; init; } = 1;

    public CaseStatus Status { get; init; } = CaseStatus.New;

    /// <summary>The team that owns the case (always one).</summary>
    public string TeamId { get; init; } = string.Empty;

    /// <summary>The person who owns it, from <c>open</c> on.</summary>
    public long? OwnerId { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>The opening report's latest <c>hub.report/v1</c> envelope.</summary>
    public required string Envelope { get; init; }

    /// <summary>The status as stored and shown (<c>new</c>, <c>open</c>…).</summary>
    public static string StatusName(CaseStatus status) => CaseLifecycle.Name(status);
}
