namespace Hub.Functions.Spool;

/// <summary>
/// Rebuilds and delivers one kind of spooled record (intake submissions, platform reports, chat deliveries). Each
/// area that spools registers its own (<see cref="SpoolRegistration.AddSpoolReplayer{T}"/>), so the relay knows
/// record kinds, never channels.
/// </summary>
public interface ISpoolReplayer
{
    /// <summary>The <see cref="SpoolRecord.Kind"/> this replayer reads.</summary>
    string Kind { get; }

    /// <summary>Writes the record through the same path a live request takes; throws when storage is down (the relay retries).</summary>
    Task ReplayAsync(byte[] payload, CancellationToken ct);
}
