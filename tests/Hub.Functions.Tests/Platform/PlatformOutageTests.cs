using System.Net;
using System.Text.Json;
using Hub.Core.Platform;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Platform;

/// <summary>Storage stopped under the platform API: 503 + Retry-After and nothing accepted; the platform's retry is accepted once.</summary>
public sealed class PlatformOutageTests(PlatformFixture hub) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task Submit_StorageDown_503ThenRetryAcceptedOnce()
    {
        using (var warm = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal())))
        {
            warm.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        var id = PlatformFixture.NewId();
        var batchId = PlatformFixture.NewId();
        var batch = $$"""{"reports":[{{PlatformFixture.Minimal(batchId)}}]}""";
        await hub.Azurite.StopAsync();
        try
        {
            using var down = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Example(id)));
            down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            down.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(20));
            down.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");

            using var downBatch = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports/batch", batch));
            downBatch.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        }
        finally
        {
            await hub.Azurite.RestartAsync();
        }

        using var after = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Example(id)));
        after.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var receipt = JsonSerializer.Deserialize(await after.Content.ReadAsStringAsync(), PlatformJsonContext.Default.PlatformReceipt)!;
        receipt.Status.ShouldBe("accepted"); // nothing was accepted during the outage
        using var afterBatch = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports/batch", batch));
        afterBatch.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await hub.WaitForCaseAsync("tt", id, TimeSpan.FromSeconds(30))).ShouldNotBeNull();
        (await hub.WaitForCaseAsync("tt", batchId, TimeSpan.FromSeconds(30))).ShouldNotBeNull();
    }
}
