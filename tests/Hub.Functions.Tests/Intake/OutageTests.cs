using System.Net;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Intake;

/// <summary>Storage killed mid-service: nothing acknowledged, 503 + Retry-After; storage back: the retry is accepted, nothing lost.</summary>
public sealed class OutageTests(HubFixture hub) : IClassFixture<HubFixture>
{
    [Theory]
    [InlineData("stopped")]
    [InlineData("killed")]
    public async Task Webhook_StorageDown_503ThenRetryAcceptedAndNothingLost(string how)
    {
        // Warm up so the outage hits an initialised app, not start-up.
        var warm = ProviderRequests.NewSid();
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(warm, "trước sự cố")))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hub.WaitForCaseAsync("hn-sms", warm)).ShouldNotBeNull();

        await (how == "stopped" ? hub.Azurite.StopAsync() : hub.Azurite.KillAsync());
        var sms = ProviderRequests.NewSid();
        var gw = "vt-" + Guid.NewGuid().ToString("N");
        try
        {
            using var down = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sms, "khi mất lưu trữ")));
            down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            down.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(20));
            down.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");

            using var downGw = await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(gw, "khi mất lưu trữ"), TimeProvider.System.GetUtcNow()));
            downGw.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);

            using var health = await hub.Client.GetAsync("/api/health");
            health.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        }
        finally
        {
            await hub.Azurite.RestartAsync();
        }

        // The providers retry: both are accepted now, and exactly one case each appears.
        var after = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sms, "khi mất lưu trữ")));
        after.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(gw, "khi mất lưu trữ"), TimeProvider.System.GetUtcNow()))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hub.WaitForCaseAsync("hn-sms", sms, TimeSpan.FromSeconds(30))).ShouldNotBeNull();
        (await hub.WaitForCaseAsync("vt-gw", gw, TimeSpan.FromSeconds(30))).ShouldNotBeNull();
        if (how == "stopped")
        {
            // After SIGKILL, Azurite itself may have lost its last seconds of writes (see AzuriteProcess.KillAsync).
            (await hub.WaitForCaseAsync("hn-sms", warm, TimeSpan.FromSeconds(30))).ShouldNotBeNull("acknowledged before the outage, still there after it");
        }
        (await hub.Client.GetAsync("/api/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
