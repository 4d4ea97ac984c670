using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Hub.Core.Platform;
using Hub.Functions.Platform;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Platform;

/// <summary>The platform auto-report API end to end: real endpoints, real Azurite, signed requests.</summary>
public sealed class PlatformApiTests(PlatformFixture hub) : IClassFixture<PlatformFixture>
{
    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<PlatformReceipt> SubmitAsync(string body)
    {
        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body));
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), PlatformJsonContext.Default.PlatformReceipt)!;
    }

    private async Task<bool> IntakeRowExistsAsync(string platform, string platformReportId) =>
        (await hub.Storage.Table(Hub.Functions.Intake.IntakeService.TableName).GetEntityIfExistsAsync<TableEntity>(platform, TableKeys.Escape(platformReportId))).HasValue;

    [Fact]
    public async Task Submit_PublishedExample_AcceptedAsPlatformEnvelope()
    {
        var id = PlatformFixture.NewId();
        var receipt = await SubmitAsync(PlatformFixture.Example(id));

        receipt.Status.ShouldBe("accepted");
        receipt.PlatformReportId.ShouldBe(id);
        receipt.StatusUrl.ShouldBe($"{HubFixture.PublicBaseUrl}/api/platform/v1/reports/{receipt.HubReportId}");
        var kase = await hub.WaitForCaseAsync("tt", id);
        kase.ShouldNotBeNull();
        var json = kase.Envelope;
        SchemaValidator.Errors(json).ShouldBeEmpty();

        var e = JsonDocument.Parse(json).RootElement;
        e.GetProperty("schema").GetString().ShouldBe("hub.report/v1");
        e.GetProperty("id").GetString().ShouldBe(receipt.HubReportId);
        e.GetProperty("channel").GetString().ShouldBe("platform");
        e.GetProperty("channelInstance").GetString().ShouldBe("tt");
        e.GetProperty("source").GetProperty("providerMessageId").GetString().ShouldBe(id);
        e.GetProperty("reporter").GetProperty("role").GetString().ShouldBe("platform");
        var incident = e.GetProperty("incident");
        incident.GetProperty("categories").EnumerateArray().Select(c => c.GetString()).ShouldBe(["OCSEA.GROOMING", "OCSEA.SEXTORTION"], ignoreOrder: true);
        incident.GetProperty("victimAgeBand").GetString().ShouldBe("10-13");
        incident.GetProperty("urls")[0].GetString().ShouldBe("https://video.example.com/@hoa.2011/video/7311");
        incident.GetProperty("reportedAccounts")[0].GetString().ShouldBe("tt:6988123400011 @anh.trai.tot");
        incident.GetProperty("platform").GetProperty("incidentType").GetString().ShouldBe("online-enticement");
        incident.GetProperty("platform").GetProperty("actionsTaken").EnumerateArray().Select(a => a.GetString()).ShouldBe(["account-suspended", "content-restricted"]);
        e.GetProperty("signals").GetProperty("urgency").GetString().ShouldBe("high");
        e.GetProperty("location").GetProperty("provinceCode").GetString().ShouldBe("48");
        e.GetProperty("location").GetProperty("basis").GetString().ShouldBe("platform");
        var file = e.GetProperty("evidence")[0];
        file.GetProperty("heldBy").GetString().ShouldBe("tt");
        file.GetProperty("sha256").GetString().ShouldBe("d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
        file.GetProperty("sha1").GetString().ShouldBe("2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
        file.GetProperty("viewedByProvider").GetBoolean().ShouldBeTrue();
        file.TryGetProperty("blob", out _).ShouldBeFalse(); // hashes only: the hub never downloads the material

        // The reported person's IP and the platform contact's email stay in the encrypted raw blob only.
        json.ShouldNotContain("203.0.113.45");
        json.ShouldNotContain("tns-oncall@video.example.com");
        e.GetProperty("reporter").GetProperty("contactRef").GetString()!.ShouldStartWith("v1.");
        (await hub.CountBlobsAsync(HubStorage.RawContainer, "tt/")).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Submit_SameIdAgainInsideWindow_SameHubIdAndOneCase()
    {
        var id = PlatformFixture.NewId();
        var body = PlatformFixture.Example(id);
        var ts = PlatformFixture.Now;
        using var first = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body, timestamp: ts));
        using var replay = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body, timestamp: ts)); // byte-identical request
        using var edited = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(id)));

        var a = await JsonOf(first);
        var b = await JsonOf(replay);
        var c = await JsonOf(edited);
        first.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        replay.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        b.GetProperty("status").GetString().ShouldBe("duplicate");
        c.GetProperty("status").GetString().ShouldBe("duplicate");
        b.GetProperty("hubReportId").GetString().ShouldBe(a.GetProperty("hubReportId").GetString());
        c.GetProperty("hubReportId").GetString().ShouldBe(a.GetProperty("hubReportId").GetString());
        (await hub.WaitForCaseAsync("tt", id)).ShouldNotBeNull();
        var queued = (await hub.PeekReportsAsync()).Count(m => m.Contains(id, StringComparison.Ordinal));
        queued.ShouldBeLessThanOrEqualTo(1); // processed or at most the one pending envelope
        (await hub.Cases.ListRecentAsync(int.MaxValue, CancellationToken.None)).Count(c => c.ChannelInstance == "tt" && c.ProviderMessageId == id).ShouldBe(1);
    }

    [Fact]
    public async Task Submit_SignedWithSecondarySecret_Accepted()
    {
        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), secret: TestSecrets.PlatformSecondarySecret));
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    public static TheoryData<string, Func<string, HttpRequestMessage>> Unauthorized => new()
    {
        { "wrong signature", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, signature: "v1=" + new string('0', 64)) },
        { "signed with a guessed secret", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, secret: "guess-guess-guess-guess-guess-guess") },
        { "signed with another platform's secret", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, secret: TestSecrets.OtherPlatformSecret) },
        { "stale timestamp (replay after the window)", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, timestamp: PlatformFixture.Now - 301) },
        { "future timestamp", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, timestamp: PlatformFixture.Now + 301) },
        { "missing signature", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, omitSignature: true) },
        { "missing platform", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, platform: null) },
        { "unknown platform", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, platform: "nobody") },
        { "malformed platform id", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, platform: "../etc") },
        { "HMAC of another body", b => PlatformFixture.Call(HttpMethod.Post, "/reports", b, signature: Core.Signatures.HubSignature.Compute(TestSecrets.PlatformSecret, PlatformFixture.Now.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetBytes("{}"))) },
    };

    [Theory]
    [MemberData(nameof(Unauthorized))]
    public async Task Submit_NotAuthenticated_401AndNothingStored(string label, Func<string, HttpRequestMessage> build)
    {
        var id = PlatformFixture.NewId();
        using var response = await hub.Client.SendAsync(build(PlatformFixture.Minimal(id)));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, label);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var text = await response.Content.ReadAsStringAsync();
        text.ShouldNotContain(TestSecrets.PlatformSecret[..12]);
        (await IntakeRowExistsAsync("tt", id)).ShouldBeFalse(label);
        (await hub.PeekReportsAsync()).ShouldNotContain(m => m.Contains(id, StringComparison.Ordinal), label);
    }

    [Fact]
    public async Task Submit_UnknownPlatformAndBadSignature_AnswerAlike()
    {
        using var unknown = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), platform: "nobody"));
        using var wrong = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), secret: "guess-guess-guess-guess-guess-guess"));
        (await JsonOf(unknown)).GetProperty("detail").GetString().ShouldBe((await JsonOf(wrong)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Submit_SchemaErrors_400ListsEveryFieldByPathAndStoresNothing()
    {
        var id = PlatformFixture.NewId();
        var body = PlatformFixture.Example(id, n =>
        {
            n["incident"]!.AsObject().Remove("type");
            n["incident"]!["typ"] = "cyberbullying";
            n["incident"]!["occurredAt"] = "yesterday";
            n["files"]![0]!["hashes"]!["md5"] = "not-a-hash";
            n["files"]![0]!["tags"] = new JsonArray("nope");
            n["contentUrls"] = new JsonArray("ftp://x");
            n["reportedAccounts"]![0]!.AsObject().Remove("platformUserId");
            n["location"]!["provinceCode"] = "99";
            n["victim"]!["estimatedAgeMin"] = "thirteen";
            n["contact"]!["email"] = "not an email";
        });

        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var errors = (await JsonOf(response)).GetProperty("errors").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToArray());
        errors.Keys.Order(StringComparer.Ordinal).ShouldBe(
        [
            "$.contact.email",
            "$.contentUrls[0]",
            "$.files[0].hashes.md5",
            "$.files[0].tags[0]",
            "$.incident.occurredAt",
            "$.incident.typ",
            "$.incident.type",
            "$.location.provinceCode",
            "$.reportedAccounts[0].platformUserId",
            "$.victim.estimatedAgeMin",
        ]);
        errors["$.incident.type"].ShouldBe(["is required"]);
        errors["$.incident.typ"][0].ShouldContain("misspelt");
        errors["$.files[0].tags[0]"][0].ShouldStartWith("must be one of: possible-self-production");
        errors["$.victim.estimatedAgeMin"].ShouldBe(["must be an integer"]);
        (await IntakeRowExistsAsync("tt", id)).ShouldBeFalse();
        (await hub.PeekReportsAsync()).ShouldNotContain(m => m.Contains(id, StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "not JSON", "{\"platformReportId\":", "$" },
        { "an array", "[]", "$" },
        { "victim ages reversed", $$$"""{"platformReportId":"{{{PlatformFixture.NewId()}}}","incident":{"type":"other"},"victim":{"estimatedAgeMin":15,"estimatedAgeMax":12}}""", "$.victim.estimatedAgeMax" },
        { "incident in the future", $$$"""{"platformReportId":"{{{PlatformFixture.NewId()}}}","incident":{"type":"other","occurredAt":"2099-01-01T00:00:00Z"}}""", "$.incident.occurredAt" },
        { "id with a slash", """{"platformReportId":"a/b","incident":{"type":"other"}}""", "$.platformReportId" },
        { "file without a hash", $$$"""{"platformReportId":"{{{PlatformFixture.NewId()}}}","incident":{"type":"other"},"files":[{"hashes":{}}]}""", "$.files[0].hashes" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Submit_BadBody_400AtPath(string label, string body, string path)
    {
        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, label);
        (await JsonOf(response)).GetProperty("errors").TryGetProperty(path, out _).ShouldBeTrue(label);
    }

    [Fact]
    public async Task Submit_WrongContentType_415()
    {
        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), contentType: "text/plain"));
        response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Submit_OverBodyLimit_413AndNothingStored()
    {
        var id = PlatformFixture.NewId();
        var body = PlatformFixture.Example(id, n => n["incident"]!["description"] = new string('x', 300 * 1024));
        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body));
        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await IntakeRowExistsAsync("tt", id)).ShouldBeFalse();
    }

    [Fact]
    public async Task Submit_EnvelopeTooLargeForTheQueue_413AndNothingHalfWritten()
    {
        // Valid by the schema, but twenty 2 KB URLs cannot ride in one queue message.
        var id = PlatformFixture.NewId();
        var urls = new JsonArray(Enumerable.Range(0, 24).Select(i => (JsonNode)$"https://video.example.com/{i}/{new string('a', 2000)}").ToArray());
        var body = PlatformFixture.Example(id, n => n["contentUrls"] = urls);
        var rawBefore = await hub.CountBlobsAsync(HubStorage.RawContainer, "tt/");

        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body));

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge, await response.Content.ReadAsStringAsync());
        (await IntakeRowExistsAsync("tt", id)).ShouldBeFalse();
        (await hub.PeekReportsAsync()).ShouldNotContain(m => m.Contains(id, StringComparison.Ordinal));
        (await hub.CountBlobsAsync(HubStorage.RawContainer, "tt/")).ShouldBe(rawBefore);
    }

    [Fact]
    public async Task Batch_SomeInvalid_ValidOnesAcceptedEachItemAnswered()
    {
        var good = PlatformFixture.NewId();
        var other = PlatformFixture.NewId();
        var body = $$"""
            {"reports":[
              {{PlatformFixture.Minimal(good)}},
              {"platformReportId":"{{PlatformFixture.NewId()}}","incident":{"type":"bogus"},"contentUrls":"x"},
              {{PlatformFixture.Minimal(good)}},
              {{PlatformFixture.Example(other)}}
            ]}
            """;

        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports/batch", body));

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var result = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), PlatformJsonContext.Default.PlatformBatchResult)!;
        result.Accepted.ShouldBe(3);
        result.Rejected.ShouldBe(1);
        result.Items.Select(i => i.Status).ShouldBe([202, 400, 202, 202]);
        result.Items[1].Errors!.Keys.Order(StringComparer.Ordinal).ShouldBe(["$.reports[1].contentUrls", "$.reports[1].incident.type"]);
        result.Items[2].Receipt!.HubReportId.ShouldBe(result.Items[0].Receipt!.HubReportId); // the same id twice in one batch is one report
        result.Items[2].Receipt!.Status.ShouldBe("duplicate");
        (await hub.WaitForCaseAsync("tt", good)).ShouldNotBeNull();
        (await hub.WaitForCaseAsync("tt", other)).ShouldNotBeNull();
    }

    [Fact]
    public async Task Batch_NoneValid_400WithItems()
    {
        var body = """{"reports":[{"platformReportId":"x1"},{"incident":{"type":"other"}}]}""";
        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports/batch", body));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var json = await JsonOf(response);
        json.GetProperty("errors").TryGetProperty("$.reports[0].incident", out _).ShouldBeTrue();
        json.GetProperty("errors").TryGetProperty("$.reports[1].platformReportId", out _).ShouldBeTrue();
        json.GetProperty("items").GetArrayLength().ShouldBe(2);
    }

    public static TheoryData<string, string> BadBatches => new()
    {
        { "no reports", """{"items":[]}""" },
        { "empty", """{"reports":[]}""" },
        { "over 100", "{\"reports\":[" + string.Join(',', Enumerable.Repeat(PlatformFixture.Minimal("same"), 101)) + "]}" },
        { "reports not an array", """{"reports":{}}""" },
        { "extra field", """{"reports":[{"platformReportId":"a","incident":{"type":"other"}}],"mode":"fast"}""" },
        { "not JSON", "{\"reports\":[" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task Batch_BadShape_400(string label, string body)
    {
        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports/batch", body));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, label);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task RateLimit_OverPlatformLimit_429WithRetryAfter()
    {
        // 'slow' may send 1 report a minute, with a burst of one full batch. The batch is spent on invalid items
        // (the limit counts before validation, so a platform cannot flood with bad reports either).
        var batch = "{\"reports\":[" + string.Join(',', Enumerable.Range(0, 100).Select(_ => "{}")) + "]}";
        using var spent = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports/batch", batch, platform: "slow", secret: TestSecrets.OtherPlatformSecret));
        spent.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var id = "slow-" + Guid.NewGuid().ToString("N");
        using var limited = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(id), platform: "slow", secret: TestSecrets.OtherPlatformSecret));

        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeInRange(1, 60);
        (await IntakeRowExistsAsync("slow", id)).ShouldBeFalse();

        // Another platform is not affected by 'slow' spending its budget.
        using var unaffected = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal()));
        unaffected.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Status_OwnReport_ShowsQueuedThenCase()
    {
        var id = PlatformFixture.NewId();
        var receipt = await SubmitAsync(PlatformFixture.Minimal(id));
        (await hub.WaitForCaseAsync("tt", id)).ShouldNotBeNull();

        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/" + receipt.HubReportId));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var status = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), PlatformJsonContext.Default.PlatformReportStatus)!;
        status.HubReportId.ShouldBe(receipt.HubReportId);
        status.PlatformReportId.ShouldBe(id);
        status.ReferenceCode.ShouldBe(receipt.ReferenceCode);
        status.Status.ShouldBe("new");
        status.Takedowns.ShouldBeEmpty();
    }

    [Fact]
    public async Task Status_AnotherPlatformsReportOrUnknownId_404()
    {
        var receipt = await SubmitAsync(PlatformFixture.Minimal());
        using var foreign = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/" + receipt.HubReportId, platform: "other", secret: TestSecrets.OtherPlatformSecret));
        using var unknown = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/01ARZ3NDEKTSV4RRFFQ69G5FAV"));
        using var garbage = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/not-an-id"));
        foreign.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        garbage.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Status_Unsigned_401()
    {
        var receipt = await SubmitAsync(PlatformFixture.Minimal());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/platform/v1/reports/" + receipt.HubReportId);
        request.Headers.Add(PlatformApi.PlatformHeader, "tt");
        using var response = await hub.Client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Registry_RegisteredPlatform_SignsWithItsSecretAndRotates()
    {
        var registry = hub.Services.GetRequiredService<PlatformRegistry>();
        var platformId = "reg-" + Guid.NewGuid().ToString("N")[..8];
        var secret = await registry.RegisterAsync(platformId, callbackUrl: null, ratePerMinute: 600, CancellationToken.None);
        secret.ShouldNotBeNull();
        secret.Length.ShouldBe(43);
        (await registry.RegisterAsync(platformId, null, 600, CancellationToken.None)).ShouldBeNull(); // never overwritten

        using var first = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), platform: platformId, secret: secret));
        first.StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var rotated = await registry.RotateAsync(platformId, CancellationToken.None);
        rotated.ShouldNotBeNull();
        rotated.ShouldNotBe(secret);
        using var withNew = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), platform: platformId, secret: rotated));
        using var withOld = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), platform: platformId, secret: secret));
        withNew.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        withOld.StatusCode.ShouldBe(HttpStatusCode.Accepted); // the previous secret stays valid as the secondary

        // The secret is sealed at rest.
        var row = await hub.Storage.Table(Hub.Functions.Platform.PlatformRegistry.TableName).GetEntityAsync<TableEntity>("platform", platformId);
        string.Join('|', row.Value.Select(kv => kv.Value?.ToString())).ShouldNotContain(rotated);
    }

    [Fact]
    public async Task OpenApi_ServedWithTheValidatingSchemaAndExamples()
    {
        using var response = await hub.Client.GetAsync("/api/platform/v1/openapi.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        ((string)doc["openapi"]!).ShouldBe("3.1.0");
        doc["paths"]!.AsObject().Select(p => p.Key).ShouldBe(["/reports", "/reports/batch", "/reports/{id}", "/takedowns/{id}/confirm", "/hashes/match", "/hashes", "/hashes/votes", "/signing-keys", "/openapi.json", "/docs"]);

        var schemaFile = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "platform.report.v1.schema.json")))!.AsObject();
        schemaFile.Remove("$schema");
        schemaFile.Remove("$id");
        JsonNode.DeepEquals(doc["components"]!["schemas"]!["PlatformReport"], schemaFile).ShouldBeTrue("the served schema is the validating one");

        var example = doc["paths"]!["/reports"]!["post"]!["requestBody"]!["content"]!["application/json"]!["examples"]!["enticement"]!["value"]!;
        PlatformSchema.Validate(example.ToJsonString()).ShouldBeEmpty();
        var batch = doc["paths"]!["/reports/batch"]!["post"]!["requestBody"]!["content"]!["application/json"]!["examples"]!["two"]!["value"]!;
        foreach (var item in batch["reports"]!.AsArray())
        {
            PlatformSchema.Validate(item!.ToJsonString()).ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task BatchExample_Published_IsAccepted()
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "examples", "platform-batch.v1.json")))!;
        foreach (var item in node["reports"]!.AsArray())
        {
            item!["platformReportId"] = PlatformFixture.NewId();
        }

        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports/batch", node.ToJsonString()));
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await JsonOf(response)).GetProperty("accepted").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task DocsPage_ReadableWithoutScripts()
    {
        using var response = await hub.Client.GetAsync("/api/platform/v1/docs");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain("/api/platform/v1/reports/batch");
        html.ShouldContain("$.files[].hashes.md5");
        html.ShouldContain("X-Hub-Signature");
        html.ShouldNotContain("<script");
        html.ShouldNotContain("{{", customMessage: "every slot of the page file is filled");
        System.Text.RegularExpressions.Regex.Matches(html, @"(?:src|href)=""([^""]+)""").Select(m => m.Groups[1].Value)
            .ShouldAllBe(u => !u.Contains("//", StringComparison.Ordinal), "the page loads nothing from another host");
    }
}
