namespace Hub.Functions.Cases;

/// <summary>Where a case is in its handling. Today every case starts (and stays) <c>new</c>: the lifecycle comes with the case service.</summary>
public enum CaseStatus
{
    /// <summary>In a team's queue; nobody owns it yet. Stored and shown as <c>new</c>.</summary>
    New,
}

/// <summary>One case as stored: the report-derived fields (which follow the envelope's revisions) and the case's own.</summary>
public sealed record CaseRecord
{
    /// <summary>The case's id: the id (a ULID, so it sorts by time) of the report that opened it.</summary>
    public required string Id { get; init; }

    public required string ChannelInstance { get; init; }

    public required string ProviderMessageId { get; init; }

    public required string ReferenceCode { get; init; }

    public required string Channel { get; init; }

    public required string Urgency { get; init; }

    public IReadOnlyList<string> Categories { get; init; } = [];

    public string? ProvinceCode { get; init; }

    public string? ReporterPseudonym { get; init; }

    public int Revision { get; init; } = 1;

    public CaseStatus Status { get; init; } = CaseStatus.New;

    public DateTimeOffset ReceivedAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>The latest revision's <c>hub.report/v1</c> envelope, as it was on the queue.</summary>
    public required string Envelope { get; init; }

    /// <summary>The status as stored and shown (<c>new</c>).</summary>
    public static string StatusName(CaseStatus status) => status switch
    {
        CaseStatus.New => "new",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static CaseStatus ParseStatus(string? name) => name switch
    {
        "new" or null => CaseStatus.New,
        _ => throw new InvalidDataException($"unknown case status '{name}'"),
    };
}
