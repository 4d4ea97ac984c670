using System.Text.Json.Serialization;

namespace Hub.Core.Platform;

/// <summary>
/// A platform's report, <c>POST /api/platform/v1/reports</c>: the contract pinned by
/// schemas/platform.report.v1.schema.json (which is what validates it) and documented in docs/platform-api.md.
/// Modelled on NCMEC's CyberTipline report (docs/taxonomy.md#platform; report.cybertip.org/ispws/documentation).
/// </summary>
/// <remarks>
/// Lists normalise null to empty in their setters: the source-generated deserializer assigns every init-only
/// property, so an absent array would otherwise arrive as null despite its initializer.
/// </remarks>
public sealed record PlatformReport
{
    /// <summary>The platform's own id: the idempotency key.</summary>
    public required string PlatformReportId { get; init; }

    public required PlatformIncident Incident { get; init; }

    public IReadOnlyList<string> ContentUrls { get; init => field = value ?? []; } = [];

    public IReadOnlyList<PlatformFile> Files { get; init => field = value ?? []; } = [];

    public IReadOnlyList<PlatformAccount> ReportedAccounts { get; init => field = value ?? []; } = [];

    public PlatformVictim? Victim { get; init; }

    public PlatformLocation? Location { get; init; }

    public IReadOnlyList<PlatformAction> ActionsTaken { get; init => field = value ?? []; } = [];

    public PlatformContact? Contact { get; init; }
}

public sealed record PlatformIncident
{
    public required string Type { get; init; }

    public DateTimeOffset? OccurredAt { get; init; }

    public IReadOnlyList<string> Annotations { get; init => field = value ?? []; } = [];

    public string? EscalateToHighPriority { get; init; }

    public string? Description { get; init; }
}

public sealed record PlatformFile
{
    public string? FileName { get; init; }

    public string? Url { get; init; }

    public string? ContentType { get; init; }

    public long? Size { get; init; }

    public required PlatformHashes Hashes { get; init; }

    public int? PdqQuality { get; init; }

    public bool? ViewedByPlatform { get; init; }

    public bool? PubliclyAvailable { get; init; }

    public IReadOnlyList<string> Tags { get; init => field = value ?? []; } = [];
}

public sealed record PlatformHashes
{
    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    public string? Sha256 { get; init; }

    public string? Pdq { get; init; }
}

public sealed record PlatformAccount
{
    public required string PlatformUserId { get; init; }

    public string? ScreenName { get; init; }

    public string? DisplayName { get; init; }

    public string? ProfileUrl { get; init; }

    /// <summary>The reported person's IP events: personal data kept only in the encrypted raw request.</summary>
    public IReadOnlyList<IpCaptureEvent> IpCaptureEvents { get; init => field = value ?? []; } = [];
}

public sealed record IpCaptureEvent
{
    public required string IpAddress { get; init; }

    public string? EventName { get; init; }

    public required DateTimeOffset At { get; init; }

    public int? Port { get; init; }

    public bool? PossibleProxy { get; init; }
}

public sealed record PlatformVictim
{
    public int? EstimatedAgeMin { get; init; }

    public int? EstimatedAgeMax { get; init; }
}

public sealed record PlatformLocation
{
    public string? ProvinceCode { get; init; }

    public string? CountryCode { get; init; }

    public string? Hint { get; init; }
}

public sealed record PlatformAction
{
    public required string Action { get; init; }

    public DateTimeOffset? At { get; init; }
}

public sealed record PlatformContact
{
    public string? Name { get; init; }

    public string? Email { get; init; }
}

/// <summary><c>POST /api/platform/v1/reports/batch</c>: up to <see cref="MaxItems"/> reports, each answered on its own.</summary>
public sealed record PlatformBatch
{
    public const int MaxItems = 100;

    public IReadOnlyList<PlatformReport> Reports { get; init => field = value ?? []; } = [];

    /// <summary>
    /// The exact bytes of item <paramref name="index"/> of a batch request body, as the hub hashed it
    /// (<c>raw.sha256</c> of an envelope whose <c>raw.item</c> is set): the element's text, not re-serialised.
    /// </summary>
    public static byte[] ItemBytes(ReadOnlySpan<byte> body, int index)
    {
        var reader = new System.Text.Json.Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            throw new FormatException("A batch is a JSON object.");
        }

        while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
        {
            var isReports = reader.ValueTextEquals("reports"u8);
            reader.Read();
            if (!isReports || reader.TokenType != System.Text.Json.JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }

            for (var i = 0; reader.Read() && reader.TokenType != System.Text.Json.JsonTokenType.EndArray; i++)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (i == index)
                {
                    return body[start..(int)(reader.BytesConsumed)].ToArray();
                }
            }

            break;
        }

        throw new ArgumentOutOfRangeException(nameof(index), index, "The batch has no such item.");
    }
}

