using Hub.Core.Envelope;

namespace Hub.Functions.Cases;

public enum ProcessOutcome
{
    Created,

    /// <summary>A newer revision of an existing case replaced its envelope.</summary>
    Updated,

    /// <summary>Already there: a redelivery, a duplicate, or an older revision.</summary>
    Duplicate,

    /// <summary>A follow-up (<c>source.followUpOf</c>) joined the open case of the report it continues.</summary>
    Attached,
}

/// <summary>
/// The one way to cases: the processor writes through it, and every feature that shows or follows a case
/// (platform status, takedowns, admin commands, demos, health) reads through it. The PostgreSQL store passes the
/// contract suite (tests <c>Cases/CaseStoreContract</c>), as any other store must.
/// </summary>
public interface ICaseStore
{
    /// <summary>
    /// Creates the case for (channel instance, provider message id), or (for a higher <see cref="ReportEnvelope.Revision"/>)
    /// updates its report-derived fields and never what operators own (status, team, owner, creation time, id). A
    /// follow-up of an open case joins it (<see cref="ProcessOutcome.Attached"/>). The same key at the
    /// same or a lower revision is a <see cref="ProcessOutcome.Duplicate"/>: redelivery and duplicates make one case.
    /// </summary>
    Task<ProcessOutcome> WriteAsync(ReportEnvelope envelope, string envelopeJson, CancellationToken ct);

    /// <summary>
    /// <see cref="WriteAsync"/> for several envelopes (a batch message), each with the same effect as alone; the outcomes
    /// in order. All or nothing when it throws is not promised: every write is idempotent, so the caller retries or
    /// splits. A store may do it in one round trip (<see cref="Database.PostgresCaseStore"/> does).
    /// </summary>
    async Task<IReadOnlyList<ProcessOutcome>> WriteManyAsync(IReadOnlyList<(ReportEnvelope Envelope, string Json)> envelopes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelopes);
        var outcomes = new ProcessOutcome[envelopes.Count];
        for (var i = 0; i < envelopes.Count; i++)
        {
            outcomes[i] = await WriteAsync(envelopes[i].Envelope, envelopes[i].Json, ct);
        }

        return outcomes;
    }

    /// <summary>The case a provider message became, by the key the intake deduplicates on.</summary>
    Task<CaseRecord?> FindAsync(string channelInstance, string providerMessageId, CancellationToken ct);

    /// <summary>The case a reporter was given <paramref name="referenceCode"/> for (canonical form, <see cref="ReferenceCode.Parse"/>).</summary>
    Task<CaseRecord?> FindByReferenceCodeAsync(string referenceCode, CancellationToken ct);

    /// <summary>A case by its id (<see cref="CaseRecord.Id"/>).</summary>
    Task<CaseRecord?> GetAsync(string id, CancellationToken ct);

    /// <summary>The <paramref name="count"/> newest cases, newest first (by id, which sorts by time).</summary>
    Task<IReadOnlyList<CaseRecord>> ListRecentAsync(int count, CancellationToken ct);

    /// <summary>Readiness: throws when the store cannot be reached.</summary>
    Task CheckAsync(CancellationToken ct);
}
