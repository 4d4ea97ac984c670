using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Tests.Cases;

/// <summary>One fresh database (a copy of the migrated schema) for a contract class.</summary>
public sealed class CaseStoreDatabase : IAsyncLifetime
{
    public PostgresDatabase Database { get; private set; } = null!;

    public CaseDatabase Cases { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await PostgresServer.CreateDatabaseAsync();
        Cases = Database.Open();
    }

    public async Task DisposeAsync()
    {
        await Cases.DisposeAsync();
        await Database.DisposeAsync();
    }

    public PostgresCaseStore Store(TimeProvider time) => new(Cases, Options.Create(new HubOptions()), time);
}

/// <summary>The PostgreSQL case store, on a real PostgreSQL.</summary>
public sealed class PostgresCaseStoreContractTests(CaseStoreDatabase db) : CaseStoreContract, IClassFixture<CaseStoreDatabase>
{
    private ICaseStore? _lazy;

    protected override ICaseStore Store => _lazy ??= db.Store(Time);
}

/// <summary>The tests' fault-injecting wrapper, with no fault set, behaves exactly like the store it wraps.</summary>
public sealed class FaultInjectingCaseStoreContractTests(CaseStoreDatabase db) : CaseStoreContract, IClassFixture<CaseStoreDatabase>
{
    private ICaseStore? _lazy;

    protected override ICaseStore Store => _lazy ??= new FaultInjectingCaseStore(db.Store(Time));
}
