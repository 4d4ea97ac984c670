using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Core.Envelope;
using Hub.Functions.Hosting;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;

namespace Hub.Functions.Tests.Hosting;

/// <summary>Azure Functions custom-handler mode: function.json folders ⇄ endpoints, and payload-mode invocations.</summary>
public sealed class CustomHandlerTests(CustomHandlerTests.Fixture hub) : IClassFixture<CustomHandlerTests.Fixture>
{
    public sealed class Fixture : HubFixture
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            [HubApp.CustomHandlerPortVariable] = "7099",
            ["Hub:Cases:OutageRetryDelay"] = "00:00:01",
        };
    }

    private static string FunctionAppDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "functions", "Hub.Functions", "FunctionApp");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("functions/Hub.Functions/FunctionApp");
    }

    [Fact]
    public void FunctionFolders_AndEndpoints_MatchOneToOne()
    {
        var endpoints = hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Function: e.Metadata.GetMetadata<FunctionMetadata>()))
            .Where(x => x.Function is not null)
            .GroupBy(x => x.Function!.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Endpoint).ToList(), StringComparer.Ordinal);
        var folders = Directory.GetDirectories(FunctionAppDir()).ToDictionary(d => Path.GetFileName(d), d => d, StringComparer.Ordinal);

        folders.Keys.Order(StringComparer.Ordinal).ShouldBe(endpoints.Keys.Order(StringComparer.Ordinal));
        File.Exists(Path.Combine(AppContext.BaseDirectory, "FunctionApp", "ProcessReport", "function.json")).ShouldBeTrue("function.json files ship with the app");

        foreach (var (name, folder) in folders)
        {
            var binding = JsonNode.Parse(File.ReadAllText(Path.Combine(folder!, "function.json")))!["bindings"]![0]!;
            // One function may be served by several endpoints (Messenger: GET handshake + POST); one route, unless
            // the function's route is a catch-all ("auth/{*path}"): then every endpoint lies under it.
            var endpoint = endpoints[name!][0];
            var methods = endpoints[name!].SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods).Distinct().ToList();
            var route = (string?)binding["route"];
            if (route?.EndsWith("/{*path}", StringComparison.Ordinal) == true)
            {
                var under = "/" + route[..^"{*path}".Length];
                endpoints[name!].ShouldAllBe(e => ("/" + e.RoutePattern.RawText!.TrimStart('/') + "/").StartsWith(under, StringComparison.Ordinal), name);
                binding["methods"]!.AsArray().Select(m => ((string)m!).ToUpperInvariant()).ShouldBe(methods, ignoreOrder: true, name);
                continue;
            }

            endpoints[name!].Select(e => e.RoutePattern.RawText).Distinct().ShouldHaveSingleItem(name);
            switch ((string?)binding["type"])
            {
                case "httpTrigger":
                    ("/" + (string)route!).ShouldBe("/" + endpoint.RoutePattern.RawText!.TrimStart('/'), name);
                    binding["methods"]!.AsArray().Select(m => ((string)m!).ToUpperInvariant()).ShouldBe(methods, ignoreOrder: true, name);
                    break;
                case "queueTrigger":
                    endpoint.RoutePattern.RawText.ShouldBe("/" + name, name);
                    methods.ShouldBe(["POST"], name);
                    var (queue, bindingName) = name switch
                    {
                        Hub.Functions.Cases.ReportProcessor.FunctionName => ("reports", Hub.Functions.Cases.ReportProcessor.BindingName),
                        Hub.Functions.Chat.BotTurnProcessor.FunctionName => (Hub.Functions.Chat.BotInbox.QueueName, Hub.Functions.Chat.BotTurnProcessor.BindingName),
                        Hub.Functions.Platform.TakedownDelivery.FunctionName => (Hub.Functions.Platform.Takedowns.QueueName, Hub.Functions.Platform.TakedownDelivery.BindingName),
                        Hub.Functions.Channels.SmsOutbound.SmsReplyDelivery.FunctionName => (Hub.Functions.Channels.SmsOutbound.SmsOutbox.QueueName, Hub.Functions.Channels.SmsOutbound.SmsReplyDelivery.BindingName),
                        Hub.Functions.Referrals.ReferralDelivery.FunctionName => (Hub.Functions.Referrals.Referrals.QueueName, Hub.Functions.Referrals.ReferralDelivery.BindingName),
                        _ => throw new ShouldAssertException($"{name}: no queue expected"),
                    };
                    ((string)binding["queueName"]!).ShouldBe(queue, name);
                    ((string)binding["name"]!).ShouldBe(bindingName, name);
                    break;
                default:
                    throw new ShouldAssertException($"{name}: unexpected trigger {binding["type"]}");
            }
        }
    }

    [Fact]
    public void HostJson_DeclaresProxyingCustomHandler()
    {
        var dir = Directory.GetParent(Directory.GetParent(FunctionAppDir())!.FullName)!.Parent!.FullName;
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "host.json")))!;
        ((bool)host["customHandler"]!["enableProxyingHttpRequest"]!).ShouldBeTrue();
        ((string)host["extensions"]!["http"]!["routePrefix"]!).ShouldBe(string.Empty);
        ((string)host["extensions"]!["queues"]!["messageEncoding"]!).ShouldBe("base64");
        ((int)host["extensions"]!["queues"]!["maxDequeueCount"]!).ShouldBe(5);
    }

    private static StringContent Invocation(JsonNode data, int dequeueCount) => new(
        new JsonObject
        {
            ["Data"] = new JsonObject { ["report"] = data },
            ["Metadata"] = new JsonObject
            {
                ["DequeueCount"] = dequeueCount,
                ["Id"] = Guid.NewGuid().ToString(),
                ["InsertionTime"] = "2026-11-22T01:00:00+00:00",
                ["ExpirationTime"] = "2026-11-29T01:00:00+00:00",
                ["NextVisibleTime"] = "2026-11-22T01:00:10+00:00",
                ["PopReceipt"] = "AgAAAAMAAAAAAAAAAgtnj8x+1QE=",
                ["sys"] = new JsonObject { ["MethodName"] = "ProcessReport", ["UtcNow"] = "2026-11-22T01:00:00Z", ["RandGuid"] = Guid.NewGuid().ToString() },
            },
        }.ToJsonString(),
        Encoding.UTF8,
        "application/json");

    [Fact]
    public async Task ProcessReport_CaseStoreDown_AnswersSuccessAndPutsAFreshCopyBack_SoTheHostNeverPoisonsIt()
    {
        var mid = "down-" + Guid.NewGuid().ToString("N");
        var json = JsonSerializer.Serialize(TestEnvelopes.For(mid), HubJsonContext.Default.ReportEnvelope);
        hub.Faults.UnavailableFor(mid);

        // The host's 5th delivery: with a failure answer the host would poison it now.
        using var response = await hub.Client.PostAsync("/ProcessReport", Invocation(JsonValue.Create(json)!, 5));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, "success: the host deletes this delivery; the copy carries the report");
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["Logs"]!.AsArray().Select(l => (string)l!).ShouldContain(l => l.Contains("held back", StringComparison.Ordinal));
        (await hub.Services.GetRequiredService<Hub.Functions.Messaging.PoisonMessages>().ListAsync(CancellationToken.None)).ShouldNotContain(p => p.Message.Contains(mid, StringComparison.Ordinal));

        Azure.Storage.Queues.Models.QueueMessage? copy = null;
        var deadline = DateTimeOffsetClock.Elapsed(TimeSpan.FromSeconds(20));
        while (copy is null && !deadline.IsExpired)
        {
            await Task.Delay(200);
            var got = (await hub.Storage.Reports.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
            copy = got.FirstOrDefault(m => m.Body.ToString().Contains(mid, StringComparison.Ordinal));
        }

        copy.ShouldNotBeNull("the report is back on the queue once the hold-back delay passes");
        copy.DequeueCount.ShouldBe(1, "a fresh message: the outage's attempts do not count");
        await hub.Storage.Reports.DeleteMessageAsync(copy.MessageId, copy.PopReceipt);
        hub.Faults.Heal(mid);
        using var healed = await hub.Client.PostAsync("/ProcessReport", Invocation(JsonValue.Create(copy.Body.ToString())!, (int)copy.DequeueCount));
        JsonNode.Parse(await healed.Content.ReadAsStringAsync())!["Logs"]!.AsArray().Select(l => (string)l!).ShouldContain("ProcessReport: Created");
    }

    public static TheoryData<string> Shapes => new() { "string", "double-encoded string", "object" };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ProcessReport_PayloadModeInvocation_CreatesCaseAndAnswersOutputsLogsReturnValue(string shape)
    {
        var mid = "ch-" + Guid.NewGuid().ToString("N");
        var json = JsonSerializer.Serialize(TestEnvelopes.For(mid), HubJsonContext.Default.ReportEnvelope);
        JsonNode data = shape switch
        {
            "string" => JsonValue.Create(json)!,
            "double-encoded string" => JsonValue.Create(JsonSerializer.Serialize(json))!,
            _ => JsonNode.Parse(json)!,
        };

        using var response = await hub.Client.PostAsync("/ProcessReport", Invocation(data, 1));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        data = data.DeepClone();
        body.ContainsKey("Outputs").ShouldBeTrue();
        body.ContainsKey("ReturnValue").ShouldBeTrue();
        body["Logs"]!.AsArray().Select(l => (string)l!).ShouldContain("ProcessReport: Created");
        (await hub.WaitForCaseAsync("hn-sms", mid, TimeSpan.FromSeconds(2))).ShouldNotBeNull();

        using var again = await hub.Client.PostAsync("/ProcessReport", Invocation(data, 2));
        JsonNode.Parse(await again.Content.ReadAsStringAsync())!["Logs"]!.AsArray().Select(l => (string)l!).ShouldContain("ProcessReport: Duplicate");
    }

    [Fact]
    public async Task ProcessReport_FailureBeforeLastAttempt_500SoTheHostRetries_ThenPoisonOnLast()
    {
        var mid = "chf-" + Guid.NewGuid().ToString("N");
        hub.Faults.FailFor(mid);
        var json = JsonSerializer.Serialize(TestEnvelopes.For(mid), HubJsonContext.Default.ReportEnvelope);
        using var early = await hub.Client.PostAsync("/ProcessReport", Invocation(JsonValue.Create(json)!, 1));
        early.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);

        using var last = await hub.Client.PostAsync("/ProcessReport", Invocation(JsonValue.Create(json)!, 5));
        last.StatusCode.ShouldBe(HttpStatusCode.OK);
        var poisoned = await hub.Services.GetRequiredService<Hub.Functions.Messaging.PoisonMessages>().ListAsync(CancellationToken.None);
        poisoned.ShouldContain(p => p.Message == json && p.Error!.Contains("injected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProcessReport_NotAnInvocation_400()
    {
        using var response = await hub.Client.PostAsync("/ProcessReport", new StringContent("{\"Data\":{}}", Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var garbage = await hub.Client.PostAsync("/ProcessReport", new StringContent("<xml/>", Encoding.UTF8, "application/json"));
        garbage.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Pollers_AreOffInCustomHandlerMode()
    {
        var mid = "nopoll-" + Guid.NewGuid().ToString("N");
        await hub.Storage.Reports.SendMessageAsync(JsonSerializer.Serialize(TestEnvelopes.For(mid), HubJsonContext.Default.ReportEnvelope));
        await Task.Delay(1000);
        (await hub.PeekReportsAsync()).ShouldContain(m => m.Contains(mid, StringComparison.Ordinal), "the Functions host, not the app, consumes the queue");
    }

    [Fact]
    public async Task ReadinessProbe_RootAnswers200() =>
        (await hub.Client.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK);
}
