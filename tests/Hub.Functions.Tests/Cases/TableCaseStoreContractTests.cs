using Hub.Functions.Cases;
using Hub.Functions.Hosting;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Tests.Cases;

/// <summary>One Azurite for the contract classes below (xunit builds the fixture once per class that asks).</summary>
public sealed class CaseStoreAzurite : IAsyncLifetime
{
    public AzuriteInstance Azurite { get; private set; } = null!;

    public HubStorage Storage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteInstance.StartAsync();
        Storage = new HubStorage(
            Options.Create(new HubOptions { Storage = { ConnectionString = Azurite.ConnectionString, NetworkTimeout = TimeSpan.FromSeconds(5) } }),
            [new StorageResource(StorageResourceKind.Table, TableCaseStore.TableName)]);
    }

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}

/// <summary>The Azure Tables case store, on a real Azurite.</summary>
public sealed class TableCaseStoreContractTests(CaseStoreAzurite storage) : CaseStoreContract, IClassFixture<CaseStoreAzurite>
{
    private ICaseStore? _lazy;

    protected override ICaseStore Store => _lazy ??= new TableCaseStore(storage.Storage, Time);
}

/// <summary>The tests' fault-injecting wrapper, with no fault set, behaves exactly like the store it wraps.</summary>
public sealed class FaultInjectingCaseStoreContractTests(CaseStoreAzurite storage) : CaseStoreContract, IClassFixture<CaseStoreAzurite>
{
    private ICaseStore? _lazy;

    protected override ICaseStore Store => _lazy ??= new FaultInjectingCaseStore(new TableCaseStore(storage.Storage, Time));
}
