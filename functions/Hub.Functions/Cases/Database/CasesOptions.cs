using Hub.Core.Cases;

namespace Hub.Functions.Cases.Database;

/// <summary><c>Hub:Cases</c>: where cases live (PostgreSQL) and their clocks.</summary>
public sealed class CasesOptions
{
    /// <summary>
    /// The running hub's connection (a login granted <c>hub_app</c>). Unset in Development: the hub starts a private
    /// cluster in <c>.pgdata/</c> at the repository root (docs/cases.md#where-postgresql-comes-from).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The migrations' connection (the tables' owner), when it is not <see cref="ConnectionString"/>.</summary>
    public string? AdminConnectionString { get; set; }

    /// <summary>Apply missing migrations at start-up (under an advisory lock).</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>Azure: authenticate with Microsoft Entra tokens from the app's managed identity (no password anywhere).</summary>
    public bool UseEntraAuthentication { get; set; }

    /// <summary>The user-assigned identity's client id for Entra tokens; without it, DefaultAzureCredential's chain.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Development: where the private cluster lives (default <c>.pgdata</c> beside <c>node_modules</c>).</summary>
    public string? LocalDataDirectory { get; set; }

    /// <summary>Development: start the private cluster when <see cref="ConnectionString"/> is unset.</summary>
    public bool AutoStartPostgres { get; set; } = true;

    /// <summary>First-response targets per urgency and the 12-hour intervention deadline.</summary>
    public CaseClockOptions Clock { get; set; } = new();

    /// <summary>Referrals: their acknowledgement clocks and the agencies' webhooks (<c>Hub:Cases:Referrals</c>, docs/referrals.md).</summary>
    public Hub.Functions.Referrals.ReferralOptions Referrals { get; set; } = new();

    /// <summary>When an outage of the case store holds a message back, how long before it is tried again (not counted as an attempt).</summary>
    public TimeSpan OutageRetryDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a missed call may wait for its call-back.</summary>
    public TimeSpan CallbackDue { get; set; } = TimeSpan.FromHours(1);
}
