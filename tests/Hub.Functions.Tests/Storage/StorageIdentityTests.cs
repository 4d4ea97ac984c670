using Hub.Functions.Hosting;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Tests.Storage;

/// <summary>On Azure the hub reaches storage with its managed identity and service URIs, never an account key.</summary>
public sealed class StorageIdentityTests
{
    private static HubStorage Storage(StorageOptions storage) => new(Options.Create(new HubOptions { Storage = storage }), []);

    [Fact]
    public void AccountName_UsesThePublicCloudServiceUris()
    {
        var s = Storage(new StorageOptions { AccountName = "sthubprod", ManagedIdentityClientId = "00000000-0000-0000-0000-000000000001" });
        s.Reports.Uri.ShouldBe(new Uri("https://sthubprod.queue.core.windows.net/reports"));
        s.Queue("takedowns").Uri.ShouldBe(new Uri("https://sthubprod.queue.core.windows.net/takedowns"));
        s.Table("cases").Uri.ShouldBe(new Uri("https://sthubprod.table.core.windows.net/cases"));
        s.Evidence.Uri.ShouldBe(new Uri("https://sthubprod.blob.core.windows.net/evidence"));
    }

    [Fact]
    public void ExplicitServiceUris_WinOverAccountName()
    {
        var s = Storage(new StorageOptions
        {
            AccountName = "ignored",
            QueueServiceUri = new Uri("https://q.privatelink.example/"),
            TableServiceUri = new Uri("https://t.privatelink.example/"),
            BlobServiceUri = new Uri("https://b.privatelink.example/"),
        });
        s.Reports.Uri.Host.ShouldBe("q.privatelink.example");
        s.Table("intake").Uri.Host.ShouldBe("t.privatelink.example");
        s.Raw.Uri.Host.ShouldBe("b.privatelink.example");
    }

    [Fact]
    public void IdentityWithoutEveryUri_FailsAtConstruction() =>
        Should.Throw<InvalidOperationException>(() => Storage(new StorageOptions { QueueServiceUri = new Uri("https://q.example/") }))
            .Message.ShouldContain("TableServiceUri");

    [Fact]
    public void Credential_UserAssignedClientId_IsAManagedIdentity() =>
        HubStorage.Credential(new StorageOptions { ManagedIdentityClientId = "00000000-0000-0000-0000-000000000001" }).ShouldBeOfType<Azure.Identity.ManagedIdentityCredential>();

    [Fact]
    public void ConnectionString_IsTheDefaultForDevelopment()
    {
        new StorageOptions().UsesIdentity.ShouldBeFalse();
        Storage(new StorageOptions()).Reports.AccountName.ShouldBe("devstoreaccount1");
    }
}
