using Hub.Functions.Hosting;
using Hub.Functions.Messaging;
using Hub.Functions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Hub.Functions.Tests.Messaging;

/// <summary>What the areas register as queue consumers, and how the operators' poison commands find their queues.</summary>
public sealed class QueueConsumerTests
{
    private static ServiceProvider App()
    {
        var services = new ServiceCollection();
        // The test hubs' settings (keys, channels), pointed at a storage account nothing here connects to.
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(Infrastructure.HubFixture.CoreSettings("UseDevelopmentStorage=true", null)).Build());
        services.AddLogging();
        var environment = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory };
        services.AddSingleton<IHostEnvironment>(environment);
        services.AddHubServices(environment);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Consumers_OnePerQueue_EachWithItsFunctionAndPoller()
    {
        using var app = App();
        var storage = app.GetRequiredService<HubStorage>();
        var consumers = app.GetServices<QueueConsumer>().ToDictionary(c => c.FunctionName, c => c.Queue(storage).Name);

        consumers.ShouldBe(new Dictionary<string, string>
        {
            ["ProcessReport"] = "reports",
            ["BotTurn"] = "bot-turns",
            ["DeliverTakedown"] = "takedowns",
            ["DeliverSmsReply"] = "sms-replies",
            ["DeliverReferral"] = "referrals",
        }, ignoreOrder: true);
        app.GetServices<IHostedService>().OfType<QueueWorker>().Select(w => w.Consumer.FunctionName).ShouldBe(consumers.Keys, ignoreOrder: true);
        foreach (var queue in consumers.Values)
        {
            storage.Resources.ShouldContain(new StorageResource(StorageResourceKind.Queue, queue));
            storage.Resources.ShouldContain(new StorageResource(StorageResourceKind.Queue, queue + "-poison"));
        }
    }

    [Theory]
    [InlineData(new string[0], "reports")]
    [InlineData(new[] { "poison", "list" }, "reports")]
    [InlineData(new[] { "poison", "list", "--bot-turns" }, "bot-turns")]
    [InlineData(new[] { "poison", "replay", "--takedowns", "--all" }, "takedowns")]
    [InlineData(new[] { "poison", "list", "--sms-replies" }, "sms-replies")]
    [InlineData(new[] { "poison", "replay", "--referrals", "--all" }, "referrals")]
    public void PoisonCommands_FlagPicksTheQueue(string[] args, string queue)
    {
        using var app = App();
        var poison = app.GetRequiredService<PoisonMessages>();
        poison.QueueFor(args).ShouldBe(queue);
        poison.QueueOptions.ShouldBe(["--bot-turns", "--takedowns", "--sms-replies", "--referrals"], ignoreOrder: true);
    }
}
