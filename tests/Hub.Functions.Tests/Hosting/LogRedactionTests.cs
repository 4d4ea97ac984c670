using System.Net;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Hosting;

/// <summary>Configured secrets and reporters' numbers never reach a log, whatever the request did.</summary>
public sealed class LogRedactionTests(HubFixture hub) : IClassFixture<HubFixture>
{
    [Fact]
    public async Task Logs_AfterValidInvalidAndFailingTraffic_HoldNoSecretAndNoNumber()
    {
        var now = TimeProvider.System.GetUtcNow();
        var sid = ProviderRequests.NewSid();
        await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hello", from: "+84911222333")));
        await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(ProviderRequests.NewSid(), "bad", from: "+84911222333"), signature: "AAAA"));
        await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(ProviderRequests.NewSid(), "STOP", from: "+84911222333")));
        await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson("vt-" + Guid.NewGuid().ToString("N"), "hi", from: "0911222333"), now));
        await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson("vt-x", "hi", from: "0911222333"), now, secret: "wrong"));
        await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson("vt-y", "hi", from: "0911222333"), now, timestamp: 1));
        hub.Faults.FailFor(sid + "-never"); // exercise the retry/poison logging path too
        await hub.Storage.Reports.SendMessageAsync("not an envelope +84911222333 " + TestSecrets.TwilioAuthToken[..4]);
        (await hub.WaitForCaseAsync("hn-sms", sid)).ShouldNotBeNull();
        await Task.Delay(500);

        var logs = hub.Logs.AllText;
        logs.ShouldNotBeEmpty();
        logs.ShouldContain("answered 403"); // the request log is there, just redacted
        foreach (var secret in TestSecrets.All)
        {
            logs.ShouldNotContain(secret);
        }

        // And whatever each configured instance's descriptor declares a secret (courier's RedactValues).
        var channels = hub.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hub.Functions.Channels.ChannelsOptions>>().Value;
        var declared = hub.Services.GetRequiredService<Hub.Functions.Channels.ChannelTypes>().SecretsOf(channels).ToList();
        declared.ShouldNotBeEmpty();
        foreach (var secret in declared)
        {
            logs.ShouldNotContain(secret);
        }

        foreach (var line in hub.Logs.Lines.Where(l => l.Contains("911222333", StringComparison.Ordinal)))
        {
            throw new ShouldAssertException("a log line holds the number: " + line[..Math.Min(600, line.Length)]);
        }

        logs.ShouldNotContain("+84911222333");
        logs.ShouldNotContain("84911222333");
        logs.ShouldNotContain("0911222333");
    }
}