/// <summary>What the hub answers for one accepted (or already accepted) report.</summary>
public sealed record PlatformReceipt
{
    public required string PlatformReportId { get; init; }

    public required string HubReportId { get; init; }

    public required string ReferenceCode { get; init; }

    /// <summary><c>accepted</c>, or <c>duplicate</c> when this id was accepted before (same hub report id).</summary>
    public required string Status { get; init; }

    public required string StatusUrl { get; init; }
}

/// <summary>One item of a batch answer: a receipt, or the item's problems keyed by JSON path.</summary>
public sealed record PlatformBatchItem
{
    public required int Index { get; init; }

    public string? PlatformReportId { get; init; }

    /// <summary>
    /// HTTP-like status of the item: 202 accepted, 400 invalid, 413 too large for one report, 503 not stored (storage
    /// failed part-way: send the item again, alone or in a batch, after <see cref="RetryAfter"/> seconds).
    /// </summary>
    public required int Status { get; init; }

    /// <summary>For a 503 item: seconds to wait before sending it again.</summary>
    public int? RetryAfter { get; init; }

    public PlatformReceipt? Receipt { get; init; }

    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }
}

public sealed record PlatformBatchResult
{
    public required int Accepted { get; init; }

    public required int Rejected { get; init; }

    public required IReadOnlyList<PlatformBatchItem> Items { get; init; }
}

/// <summary><c>GET /api/platform/v1/reports/{id}</c>.</summary>
public sealed record PlatformReportStatus
{
    public required string HubReportId { get; init; }

    public required string PlatformReportId { get; init; }

    public required string ReferenceCode { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary><c>queued</c> until the case processor has made the case, then the case's status (<c>new</c>, …).</summary>
    public required string Status { get; init; }

    public IReadOnlyList<TakedownRecord> Takedowns { get; init => field = value ?? []; } = [];
}

/// <summary>One takedown request the hub sent about a report, with its delivery and outcome.</summary>
public sealed record TakedownRecord
{
    public required string TakedownId { get; init; }

    public IReadOnlyList<string> Urls { get; init => field = value ?? []; } = [];

    public string? Reason { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }

    /// <summary><c>pending</c> (being delivered), <c>delivered</c>, <c>failed</c> (the platform refused it), <c>confirmed</c>.</summary>
    public required string Status { get; init; }

    public int DeliveryAttempts { get; init; }

    public DateTimeOffset? DeliveredAt { get; init; }

    public string? LastDeliveryError { get; init; }

    public DateTimeOffset? ConfirmedAt { get; init; }

    /// <summary><c>removed</c>, <c>already-removed</c>, <c>not-found</c> or <c>declined</c>.</summary>
    public string? Outcome { get; init; }

    /// <summary>When the platform says the content went down (defaults to the confirmation time).</summary>
    public DateTimeOffset? RemovedAt { get; init; }

    public string? Note { get; init; }

    /// <summary>From the request to removal, in seconds: the figure the programme reports on.</summary>
    public double? TimeToRemovalSeconds { get; init; }
}

/// <summary><c>POST /api/platform/v1/takedowns/{id}/confirm</c>.</summary>
public sealed record TakedownConfirmation
{
    public string? Outcome { get; init; }

    public DateTimeOffset? RemovedAt { get; init; }

    public string? Note { get; init; }
}

/// <summary>The body the hub POSTs to a platform's callback URL, signed with the hub's ES256 key.</summary>
public sealed record TakedownRequest
{
    public const string EventType = "takedown.requested";

    public string Type { get; init; } = EventType;

    public required string TakedownId { get; init; }

    public required string HubReportId { get; init; }

    public required string PlatformReportId { get; init; }

    public IReadOnlyList<string> Urls { get; init => field = value ?? []; } = [];

    public string? Reason { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }

    public required string ConfirmUrl { get; init; }
}

public static class TakedownOutcomes
{
    public const string Removed = "removed";
    public const string AlreadyRemoved = "already-removed";
    public const string NotFound = "not-found";
    public const string Declined = "declined";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Removed, AlreadyRemoved, NotFound, Declined };

    public static bool IsRemoval(string outcome) => outcome is Removed or AlreadyRemoved;
}

[JsonSourceGenerationOptions(
    System.Text.Json.JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(PlatformReport))]
[JsonSerializable(typeof(PlatformBatch))]
[JsonSerializable(typeof(PlatformReceipt))]
[JsonSerializable(typeof(PlatformBatchResult))]
[JsonSerializable(typeof(PlatformReportStatus))]
[JsonSerializable(typeof(TakedownRecord))]
[JsonSerializable(typeof(List<TakedownRecord>))]
[JsonSerializable(typeof(TakedownConfirmation))]
[JsonSerializable(typeof(TakedownRequest))]
public sealed partial class PlatformJsonContext : JsonSerializerContext;
