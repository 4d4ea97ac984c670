using Microsoft.Extensions.Configuration;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Tests.Hosting;

/// <summary>Start-up refuses unsafe configuration outside Development; Development needs no setup.</summary>
public sealed class StartupTests
{
    private static WebApplicationFactory<Program> App(string environment, IDictionary<string, string?> settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment(environment);
            b.UseSetting("Hub:Storage:AutoStartAzurite", "false");
            b.UseSetting("Hub:Processor:Enabled", "false");
            b.UseSetting("Hub:Cases:ConnectionString", NoDatabase); // never the repository's own .pgdata
            foreach (var (k, v) in settings)
            {
                b.UseSetting(k, v);
            }
        });

    /// <summary>
    /// Builds and starts the real app on a test server. Start-up failures are asserted this way rather than through
    /// WebApplicationFactory, whose deferred host races the failing app's disposal and sometimes reports
    /// ObjectDisposedException instead of the real error.
    /// </summary>
    /// <summary>A case store that is not there (a socket that does not exist): start-up logs it and goes on.</summary>
    private const string NoDatabase = "Host=/nonexistent-hub-tests-socket;Database=hub;Username=hub_app;Timeout=1";

    private static async Task<Exception> StartFailure(string environment, IDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>(settings);
        if (environment == "Development")
        {
            all.TryAdd("Hub:Cases:ConnectionString", NoDatabase); // never the repository's own .pgdata
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(all)
        {
            ["Hub:Storage:AutoStartAzurite"] = "false",
            ["Hub:Processor:Enabled"] = "false",
        });
        builder.AddHub();
        await using var app = builder.Build();
        app.MapHub();
        return await Should.ThrowAsync<Exception>(() => app.StartAsync());
    }

    [Fact]
    public async Task Production_WithoutPrivacyKeys_RefusesToStart()
    {
        var ex = await StartFailure("Production", new Dictionary<string, string?>());
        ex.ShouldBeOfType<OptionsValidationException>().Message.ShouldContain("Hub:Privacy:PseudonymKey");
    }

    [Fact]
    public async Task OutsideDevelopment_WithoutACaseStore_RefusesToStart()
    {
        // Everything else is valid: the only thing missing is where cases live (the hub never starts a database of its own there).
        var ex = await StartFailure("Production", Infrastructure.HubFixture.CoreSettings("UseDevelopmentStorage=true", null));
        ex.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("Hub:Cases:ConnectionString");
    }

    [Fact]
    public async Task Production_WithWeakKey_RefusesToStart()
    {
        var ex = await StartFailure("Production", new Dictionary<string, string?>
        {
            ["Hub:Privacy:PseudonymKey"] = Convert.ToBase64String(new byte[8]),
            ["Hub:Privacy:ContactKeys:k1"] = Convert.ToBase64String(new byte[32]),
            ["Hub:Privacy:ActiveContactKeyId"] = "k1",
        });
        ex.ShouldBeOfType<OptionsValidationException>().Message.ShouldContain("at least 32");
    }

    [Fact]
    public void Development_WithoutKeys_UsesDevelopmentKeys()
    {
        using var app = App("Development", new Dictionary<string, string?>());
        using var client = app.CreateClient();
        app.Services.GetRequiredService<PrivacyServices>().Cipher.ActiveKeyId.ShouldBe("dev1");
    }

    [Theory]
    [InlineData("Hub:Channels:x:Type", "carrier-pigeon", "is not one of")]
    [InlineData("Hub:Channels:x:Type", "twilio-sms", "AuthToken is required")]
    [InlineData("Hub:Channels:x:Type", "sms-gateway", "Secret is required")]
    [InlineData("Hub:Channels:x:Type", "twilio-voice", "AuthToken is required for twilio-voice")]
    [InlineData("Hub:Channels:x:Type", "zalo", "OaSecretKey is required")]
    [InlineData("Hub:Channels:x:Type", "messenger", "AppSecret is required")]
    public async Task Channel_Misconfigured_RefusesToStart(string key, string value, string expected)
    {
        var ex = await StartFailure("Development", new Dictionary<string, string?> { [key] = value });
        ex.ShouldBeOfType<OptionsValidationException>().Message.ShouldContain(expected);
    }

    public static TheoryData<Dictionary<string, string?>, string> PlatformMisconfigurations => new()
    {
        { new() { ["Hub:Platforms:tt:RatePerMinute"] = "10" }, "Secret is required" },
        { new() { ["Hub:Platforms:tt:Secret"] = "short-secret" }, "at least 32 characters" },
        { new() { ["Hub:Platforms:tt:Secret"] = new string('s', 40), ["Hub:Platforms:tt:CallbackUrl"] = "http://platform.example.com/takedowns" }, "CallbackUrl must be an absolute https URL" },
        { new() { ["Hub:Platforms:tt:Secret"] = new string('s', 40), ["Hub:Platforms:tt:RatePerMinute"] = "0" }, "RatePerMinute" },
        { new() { ["Hub:Platforms:TT_Upper:Secret"] = new string('s', 40) }, "a platform id is" },
        { new() { ["Hub:Signing:Keys:k1"] = "not a pem", ["Hub:Signing:ActiveKeyId"] = "k1" }, "is not a P-256 private key" },
        { new() { ["Hub:Signing:Keys:k1"] = Infrastructure.TestSecrets.SigningKeyPem, ["Hub:Signing:ActiveKeyId"] = "k2" }, "ActiveKeyId must name one of the configured keys" },
    };

    [Theory]
    [MemberData(nameof(PlatformMisconfigurations))]
    public async Task Platform_Misconfigured_RefusesToStart(Dictionary<string, string?> settings, string expected)
    {
        var ex = await StartFailure("Development", settings);
        ex.ShouldBeOfType<OptionsValidationException>().Message.ShouldContain(expected);
    }

    [Theory]
    [InlineData("Hub:Channels:second-web:Type", "web", "Several web channels are configured (demo-web, second-web)")]
    [InlineData("Hub:WebForm:Instance", "nowhere", "Hub:WebForm:Instance 'nowhere' is not a configured channel of type web")]
    public async Task WebForm_InstanceAmbiguousOrUnknown_RefusesToStart(string key, string value, string expected)
    {
        // Development's settings configure one web channel, demo-web.
        var ex = await StartFailure("Development", new Dictionary<string, string?> { [key] = value });
        ex.ShouldBeOfType<OptionsValidationException>().Message.ShouldContain(expected);
    }

    [Fact]
    public async Task Channel_ReplyTextTooLongForOneSms_RefusesToStart()
    {
        var ex = await StartFailure("Development", new Dictionary<string, string?>
        {
            ["Hub:Channels:x:Type"] = "twilio-sms",
            ["Hub:Channels:x:AuthToken"] = "t",
            ["Hub:Channels:x:ReplyText"] = "Cảm ơn bạn rất nhiều vì đã tin tưởng và báo cho chúng tôi. Mã báo cáo của bạn: {code}",
        });
        ex.ShouldBeOfType<OptionsValidationException>().Message.ShouldContain("one SMS segment");
    }

    [Fact]
    public async Task VoiceLine_WithBadOpeningHours_RefusesToStart()
    {
        var ex = await StartFailure("Development", new Dictionary<string, string?>
        {
            ["Hub:Channels:x:Type"] = "twilio-voice",
            ["Hub:Channels:x:AuthToken"] = "t",
            ["Hub:Channels:x:Voice:OpenFrom"] = "7h sáng",
        });
        ex.ShouldBeOfType<OptionsValidationException>().Message.ShouldContain("OpenFrom/OpenUntil must be HH:mm");
    }

    [Fact]
    public async Task UnresolvedKeyVaultReference_RefusesToStart()
    {
        var ex = await StartFailure("Development", new Dictionary<string, string?>
        {
            ["Hub:Channels:x:Type"] = "twilio-sms",
            ["Hub:Channels:x:AuthToken"] = "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/twilio/)",
        });
        ex.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("Hub:Channels:x:AuthToken");
    }

    /// <summary>Every setting that is a credential, per channel type: what its descriptor must declare (and the logs never hold).</summary>
    public static TheoryData<ChannelDescriptor, string[]> SecretSettings => new()
    {
        { new Hub.Functions.Channels.TwilioSms.TwilioSmsDescriptor(), ["AuthToken"] },
        { new Hub.Functions.Channels.TwilioVoice.TwilioVoiceDescriptor(), ["AuthToken"] },
        { new Hub.Functions.Channels.SmsGateway.SmsGatewayDescriptor(), ["Secret", "SecondarySecret"] },
        { new Hub.Functions.Channels.Messenger.MessengerDescriptor(), ["AppSecret", "VerifyToken", "PageAccessToken"] },
        { new Hub.Functions.Channels.Zalo.ZaloDescriptor(), ["OaSecretKey", "AppSecretKey", "AccessToken", "RefreshToken"] },
    };

    [Theory]
    [MemberData(nameof(SecretSettings))]
    public void ChannelDescriptors_DeclareTheirSecrets(ChannelDescriptor descriptor, string[] secretSettings)
    {
        // Every string setting gets its own name as its value, so what the descriptor returns says which ones it declares.
        var options = new ChannelOptions();
        foreach (var p in typeof(ChannelOptions).GetProperties().Where(p => p.PropertyType == typeof(string) && p.CanWrite && p.Name != nameof(ChannelOptions.Type)))
        {
            p.SetValue(options, p.Name);
        }

        descriptor.Secrets(options).ShouldBe(secretSettings, ignoreOrder: true, descriptor.Type);
    }

    [Fact]
    public void IsCustomHandler_FollowsTheHostVariable()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [HubApp.CustomHandlerPortVariable] = "5001" }).Build();
        HubApp.IsCustomHandler(config).ShouldBeTrue();
        HubApp.IsCustomHandler(new ConfigurationBuilder().Build()).ShouldBeFalse();
    }
}
