using System.Text.Json.Nodes;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Platform;
using Hub.Functions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Deploy.Tests;

/// <summary>
/// infra-bicep builds and lints clean offline (any warning fails), and what it creates is what the app uses:
/// the same queues, tables and containers, the secrets start-up validation requires, a webhook URL per channel.
/// </summary>
public sealed class BicepTests(CompiledTemplate compiled) : IClassFixture<CompiledTemplate>
{
    public static TheoryData<string> BicepFiles => new(
        Directory.GetFiles(Repo.PathOf("infra-bicep"), "*.bicep", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Repo.Root, f)).Order(StringComparer.Ordinal));

    [Fact]
    public void Build_Main_CleanWithoutWarnings()
    {
        compiled.Build.ExitCode.ShouldBe(0, compiled.Build.Errors);
        compiled.Build.Errors.ShouldBeEmpty(); // bicep writes warnings to stderr and still exits 0
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Lint_EveryFile_CleanWithoutWarnings(string file)
    {
        var lint = await Run.ProcessAsync(Repo.BicepPath, ["lint", Repo.PathOf(file), "--no-restore"]);
        lint.ExitCode.ShouldBe(0, lint.Errors);
        (lint.Output + lint.Errors).ShouldBeEmpty(file);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Sources_UseNoRegistryModules(string file)
    {
        // Builds run offline: every module is a local file, never a registry (br:, br/public:) or template spec (ts:).
        var modules = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Repo.PathOf(file)), @"^\s*module\s+\w+\s+'([^']+)'", System.Text.RegularExpressions.RegexOptions.Multiline);
        foreach (System.Text.RegularExpressions.Match m in modules)
        {
            m.Groups[1].Value.ShouldStartWith("modules/", customMessage: file);
            File.Exists(Path.Combine(Path.GetDirectoryName(Repo.PathOf(file))!, m.Groups[1].Value)).ShouldBeTrue(m.Groups[1].Value);
        }
    }

    [Fact]
    public void Location_DefaultsToSoutheastAsia() =>
        ((string)compiled.Template["parameters"]!["location"]!["defaultValue"]!).ShouldBe("southeastasia");

    [Fact]
    public void Storage_CreatesEveryQueueTableAndContainerTheAppUses()
    {
        var vars = compiled.Module("storage")["variables"]!;
        var queues = vars["queues"]!.AsArray().Select(q => (string)q!).ToList();
        var tables = vars["tables"]!.AsArray().Select(t => (string)t!).ToList();
        var containers = vars["evidenceContainers"]!.AsArray().Concat(vars["stateContainers"]!.AsArray()).Select(c => (string)c!).ToList();

        // What the app's areas registered, not a list kept here: a new area's table or queue without its Bicep fails this test.
        using var app = App();
        var storage = app.GetRequiredService<HubStorage>();
        string[] Named(StorageResourceKind kind) => storage.Resources.Where(r => r.Kind == kind).Select(r => r.Name).ToArray();
        queues.ShouldBe(Named(StorageResourceKind.Queue), ignoreOrder: true);
        tables.ShouldBe(Named(StorageResourceKind.Table), ignoreOrder: true);
        containers.ShouldBe(Named(StorageResourceKind.Container), ignoreOrder: true);
    }

    [Fact]
    public void Storage_Hardened()
    {
        var account = compiled.Resource("storage", "Microsoft.Storage/storageAccounts");
        var p = account["properties"]!;
        ((string)p["minimumTlsVersion"]!).ShouldBe("TLS1_2");
        ((bool)p["allowBlobPublicAccess"]!).ShouldBeFalse();
        ((bool)p["supportsHttpsTrafficOnly"]!).ShouldBeTrue();
        ((string)p["allowSharedKeyAccess"]!).ShouldBe("[parameters('allowSharedKeyAccess')]");
        var passed = compiled.Template["resources"]!["storage"]!["properties"]!["parameters"]!["allowSharedKeyAccess"]!["value"]!.ToString();
        passed.ShouldBe("[equals(parameters('plan'), 'ElasticPremium')]"); // off on Flex, where only the identity is used
    }

    [Fact]
    public void Roles_DataPlaneOnly()
    {
        var roles = compiled.Module("roles")["variables"]!["roles"]!.AsObject().Select(r => (string)r.Value!).ToHashSet();
        roles.ShouldBe(
            [
                "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner (host leases, Flex package)
                "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
                "8a0f0c08-91a1-4084-bc3d-661d67233fed", // Storage Queue Data Message Processor
                "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
                "4633458b-17de-408a-b874-0445c86b69e6", // Key Vault Secrets User
                "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
            ],
            ignoreOrder: true);
    }

    [Fact]
    public void Telemetry_MetricsJsonIsExactlyTheAppsMetricNames()
    {
        // infra-bicep/telemetry/metrics.json is what the alerts read names from; the app's own list is the source.
        var names = JsonNode.Parse(File.ReadAllText(Repo.PathOf("infra-bicep", "telemetry", "metrics.json")))!.AsObject().Select(p => (string)p.Value!).ToList();
        names.ShouldBe(Hub.Functions.Telemetry.MetricNames.All, ignoreOrder: true);
        // loadJsonContent compiles to a variable of its own ($fxv#…) that the metrics variable points to.
        var loaded = compiled.Module("alerts")["variables"]!.AsObject().Select(v => v.Value).OfType<JsonObject>().Single(v => v.ContainsKey("poisonDepth"));
        loaded.Select(p => (string)p.Value!).ShouldBe(names, ignoreOrder: true, "the template carries the same names");
    }

    [Fact]
    public void Alerts_CoverTheRisks_AndNameOnlyMetricsTheAppEmits()
    {
        var source = File.ReadAllText(Repo.PathOf("infra-bicep", "modules", "alerts.bicep"));
        System.Text.RegularExpressions.Regex.IsMatch(source, @"'hub\.[a-z_.]+'").ShouldBeFalse("alerts name metrics through telemetry/metrics.json, never a literal");
        var keys = JsonNode.Parse(File.ReadAllText(Repo.PathOf("infra-bicep", "telemetry", "metrics.json")))!.AsObject();
        var referenced = System.Text.RegularExpressions.Regex.Matches(source, @"\$\{metrics\.(\w+)\}").Select(m => m.Groups[1].Value).Distinct().ToList();
        referenced.ShouldNotBeEmpty();
        foreach (var key in referenced)
        {
            keys.ContainsKey(key).ShouldBeTrue($"alerts.bicep uses metrics.{key}, which metrics.json does not define");
        }

        var alerts = compiled.Module("alerts");
        var rules = alerts["variables"]!["rules"]!.AsArray().Select(r => (string)r!["name"]!).ToList();
        rules.ShouldBe(["poison-not-empty", "spool-pending", "unavailable-rate", "server-errors", "channel-silent", "urgent-overdue", "signature-refusals"], ignoreOrder: true);
        CompiledTemplate.Resources(alerts).Single(r => (string?)r["type"] == "Microsoft.Insights/scheduledQueryRules")["copy"].ShouldNotBeNull("one rule per entry");
        CompiledTemplate.Resources(alerts).ShouldContain(r => (string?)r["type"] == "Microsoft.Insights/workbooks");
    }

    [Fact]
    public void Workbook_ChartsOnlyMetricsTheAppEmits()
    {
        var workbook = JsonNode.Parse(File.ReadAllText(Repo.PathOf("infra-bicep", "telemetry", "workbook.json")))!;
        var queries = workbook["items"]!.AsArray().Select(i => (string?)i!["content"]!["query"]).OfType<string>().ToList();
        queries.Count.ShouldBeGreaterThanOrEqualTo(10);
        var named = queries.SelectMany(q => System.Text.RegularExpressions.Regex.Matches(q, @"'(hub\.[a-z_.]+)'").Select(m => m.Groups[1].Value)).Distinct().ToList();
        named.ShouldNotBeEmpty();
        named.ShouldBeSubsetOf(Hub.Functions.Telemetry.MetricNames.All);
        foreach (var essential in new[] { "hub.webhook.requests", "hub.queue.depth", "hub.queue.poison_depth", "hub.cases.overdue", "hub.chats.waiting" })
        {
            named.ShouldContain(essential);
        }
    }

    [Fact]
    public void KeyVault_RbacWithPurgeProtection()
    {
        var vault = compiled.Resource("keyvault", "Microsoft.KeyVault/vaults");
        ((bool)vault["properties"]!["enableRbacAuthorization"]!).ShouldBeTrue();
        ((bool)vault["properties"]!["enablePurgeProtection"]!).ShouldBeTrue();
    }

    [Fact]
    public void Channels_DefaultsCoverEveryChannelTypeAndEachGetsAWebhookUrl()
    {
        var defaults = compiled.Template["parameters"]!["channels"]!["defaultValue"]!.AsArray().Select(c => (string)c!["type"]!).ToHashSet();
        using var app = App();
        defaults.ShouldBe(app.GetRequiredService<ChannelTypes>().Known, ignoreOrder: true);
        var webhooks = compiled.Template["outputs"]!["webhooks"]!.ToJsonString();
        webhooks.ShouldContain("/api/channels/twilio-voice/");
        webhooks.ShouldContain("/incoming");
        webhooks.ShouldContain("/status");
        webhooks.ShouldContain("/api/channels/");
        compiled.Template["outputs"]!["platformApi"]!.ToJsonString().ShouldContain("/api/platform/v1");
    }

    [Fact]
    public void Secrets_PerChannelType_AreExactlyWhatStartupValidationNeeds()
    {
        var secretsByType = compiled.Template["variables"]!["secretsByType"]!.AsObject();
        using var app = App();
        var types = app.GetRequiredService<ChannelTypes>();
        secretsByType.Select(kv => kv.Key).ShouldBe(types.Known, ignoreOrder: true);
        foreach (var (type, secrets) in secretsByType)
        {
            var settings = new Dictionary<string, string?> { [$"Hub:Channels:x:Type"] = type };
            foreach (var s in secrets!.AsArray().Select(s => (string)s!))
            {
                typeof(ChannelOptions).GetProperty(s).ShouldNotBeNull($"{type}: {s} is not a channel setting");
                settings[$"Hub:Channels:x:{s}"] = "a-value-from-key-vault";
            }

            var setup = new ChannelsOptionsSetup(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), types);
            var options = new ChannelsOptions();
            setup.Configure(options);
            var result = setup.Validate(null, options);
            result.Failed.ShouldBeFalse($"{type} with only its Key Vault secrets: {result.FailureMessage}");

            // And each one is needed: without it start-up refuses (so nothing optional is referenced and left unresolved).
            foreach (var s in secrets.AsArray().Select(s => (string)s!))
            {
                var fewer = new Dictionary<string, string?>(settings) { [$"Hub:Channels:x:{s}"] = null };
                var o = new ChannelsOptions();
                var partial = new ChannelsOptionsSetup(new ConfigurationBuilder().AddInMemoryCollection(fewer).Build(), types);
                partial.Configure(o);
                partial.Validate(null, o).Failed.ShouldBeTrue($"{type}: {s} is referenced but not required");
            }
        }
    }

    [Fact]
    public void Secrets_AreKeyVaultReferencesNamedAsConfigurationKeys()
    {
        // Key Vault secret names use "--" where configuration uses ":"; the app setting uses "__".
        var text = File.ReadAllText(Repo.PathOf("infra-bicep", "main.bicep"));
        text.ShouldContain("'Hub__Channels__${c.name}__${s}', keyVaultReference(names.vault, 'Hub--Channels--${c.name}--${s}')");
        text.ShouldContain("'Hub__Platforms__${p.id}__Secret', keyVaultReference(names.vault, 'Hub--Platforms--${p.id}--Secret')");
        new PlatformOptions { Secret = new string('s', PlatformsOptionsSetup.MinSecretLength) }.Secrets().ShouldContain(new string('s', PlatformsOptionsSetup.MinSecretLength));
    }

    [Fact]
    public void FunctionApp_CustomHandlerOnFlexWithIdentityStorage()
    {
        var site = compiled.Resource("functionapp", "Microsoft.Web/sites");
        ((string)site["kind"]!).ShouldBe("functionapp,linux");
        site["properties"]!["keyVaultReferenceIdentity"].ShouldNotBeNull();
        var settings = compiled.Module("functionapp")["variables"]!["hostSettings"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => s!["value"]!.ToString());
        settings["AzureWebJobsStorage__credential"].ShouldBe("managedidentity"); // the host's storage by identity, no key
        settings.ShouldContainKey("AzureWebJobsStorage__clientId");
        settings.ShouldNotContainKey("AzureWebJobsStorage");
        settings["ASPNETCORE_ENVIRONMENT"].ShouldBe("Production");
        ((string)compiled.Template["parameters"]!["plan"]!["defaultValue"]!).ShouldBe("FlexConsumption");
        compiled.Template["parameters"]!["plan"]!["allowedValues"]!.AsArray().Select(v => (string)v!).ShouldBe(["FlexConsumption", "ElasticPremium"]);
    }

    [Fact]
    public void CaseDatabase_EntraOnly_TlsRequired_BackupsAndHighAvailabilityAsParameters()
    {
        var server = compiled.Resource("postgres", "Microsoft.DBforPostgreSQL/flexibleServers");
        var auth = server["properties"]!["authConfig"]!;
        ((string)auth["passwordAuth"]!).ShouldBe("Disabled", "no password exists anywhere");
        ((string)auth["activeDirectoryAuth"]!).ShouldBe("Enabled");
        var configurations = CompiledTemplate.Resources(compiled.Module("postgres"))
            .Where(r => (string?)r["type"] == "Microsoft.DBforPostgreSQL/flexibleServers/configurations")
            .ToDictionary(r => r["name"]!.ToString().Split('\'').Reverse().Skip(1).First(), r => (string)r["properties"]!["value"]!);
        configurations["require_secure_transport"].ShouldBe("on");
        configurations["ssl_min_protocol_version"].ShouldBe("TLSv1.2");

        var parameters = compiled.Template["parameters"]!;
        foreach (var p in new[] { "databaseBackupRetentionDays", "databaseGeoRedundantBackup", "databaseHighAvailability", "databaseSku", "databaseAdministratorObjectId" })
        {
            parameters[p].ShouldNotBeNull(p);
        }

        parameters["databaseHighAvailability"]!["allowedValues"]!.AsArray().Select(v => (string)v!).ShouldBe(["Disabled", "SameZone", "ZoneRedundant"]);

        // The app reaches it as its managed identity, with tokens (Hub:Cases:UseEntraAuthentication), over verified TLS.
        var text = File.ReadAllText(Repo.PathOf("infra-bicep", "main.bicep"));
        text.ShouldContain("setting('Hub__Cases__UseEntraAuthentication', 'true')");
        text.ShouldContain("setting('Hub__Cases__ManagedIdentityClientId', identity.outputs.clientId)");
        text.ShouldContain("Username=${names.identity};Ssl Mode=VerifyFull");
        text.ShouldNotContain("Password=", Case.Insensitive);
    }

    [Fact]
    public void StaffSignIn_IsConfiguredFromParameters_WithTheClientSecretFromKeyVault()
    {
        var parameters = compiled.Template["parameters"]!;
        foreach (var p in new[] { "authAuthority", "authClientId", "authAudience" })
        {
            ((string)parameters[p]!["defaultValue"]!).ShouldBe(string.Empty, p);
        }

        var text = File.ReadAllText(Repo.PathOf("infra-bicep", "main.bicep"));
        text.ShouldContain("setting('Hub__Auth__Authority', authAuthority)");
        text.ShouldContain("setting('Hub__Auth__ClientSecret', keyVaultReference(names.vault, 'Hub--Auth--ClientSecret'))");
        text.ShouldContain("authSettings,");
    }

    /// <summary>The app's services as its areas register them (Production, no configuration): what it would ask of Azure.</summary>
    private static ServiceProvider App()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddHubServices(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Production" });
        return services.BuildServiceProvider();
    }
}
