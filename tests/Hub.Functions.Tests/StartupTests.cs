using Microsoft.Extensions.Configuration;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Tests;

/// <summary>Start-up refuses unsafe configuration outside Development; Development needs no setup.</summary>
public sealed class StartupTests
{
    private static WebApplicationFactory<Program> App(string environment, IDictionary<string, string?> settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment(environment);
            b.UseSetting("Hub:Storage:AutoStartAzurite", "false");
            b.UseSetting("Hub:Processor:Enabled", "false");
            foreach (var (k, v) in settings)
            {
                b.UseSetting(k, v);
            }
        });

    [Fact]
    public void Production_WithoutPrivacyKeys_RefusesToStart()
    {
        using var app = App("Production", new Dictionary<string, string?>());
        var ex = Should.Throw<OptionsValidationException>(() => app.CreateClient());
        ex.Message.ShouldContain("Hub:Privacy:PseudonymKey");
    }

    [Fact]
    public void Production_WithWeakKey_RefusesToStart()
    {
        using var app = App("Production", new Dictionary<string, string?>
        {
            ["Hub:Privacy:PseudonymKey"] = Convert.ToBase64String(new byte[8]),
            ["Hub:Privacy:ContactKeys:k1"] = Convert.ToBase64String(new byte[32]),
            ["Hub:Privacy:ActiveContactKeyId"] = "k1",
        });
        Should.Throw<OptionsValidationException>(() => app.CreateClient()).Message.ShouldContain("at least 32");
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
    public void Channel_Misconfigured_RefusesToStart(string key, string value, string expected)
    {
        using var app = App("Development", new Dictionary<string, string?> { [key] = value });
        Should.Throw<OptionsValidationException>(() => app.CreateClient()).Message.ShouldContain(expected);
    }

    [Fact]
    public void Channel_ReplyTextTooLongForOneSms_RefusesToStart()
    {
        using var app = App("Development", new Dictionary<string, string?>
        {
            ["Hub:Channels:x:Type"] = "twilio-sms",
            ["Hub:Channels:x:AuthToken"] = "t",
            ["Hub:Channels:x:ReplyText"] = "Cảm ơn bạn rất nhiều vì đã tin tưởng và báo cho chúng tôi. Mã báo cáo của bạn: {code}",
        });
        Should.Throw<OptionsValidationException>(() => app.CreateClient()).Message.ShouldContain("one SMS segment");
    }

    [Fact]
    public void UnresolvedKeyVaultReference_RefusesToStart()
    {
        using var app = App("Development", new Dictionary<string, string?>
        {
            ["Hub:Channels:x:Type"] = "twilio-sms",
            ["Hub:Channels:x:AuthToken"] = "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/twilio/)",
        });
        Should.Throw<InvalidOperationException>(() => app.CreateClient()).Message.ShouldContain("Hub:Channels:x:AuthToken");
    }

    [Fact]
    public void ChannelOptions_DeclareTheirSecrets() =>
        new ChannelOptions { AuthToken = "a", Secret = "b", SecondarySecret = "c" }.Secrets().ShouldBe(["a", "b", "c"]);

    [Fact]
    public void IsCustomHandler_FollowsTheHostVariable()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [HubApp.CustomHandlerPortVariable] = "5001" }).Build();
        HubApp.IsCustomHandler(config).ShouldBeTrue();
        HubApp.IsCustomHandler(new ConfigurationBuilder().Build()).ShouldBeFalse();
    }
}
