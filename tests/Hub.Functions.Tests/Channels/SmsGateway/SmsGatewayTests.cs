using System.Net;
using System.Text.Json;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Channels.SmsGateway;

public sealed class SmsGatewayTests(HubFixture hub) : IClassFixture<HubFixture>
{
    private static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    [Fact]
    public async Task Webhook_Valid_AcceptsWithReferenceAndReplyText()
    {
        var id = "vt-" + Guid.NewGuid().ToString("N");
        using var response = await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(id, "Bạn em bị bắt nạt trên mạng, ở Bình Dương"), Now));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        doc.RootElement.GetProperty("status").GetString().ShouldBe("accepted");
        var reference = doc.RootElement.GetProperty("reference").GetString()!;
        doc.RootElement.GetProperty("reply").GetString()!.ShouldContain(reference);

        var stored = await hub.WaitForCaseAsync("vt-gw", id);
        stored.ShouldNotBeNull();
        var envelope = stored.Envelope;
        SchemaValidator.Errors(envelope).ShouldBeEmpty();
        using var env = JsonDocument.Parse(envelope);
        env.RootElement.GetProperty("source").GetProperty("carrier").GetString().ShouldBe("viettel");
        env.RootElement.GetProperty("location").GetProperty("provinceCode").GetString().ShouldBe("79"); // Bình Dương → Hồ Chí Minh
        env.RootElement.GetProperty("incident").GetProperty("categories")[0].GetString().ShouldBe("ONLINE.BULLYING");
    }

    [Fact]
    public async Task Webhook_TextWithNoncharacter_AcceptedNot500()
    {
        // Fuzz finding kept as a test: "\uffff" in the JSON text made normalisation throw (500, retried forever).
        var id = "vt-" + Guid.NewGuid().ToString("N");
        using var response = await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(id, "cứu em \\uffff"), Now));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var stored = await hub.WaitForCaseAsync("vt-gw", id);
        stored.ShouldNotBeNull();
        using var env = JsonDocument.Parse(stored.Envelope);
        env.RootElement.GetProperty("incident").GetProperty("description").GetString().ShouldBe("cứu em \uFFFD");
    }

    [Fact]
    public async Task Webhook_SignedWithSecondarySecret_Accepted()
    {
        var id = "vt-" + Guid.NewGuid().ToString("N");
        using var response = await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(id, "xin chào"), Now, secret: TestSecrets.GatewaySecondarySecret));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Webhook_ReplayedIdenticalRequestInsideWindow_SameReportNoSecondCase()
    {
        var id = "vt-" + Guid.NewGuid().ToString("N");
        var json = ProviderRequests.GatewayJson(id, "lặp lại");
        var ts = Now.ToUnixTimeSeconds();
        using var first = await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", json, Now, timestamp: ts));
        using var replay = await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", json, Now, timestamp: ts));

        using var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        using var b = JsonDocument.Parse(await replay.Content.ReadAsStringAsync());
        b.RootElement.GetProperty("status").GetString().ShouldBe("duplicate");
        b.RootElement.GetProperty("reportId").GetString().ShouldBe(a.RootElement.GetProperty("reportId").GetString());
        (await hub.CountBlobsAsync("raw", "vt-gw/")).ShouldBeGreaterThan(0);
    }

    public static TheoryData<string, Func<string, HttpRequestMessage>, HttpStatusCode> RejectedCases => new()
    {
        { "bad signature", id => ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(id, "x"), Now, signature: "v1=" + new string('0', 64)), HttpStatusCode.Unauthorized },
        { "signed with an unknown secret", id => ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(id, "x"), Now, secret: "guess"), HttpStatusCode.Unauthorized },
        { "stale timestamp (replay after the window)", id => ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(id, "x"), Now, timestamp: Now.ToUnixTimeSeconds() - 301), HttpStatusCode.Unauthorized },
        { "timestamp in the future", id => ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(id, "x"), Now, timestamp: Now.ToUnixTimeSeconds() + 301), HttpStatusCode.Unauthorized },
        {
            "missing signature headers",
            id => new HttpRequestMessage(HttpMethod.Post, "/api/channels/sms-gateway/vt-gw") { Content = new StringContent(ProviderRequests.GatewayJson(id, "x"), System.Text.Encoding.UTF8, "application/json") },
            HttpStatusCode.Unauthorized
        },
        { "invalid JSON, validly signed", _ => ProviderRequests.Gateway("vt-gw", "{\"messageId\": \"oops\"", Now), HttpStatusCode.BadRequest },
        { "JSON of the wrong shape", _ => ProviderRequests.Gateway("vt-gw", "[1,2,3]", Now), HttpStatusCode.BadRequest },
        { "required fields missing", _ => ProviderRequests.Gateway("vt-gw", "{\"text\":\"x\"}", Now), HttpStatusCode.BadRequest },
        { "wrong field type", id => ProviderRequests.Gateway("vt-gw", $"{{\"messageId\":\"{id}\",\"from\":84912345678,\"to\":\"111\",\"text\":\"x\"}}", Now), HttpStatusCode.BadRequest },
        { "unknown instance", id => ProviderRequests.Gateway("nope", ProviderRequests.GatewayJson(id, "x"), Now), HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(RejectedCases))]
    public async Task Webhook_Rejected_Clear4xxNothingWritten(string label, Func<string, HttpRequestMessage> build, HttpStatusCode expected)
    {
        var id = "vt-" + Guid.NewGuid().ToString("N");
        var before = await hub.CountBlobsAsync("raw", "vt-gw/");
        using var response = await hub.Client.SendAsync(build(id));
        response.StatusCode.ShouldBe(expected, label);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", label);
        var body = await response.Content.ReadAsStringAsync();
        foreach (var secret in TestSecrets.All)
        {
            body.ShouldNotContain(secret);
        }

        (await hub.CountBlobsAsync("raw", "vt-gw/")).ShouldBe(before, label);
        (await hub.Storage.Table(Hub.Functions.Intake.IntakeService.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("vt-gw", id)).HasValue.ShouldBeFalse(label);
    }

    [Fact]
    public async Task Webhook_MissingFields_ListedByJsonPath()
    {
        using var response = await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", "{\"text\":\"x\"}", Now));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = doc.RootElement.GetProperty("errors");
        errors.TryGetProperty("$.messageId", out _).ShouldBeTrue();
        errors.TryGetProperty("$.from", out _).ShouldBeTrue();
        errors.TryGetProperty("$.to", out _).ShouldBeTrue();
    }
}
