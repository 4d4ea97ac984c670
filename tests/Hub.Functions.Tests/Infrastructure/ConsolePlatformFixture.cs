using System.Net.Http.Json;
using Hub.Core.Signatures;
using Hub.Functions.Platform;
using Hub.Simulators;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>The console (signed-in staff) and the platform API together: platform <c>tt</c> reports, its simulator receives takedown requests.</summary>
public sealed class ConsolePlatformFixture : ConsoleFixture
{
    public PlatformSimulator Platform { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = new Dictionary<string, string?>(base.ExtraSettings)
            {
                ["Hub:Platforms:tt:Secret"] = TestSecrets.PlatformSecret,
                ["Hub:Platforms:tt:CallbackUrl"] = Platform.CallbackUrl,
                ["Hub:Platforms:tt:RatePerMinute"] = "100000",
                ["Hub:Signing:Keys:t1"] = TestSecrets.SigningKeyPem,
                ["Hub:Signing:ActiveKeyId"] = "t1",
                ["Hub:PlatformApi:CallbackRetryBaseDelay"] = "00:00:00.010",
                ["Hub:PlatformApi:RegistryCacheTime"] = "00:00:00",
            };
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        Platform = await PlatformSimulator.StartAsync();
        await base.InitializeAsync();
        Platform.Trust((await Client.GetFromJsonAsync("/api/platform/v1/signing-keys", JwkJsonContext.Default.JwkSet))!);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Platform.DisposeAsync();
    }
}
