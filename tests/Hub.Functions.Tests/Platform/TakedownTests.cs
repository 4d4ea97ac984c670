using System.Net;
using System.Text.Json;
using Hub.Core.Platform;
using Hub.Functions.Platform;
using Hub.Functions.Cases;
using Hub.Functions.Messaging;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Platform;

/// <summary>
/// The takedown loop against a fake platform on loopback: the hub's signed request (verified by the fake
/// with the hub's published key), retries, refusals, confirmation and the times recorded.
/// </summary>
public sealed class TakedownTests(PlatformFixture hub) : IClassFixture<PlatformFixture>
{
    private Takedowns Takedowns => hub.Services.GetRequiredService<Takedowns>();

    private async Task<PlatformReceipt> ReportAsync(string platform = "tt", string secret = TestSecrets.PlatformSecret)
    {
        var id = PlatformFixture.NewId();
        using var response = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Example(id), platform: platform, secret: secret));
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var receipt = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), PlatformJsonContext.Default.PlatformReceipt)!;
        (await hub.WaitForCaseAsync(platform, id)).ShouldNotBeNull();
        return receipt;
    }

    private async Task<ReceivedTakedownResult> WaitForDeliveryAsync(string takedownId, Func<TakedownRecord, bool> until)
    {
        var deadline = DateTimeOffsetClock.Elapsed(TimeSpan.FromSeconds(20));
        TakedownRecord? record = null;
        while (!deadline.IsExpired)
        {
            record = (await hub.Services.GetRequiredService<PlatformReports>().StatusAsync("tt", takedownId[..26], CancellationToken.None))!
                .Takedowns.Single(t => t.TakedownId == takedownId);
            if (until(record))
            {
                break;
            }

            await Task.Delay(50);
        }

        return new ReceivedTakedownResult(record!, hub.Platform.Received.Where(r => r.Request.TakedownId == takedownId).ToList());
    }

    private sealed record ReceivedTakedownResult(TakedownRecord Record, List<Hub.Simulators.ReceivedTakedown> Received);

    private static async Task<HttpResponseMessage> ConfirmAsync(PlatformFixture hub, string takedownId, string body, string platform = "tt", string secret = TestSecrets.PlatformSecret) =>
        await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, $"/takedowns/{takedownId}/confirm", body, platform: platform, secret: secret));

    [Fact]
    public async Task Takedown_RequestDeliverConfirm_RoundTripWithTimesRecorded()
    {
        var receipt = await ReportAsync();
        var (requested, error) = await Takedowns.RequestAsync("tt", receipt.HubReportId, [], "CSAM: remove and preserve", CancellationToken.None);
        error.ShouldBeNull();
        requested!.Urls.ShouldBe(["https://video.example.com/@hoa.2011/video/7311", "https://cdn.video.example.com/preserved/7311.png"]); // from the report

        var delivered = await WaitForDeliveryAsync(requested.TakedownId, t => t.Status == "delivered");
        delivered.Record.Status.ShouldBe("delivered");
        delivered.Record.DeliveryAttempts.ShouldBe(1);
        var got = delivered.Received.ShouldHaveSingleItem();
        got.SignatureValid.ShouldBeTrue();
        got.KeyId.ShouldBe("t1");
        got.TakedownIdHeader.ShouldBe(requested.TakedownId);
        got.Request.HubReportId.ShouldBe(receipt.HubReportId);
        got.Request.PlatformReportId.ShouldBe(receipt.PlatformReportId);
        got.Request.Reason.ShouldBe("CSAM: remove and preserve");
        got.Request.ConfirmUrl.ShouldBe($"{HubFixture.PublicBaseUrl}/api/platform/v1/takedowns/{requested.TakedownId}/confirm");

        using var confirm = await ConfirmAsync(hub, requested.TakedownId, """{"outcome":"removed","note":"gone"}""");
        confirm.StatusCode.ShouldBe(HttpStatusCode.OK, await confirm.Content.ReadAsStringAsync());

        using var status = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Get, "/reports/" + receipt.HubReportId));
        var t = JsonSerializer.Deserialize(await status.Content.ReadAsStringAsync(), PlatformJsonContext.Default.PlatformReportStatus)!.Takedowns.ShouldHaveSingleItem();
        t.Status.ShouldBe("confirmed");
        t.Outcome.ShouldBe("removed");
        t.RequestedAt.ShouldBe(requested.RequestedAt);
        t.DeliveredAt.ShouldNotBeNull();
        t.ConfirmedAt.ShouldNotBeNull();
        t.ConfirmedAt!.Value.ShouldBeGreaterThanOrEqualTo(t.DeliveredAt!.Value);
        t.RemovedAt.ShouldBe(t.ConfirmedAt); // no removedAt given: removal is taken to be the confirmation
        t.TimeToRemovalSeconds!.Value.ShouldBe((t.ConfirmedAt!.Value - t.RequestedAt).TotalSeconds, tolerance: 0.001);
        t.TimeToRemovalSeconds!.Value.ShouldBeGreaterThan(0);
        t.Note.ShouldBe("gone");

        // The takedown is the platform's referral on the case's timeline, with its time to removal.
        var kase = (await hub.Services.GetRequiredService<ICaseStore>().FindAsync("tt", receipt.PlatformReportId, CancellationToken.None))!;
        var history = (await hub.Services.GetRequiredService<CaseService>().GetDetailAsync(Actor.Console("test"), kase.Id, CancellationToken.None)).History;
        history.Select(h => h.Action).Where(a => a.StartsWith("takedown-", StringComparison.Ordinal)).ShouldBe(["takedown-requested", "takedown-delivered", "takedown-confirmed"]);
        history.Single(h => h.Action == "takedown-requested").Reason.ShouldBe("tt: 2 URL(s); CSAM: remove and preserve");
        history.Single(h => h.Action == "takedown-confirmed").Reason!.ShouldStartWith("tt: removed; time to removal 00:00:");
    }

    [Fact]
    public async Task Takedown_CallbackFailsTwice_RetriedWithBackoffThenDelivered()
    {
        var receipt = await ReportAsync();
        hub.Platform.FailNext(503, times: 1);
        hub.Platform.FailNext(429, times: 1, retryAfterSeconds: 1);
        var (requested, _) = await Takedowns.RequestAsync("tt", receipt.HubReportId, ["https://video.example.com/x"], null, CancellationToken.None);

        var delivered = await WaitForDeliveryAsync(requested!.TakedownId, t => t.Status == "delivered");

        delivered.Record.Status.ShouldBe("delivered");
        delivered.Record.DeliveryAttempts.ShouldBe(3);
        delivered.Record.LastDeliveryError.ShouldBeNull();
        delivered.Received.ShouldHaveSingleItem().SignatureValid.ShouldBeTrue();
    }

    [Fact]
    public async Task Takedown_PlatformDownBeyondInCallRetries_QueueRetriesLaterAndDelivers()
    {
        var receipt = await ReportAsync();
        hub.Platform.FailNext(502, times: 5); // 4 in-call attempts fail, then the queue's second delivery fails once more
        var (requested, _) = await Takedowns.RequestAsync("tt", receipt.HubReportId, ["https://video.example.com/y"], null, CancellationToken.None);

        var delivered = await WaitForDeliveryAsync(requested!.TakedownId, t => t.Status == "delivered");

        delivered.Record.Status.ShouldBe("delivered");
        delivered.Record.DeliveryAttempts.ShouldBe(6);
        delivered.Received.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Takedown_PlatformRefuses_RecordedFailedNotRetried()
    {
        var receipt = await ReportAsync();
        var before = hub.Platform.Calls;
        hub.Platform.FailNext(400);
        var (requested, _) = await Takedowns.RequestAsync("tt", receipt.HubReportId, ["https://video.example.com/z"], null, CancellationToken.None);

        var failed = await WaitForDeliveryAsync(requested!.TakedownId, t => t.Status == "failed");

        failed.Record.Status.ShouldBe("failed");
        failed.Record.LastDeliveryError.ShouldBe("HTTP 400");
        failed.Record.DeliveryAttempts.ShouldBe(1);
        await Task.Delay(300);
        (hub.Platform.Calls - before).ShouldBe(1);
    }

    [Fact]
    public async Task Confirm_Again_SameOutcomeIdempotentOtherOutcomeConflict()
    {
        var receipt = await ReportAsync();
        var (requested, _) = await Takedowns.RequestAsync("tt", receipt.HubReportId, ["https://video.example.com/a"], null, CancellationToken.None);
        await WaitForDeliveryAsync(requested!.TakedownId, t => t.Status == "delivered");

        using var first = await ConfirmAsync(hub, requested.TakedownId, """{"outcome":"not-found"}""");
        using var again = await ConfirmAsync(hub, requested.TakedownId, """{"outcome":"not-found"}""");
        using var other = await ConfirmAsync(hub, requested.TakedownId, """{"outcome":"removed"}""");

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await again.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        other.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var record = JsonSerializer.Deserialize(await first.Content.ReadAsStringAsync(), PlatformJsonContext.Default.TakedownRecord)!;
        record.TimeToRemovalSeconds.ShouldBeNull(); // nothing was removed
        record.RemovedAt.ShouldBeNull();
    }

    [Fact]
    public async Task Confirm_RemovedBeforeTheRequest_TimeToRemovalZeroAndRemovalTimeKept()
    {
        var receipt = await ReportAsync();
        var (requested, _) = await Takedowns.RequestAsync("tt", receipt.HubReportId, ["https://video.example.com/c"], null, CancellationToken.None);
        var removedAt = requested!.RequestedAt.AddHours(-3);

        using var confirm = await ConfirmAsync(hub, requested.TakedownId, $$"""{"outcome":"already-removed","removedAt":"{{removedAt:O}}"}""");

        confirm.StatusCode.ShouldBe(HttpStatusCode.OK);
        var record = JsonSerializer.Deserialize(await confirm.Content.ReadAsStringAsync(), PlatformJsonContext.Default.TakedownRecord)!;
        record.RemovedAt.ShouldBe(removedAt);
        record.TimeToRemovalSeconds.ShouldBe(0);
    }

    [Fact]
    public async Task Confirm_ByAnotherPlatformUnknownOrUnsigned_Refused()
    {
        var receipt = await ReportAsync();
        var (requested, _) = await Takedowns.RequestAsync("tt", receipt.HubReportId, ["https://video.example.com/b"], null, CancellationToken.None);

        using var foreign = await ConfirmAsync(hub, requested!.TakedownId, """{"outcome":"removed"}""", platform: "other", secret: TestSecrets.OtherPlatformSecret);
        using var unknown = await ConfirmAsync(hub, receipt.HubReportId + "-ZZZZZZZZ", """{"outcome":"removed"}""");
        using var garbage = await ConfirmAsync(hub, "nope", """{"outcome":"removed"}""");
        using var unsigned = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, $"/takedowns/{requested.TakedownId}/confirm", """{"outcome":"removed"}""", signature: "v1=" + new string('1', 64)));
        using var badOutcome = await ConfirmAsync(hub, requested.TakedownId, """{"outcome":"deleted-probably"}""");
        using var future = await ConfirmAsync(hub, requested.TakedownId, """{"outcome":"removed","removedAt":"2099-01-01T00:00:00Z"}""");

        foreign.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        garbage.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        unsigned.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        badOutcome.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        future.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var status = await hub.Services.GetRequiredService<PlatformReports>().StatusAsync("tt", receipt.HubReportId, CancellationToken.None);
        status!.Takedowns.ShouldHaveSingleItem().Status.ShouldNotBe("confirmed");
    }

    [Fact]
    public async Task Request_NoCallbackUnknownReportOrOtherPlatform_Refused()
    {
        var receipt = await ReportAsync();
        (await Takedowns.RequestAsync("slow", receipt.HubReportId, ["https://x.example/1"], null, CancellationToken.None)).Error!.ShouldContain("no CallbackUrl");
        (await Takedowns.RequestAsync("other", receipt.HubReportId, ["https://x.example/1"], null, CancellationToken.None)).Error!.ShouldContain("has no report");
        (await Takedowns.RequestAsync("tt", "01ARZ3NDEKTSV4RRFFQ69G5FAV", ["https://x.example/1"], null, CancellationToken.None)).Error!.ShouldContain("has no report");
        (await Takedowns.RequestAsync("nobody", receipt.HubReportId, ["https://x.example/1"], null, CancellationToken.None)).Error!.ShouldContain("No platform");
    }

    [Fact]
    public async Task Deliver_MessageForNoReport_GoesToPoison()
    {
        var message = $$"""{"platformId":"tt","hubReportId":"01ARZ3NDEKTSV4RRFFQ69G5FAV","takedownId":"01ARZ3NDEKTSV4RRFFQ69G5FAV-AAAAAAAA","urls":[],"requestedAt":"2026-11-22T00:00:00Z"}""";
        await Should.ThrowAsync<PoisonMessageException>(() => Takedowns.DeliverAsync(message, CancellationToken.None));
        await Should.ThrowAsync<PoisonMessageException>(() => Takedowns.DeliverAsync("not json", CancellationToken.None));
    }

    [Fact]
    public async Task Logs_AfterPlatformTraffic_HoldNoSecretNoKeyNoContact()
    {
        var receipt = await ReportAsync();
        await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), secret: "wrong-wrong-wrong-wrong-wrong-wrong-wrong"));
        await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", "{\"bad\":"));
        var (requested, _) = await Takedowns.RequestAsync("tt", receipt.HubReportId, [], null, CancellationToken.None);
        await WaitForDeliveryAsync(requested!.TakedownId, t => t.Status == "delivered");

        var logs = hub.Logs.AllText;
        logs.ShouldContain("platform tt report answered 202");
        logs.ShouldContain("answered 401");
        foreach (var secret in TestSecrets.All)
        {
            logs.ShouldNotContain(secret);
        }

        logs.ShouldNotContain("tns-oncall@video.example.com");
        logs.ShouldNotContain("203.0.113.45");
    }
}
