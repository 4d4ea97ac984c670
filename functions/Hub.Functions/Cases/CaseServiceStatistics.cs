namespace Hub.Functions.Cases;

/// <summary>Statistics are aggregates, but who read or exported which figures is still on the audit trail.</summary>
public sealed partial class CaseService
{
    /// <summary>Appends one audit row for a read (<c>statistics.read</c>) or an export of statistics, naming the filter (never a case).</summary>
    public async Task AuditStatisticsAsync(Actor actor, string action, string filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await audit.AppendAsync(conn, tx, actor.UserId, action, null, [filter], actor.Source, ct);
        await tx.CommitAsync(ct);
    }
}
