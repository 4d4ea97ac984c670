using System.Net.Http.Json;
using Hub.Core.Signatures;
using Hub.Functions.Cases;
using Hub.Simulators;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The console hub with a simulated agency system on loopback (<see cref="AgencySimulator"/>) behind A05's and Đà
/// Nẵng police's webhooks, the hub's signing key, and the people of a referral: Đà Nẵng's counsellor and supervisor,
/// a police liaison of Đà Nẵng and one of Hà Nội, and A05's system signing in with client credentials.
/// </summary>
public sealed class ReferralFixture : ConsoleFixture
{
    public AgencySimulator Agency { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Hub:Signing:Keys:t1"] = TestSecrets.SigningKeyPem;
            settings["Hub:Signing:ActiveKeyId"] = "t1";
            settings["Hub:Cases:Referrals:Webhooks:agency-a05:Url"] = Agency.WebhookUrl;
            settings["Hub:Cases:Referrals:Webhooks:police-48:Url"] = Agency.WebhookUrl;
            settings["Hub:Cases:Referrals:WebhookRetries"] = "1";
            settings["Hub:Cases:Referrals:WebhookRetryBaseDelay"] = "00:00:00.010";
            settings["Hub:Cases:Referrals:WebhookTimeout"] = "00:00:03";
            settings["Hub:Processor:MaxDequeueCount"] = "3";
            settings["Hub:Cases:Referrals:Clock:AcknowledgeHigh"] = "00:00:02"; // a high case's referral escalates within the test
            settings["Hub:Cases:Referrals:Clock:AcknowledgeOther"] = "7.00:00:00";
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        Agency = await AgencySimulator.StartAsync();
        await base.InitializeAsync();
        Agency.Trust((await Client.GetFromJsonAsync("/api/platform/v1/signing-keys", JwkJsonContext.Default.JwkSet))!);
        var admin = Actor.Console("test");
        await People.GrantAsync(admin, "a05-system", null, "agency-a05", CancellationToken.None);
        await People.RevokeAsync(admin, "a05-system", null, "province-01", CancellationToken.None);
        foreach (var (login, team, role) in new[] { ("cand48", "police-48", Roles.Liaison), ("cahn", "police-01", Roles.Liaison), ("lam48", "province-48", Roles.Supervisor) })
        {
            await People.AddUserAsync(admin, login, "Cán bộ " + login, [team], [role], Idp.Issuer, login, CancellationToken.None);
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Agency.DisposeAsync();
    }
}
