using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Core.Signatures;
using Hub.Functions.Messaging;
using Hub.Functions.Tests.Infrastructure;
using Hub.Simulators;

namespace Hub.Functions.Tests.ConsoleApi;

/// <summary>
/// Referrals end to end over the console API (docs/referrals.md): a Đà Nẵng sextortion case routed to the Đà Nẵng
/// unit with the police and A05 proposed; referrals sent from it; the simulated agency system verifying the signed
/// webhook with the hub's published keys and answering with its client-credentials token; a liaison answering in the
/// console's API; the sharing level on both paths; another province's liaison finding nothing; retries, poison, replay.
/// </summary>
public sealed class ReferralApiTests(ReferralFixture hub) : IClassFixture<ReferralFixture>
{
    private const string Api = ConsoleCalls.Api;

    private Task<string> SextortionCaseAsync() => hub.CaseAsync("48", e => e with
    {
        Incident = new Incident { Description = "Có người dọa tung ảnh nhạy cảm của em nếu em không gửi thêm", Categories = ["OCSEA.SEXTORTION"], Urls = ["https://social.example/u/ke-xau"], ReportedAccounts = ["@ke-xau"] },
        Signals = new Signals { Urgency = Urgencies.High, Reasons = [] },
    });

    private async Task<HttpClient> AgencySystemAsync()
    {
        var agency = hub.Factory.CreateClient(new() { BaseAddress = new Uri(HubFixture.PublicBaseUrl) });
        agency.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", hub.Idp.MachineToken());
        (await agency.GetFromJsonAsync<JsonElement>(Api + "/me")).GetProperty("login").GetString().ShouldBe("a05-system");
        return agency;
    }

    private async Task<(HttpClient Ha, string CaseId, string ETag)> ClaimedAsync()
    {
        var id = await SextortionCaseAsync();
        var ha = await hub.SignInAsync("ha");
        var (_, etag) = await ha.GetCaseAsync(id);
        using var claim = await ha.PostAsync($"/cases/{id}/claim", null, etag);
        claim.StatusCode.ShouldBe(HttpStatusCode.OK, await claim.Content.ReadAsStringAsync());
        return (ha, id, claim.Headers.ETag!.Tag);
    }

    private static async Task<string> SendAsync(HttpClient client, string caseId, string team, string sharing, string etag = "*")
    {
        using var sent = await client.PostAsync($"/cases/{caseId}/referrals", new { team, reason = "Trẻ bị tống tiền bằng ảnh; đề nghị xác minh và xử lý tài khoản", sharing, reporterConsented = true }, etag);
        sent.StatusCode.ShouldBe(HttpStatusCode.Created, await sent.Content.ReadAsStringAsync());
        return (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<ReceivedReferral> WebhookAsync(string referralId, string @event = "sent") =>
        await Eventually.ValueAsync(() => Task.FromResult(hub.Agency.Received.FirstOrDefault(r => r.ReferralId == referralId && r.Event == @event)), 20);

    private static async Task<JsonElement> ReferralWhenAsync(HttpClient client, string referralId, Func<JsonElement, bool> until)
    {
        var last = default(JsonElement);
        await Eventually.TrueAsync(async () => until(last = (await ReferralAsync(client, referralId)).GetProperty("referral")), 20);
        return last;
    }

    private static async Task<JsonElement> ReferralAsync(HttpClient client, string referralId)
    {
        using var r = await client.GetAsync($"{Api}/referrals/{referralId}");
        r.StatusCode.ShouldBe(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return await r.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task DaNangSextortion_RoutedToTheUnit_ReferredToPoliceAndA05_AcknowledgedByTheAgencySystemAndTheLiaison()
    {
        var (ha, id, etag) = await ClaimedAsync();
        var (view, _) = await ha.GetCaseAsync(id);
        view.GetProperty("case").GetProperty("team").GetString().ShouldBe("province-48");
        view.GetProperty("routing").GetProperty("proposedReferrals").EnumerateArray().Select(x => x.GetString()).ShouldBe(["police-48", "agency-a05"]);

        var toA05 = await SendAsync(ha, id, "agency-a05", "with-evidence", etag);
        var toPolice = await SendAsync(ha, id, "police-48", "summary");

        // A05's system: the webhook is signed (verified by the simulator with the published key) and carries what is shared.
        var hook = await WebhookAsync(toA05);
        hook.KeyId.ShouldBe("t1");
        var body = hook.Body;
        body.GetProperty("schema").GetString().ShouldBe("hub.referral/v1");
        body.GetProperty("toTeam").GetString().ShouldBe("agency-a05");
        body.GetProperty("sharing").GetString().ShouldBe("with-evidence");
        body.GetProperty("case").GetProperty("description").GetString().ShouldBe("Có người dọa tung ảnh nhạy cảm của em nếu em không gửi thêm");
        body.GetProperty("case").GetProperty("urls").EnumerateArray().Select(u => u.GetString()).ShouldBe(["https://social.example/u/ke-xau"]);
        hook.RawBody.ShouldNotContain("+8491", Case.Insensitive, "never the reporter's contact");
        hook.RawBody.ShouldNotContain("contactRef", Case.Insensitive);
        hook.RawBody.ShouldNotContain("pseudonym", Case.Insensitive);

        using var agency = await AgencySystemAsync();
        var ack = body.GetProperty("links").GetProperty("acknowledge").GetString()!;
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ack).PathAndQuery) { Content = JsonContent.Create(new { }) })
        {
            request.Headers.IfMatch.Add(EntityTagHeaderValue.Any);
            using var r = await agency.SendAsync(request);
            r.StatusCode.ShouldBe(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        }

        var seen = await ReferralAsync(agency, toA05);
        seen.GetProperty("referral").GetProperty("state").GetString().ShouldBe("acknowledged");
        seen.GetProperty("side").GetString().ShouldBe("receiver");
        seen.GetProperty("allowed").EnumerateArray().Select(x => x.GetString()).ShouldBe(["accepted", "rejected"]);

        // The police: summary only, on the webhook and in the API.
        var police = await WebhookAsync(toPolice);
        police.Body.GetProperty("case").TryGetProperty("description", out _).ShouldBeFalse();
        police.Body.GetProperty("case").TryGetProperty("evidence", out _).ShouldBeFalse();
        police.Body.GetProperty("case").GetProperty("categories").EnumerateArray().Select(x => x.GetString()).ShouldBe(["OCSEA.SEXTORTION"]);
        var liaison = await hub.SignInAsync("cand48");
        var inbox = await liaison.GetFromJsonAsync<JsonElement>(Api + "/referrals");
        inbox.EnumerateArray().Select(r => r.GetProperty("referral").GetProperty("id").GetString()).ShouldContain(toPolice);
        var shared = await ReferralAsync(liaison, toPolice);
        shared.GetProperty("case").GetProperty("description").ValueKind.ShouldBe(JsonValueKind.Null);
        shared.GetProperty("case").GetProperty("evidence").ValueKind.ShouldBe(JsonValueKind.Null);
        using (var r = await liaison.GetAsync($"{Api}/cases/{id}"))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, "the referral shares, it does not open the case");
        }

        var etagReferral = (await liaison.GetAsync($"{Api}/referrals/{toPolice}")).Headers.ETag!.Tag;
        using (var accept = await liaison.PostAsync($"/referrals/{toPolice}/accept", new { }, etagReferral))
        {
            accept.StatusCode.ShouldBe(HttpStatusCode.OK, await accept.Content.ReadAsStringAsync());
        }

        using (var done = await liaison.PostAsync($"/referrals/{toPolice}/done", new { outcome = "intervened", note = "Đã làm việc với gia đình và khóa tài khoản" }, "*"))
        {
            done.StatusCode.ShouldBe(HttpStatusCode.OK, await done.Content.ReadAsStringAsync());
        }

        var (after, _) = await ha.GetCaseAsync(id);
        after.GetProperty("case").GetProperty("status").GetString().ShouldBe("referred", "A05's referral is still open");
        after.GetProperty("case").GetProperty("owner").GetInt64().ShouldBeGreaterThan(0);
        var referrals = after.GetProperty("referrals").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!, r => r);
        referrals[toA05].GetProperty("state").GetString().ShouldBe("acknowledged");
        referrals[toA05].GetProperty("webhook").GetString().ShouldBe("delivered");
        referrals[toPolice].GetProperty("state").GetString().ShouldBe("done");
        referrals[toPolice].GetProperty("outcome").GetString().ShouldBe("intervened");
        after.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("action").GetString()).ShouldContain("referral-webhook-delivered");

        // Logs name the referral, its team and state; never what the child said, the reason or the outcome's note.
        var logs = hub.Logs.AllText;
        logs.ShouldContain(toA05);
        logs.ShouldNotContain("dọa tung ảnh nhạy cảm");
        logs.ShouldNotContain("đề nghị xác minh");
        logs.ShouldNotContain("Đã làm việc với gia đình");
        logs.ShouldNotContain("ke-xau");
    }

    [Fact]
    public async Task AnotherProvincesPoliceLiaison_GetsNotFound_AndAnEmptyInbox()
    {
        var (ha, id, etag) = await ClaimedAsync();
        var referral = await SendAsync(ha, id, "police-48", "with-evidence", etag);
        var other = await hub.SignInAsync("cahn");
        foreach (var path in new[] { $"{Api}/referrals/{referral}", $"{Api}/referrals/{referral}/evidence/1", $"{Api}/cases/{id}" })
        {
            using var r = await other.GetAsync(path);
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, path);
        }

        foreach (var move in new[] { "acknowledge", "accept", "reject", "done" })
        {
            using var r = await other.PostAsync($"/referrals/{referral}/{move}", new { reason = "x", outcome = "intervened" }, "*");
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, move);
        }

        (await other.GetFromJsonAsync<JsonElement>(Api + "/referrals?all=true")).EnumerateArray().ShouldBeEmpty();
        (await ReferralAsync(ha, referral)).GetProperty("referral").GetProperty("state").GetString().ShouldBe("sent", "nothing moved");
    }

    [Fact]
    public async Task Send_WithAStaleETag_OrWithoutConsent_IsRefused_AndWritesNothing()
    {
        var (ha, id, _) = await ClaimedAsync();
        using (var stale = await ha.PostAsync($"/cases/{id}/referrals", new { team = "police-48", reason = "x", sharing = "summary", reporterConsented = true }, "\"1\""))
        {
            stale.StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        }

        using (var none = await ha.PostAsync($"/cases/{id}/referrals", new { team = "police-48", reason = "x", sharing = "summary" }, "*"))
        {
            none.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await none.Content.ReadAsStringAsync()).ShouldContain("consent");
        }

        using (var bad = await ha.PostAsync($"/cases/{id}/referrals", new { team = "police-48", reason = "x", sharing = "everything", reporterConsented = true }, "*"))
        {
            bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        using (var noMatch = await ha.PostAsync($"/cases/{id}/referrals", new { team = "police-48", reason = "x", sharing = "summary", reporterConsented = true }, null))
        {
            noMatch.StatusCode.ShouldBe((HttpStatusCode)428);
        }

        var (view, _) = await ha.GetCaseAsync(id);
        view.GetProperty("referrals").EnumerateArray().ShouldBeEmpty();
        view.GetProperty("case").GetProperty("status").GetString().ShouldBe("open");
    }

    [Fact]
    public async Task Webhook_RetriedThroughFailures_PoisonedWhenTheAgencyStaysDown_DeliveredOnReplay_AndRevocationTold()
    {
        var (ha, id, etag) = await ClaimedAsync();
        hub.Agency.FailNext(503, 3); // 2 attempts in the first delivery (1 retry), the queue's second delivery gets through
        var first = await SendAsync(ha, id, "agency-a05", "summary", etag);
        await WebhookAsync(first);
        var row = await ReferralWhenAsync(ha, first, r => r.GetProperty("webhook").GetString() == "delivered");
        row.GetProperty("webhookAttempts").GetInt32().ShouldBe(4);

        // Down for good: after the queue's attempts the message waits in referrals-poison.
        var (ha2, id2, etag2) = await ClaimedAsync();
        hub.Agency.FailNext(503, 1000);
        var second = await SendAsync(ha2, id2, "agency-a05", "summary", etag2);
        var poison = hub.Services.GetRequiredService<PoisonMessages>();
        await Eventually.ValueAsync(async () => (await poison.ListAsync("referrals", CancellationToken.None)).FirstOrDefault(p => p.Message.Contains(second, StringComparison.Ordinal)), 30);
        var stuck = (await ReferralAsync(ha2, second)).GetProperty("referral");
        stuck.GetProperty("webhook").GetString().ShouldBe("queued");
        stuck.GetProperty("webhookError").GetString().ShouldBe("HTTP 503");
        hub.Agency.ClearFaults();
        (await poison.ReplayAsync([], "referrals", CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(1);
        await WebhookAsync(second);

        // A revocation is told to the agency too.
        using (var revoke = await ha2.PostAsync($"/referrals/{second}/revoke", new { reason = "Gửi nhầm: vụ việc thuộc công an tỉnh" }, "*"))
        {
            revoke.StatusCode.ShouldBe(HttpStatusCode.OK, await revoke.Content.ReadAsStringAsync());
        }

        var told = await WebhookAsync(second, "revoked");
        told.Body.GetProperty("state").GetString().ShouldBe("revoked");
        told.Body.GetProperty("reason").GetString().ShouldBe("Gửi nhầm: vụ việc thuộc công an tỉnh");
        told.Body.GetProperty("case").TryGetProperty("categories", out _).ShouldBeFalse("a revocation carries no case content");
    }

    [Fact]
    public async Task Webhook_RefusedByTheAgency_IsNotRetried_AndShowsOnTheTimeline()
    {
        var (ha, id, etag) = await ClaimedAsync();
        hub.Agency.FailNext(400, 1);
        var referral = await SendAsync(ha, id, "agency-a05", "summary", etag);
        var row = await ReferralWhenAsync(ha, referral, r => r.GetProperty("webhook").GetString() == "failed");
        row.GetProperty("webhookAttempts").GetInt32().ShouldBe(1);
        var (view, _) = await ha.GetCaseAsync(id);
        view.GetProperty("history").EnumerateArray().Single(h => h.GetProperty("action").GetString() == "referral-webhook-failed").GetProperty("reason").GetString().ShouldBe("agency-a05: HTTP 400");
    }

    [Fact]
    public async Task Webhook_Signature_TheAgencyRefusesATamperedOrReplayedOrUnsignedCopy()
    {
        var (ha, id, etag) = await ClaimedAsync();
        var referral = await SendAsync(ha, id, "agency-a05", "summary", etag);
        var hook = await WebhookAsync(referral);
        using var http = new HttpClient();

        async Task<HttpStatusCode> PostAsync(string body, string? timestamp, string? signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, hub.Agency.WebhookUrl) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add(HubCallbackSignature.KeyIdHeader, "t1");
            request.Headers.Add("X-Hub-Delivery-Id", "copy-" + Guid.NewGuid().ToString("N"));
            if (timestamp is not null)
            {
                request.Headers.Add(HubSignature.TimestampHeader, timestamp);
            }

            if (signature is not null)
            {
                request.Headers.Add(HubSignature.SignatureHeader, signature);
            }

            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        (await PostAsync(hook.RawBody, hook.Timestamp, hook.Signature)).ShouldBe(HttpStatusCode.Conflict, "the same signed request again is a replay");
        (await PostAsync(hook.RawBody.Replace("summary", "with-evidence", StringComparison.Ordinal), hook.Timestamp, hook.Signature)).ShouldBe(HttpStatusCode.Unauthorized, "tampered");
        (await PostAsync(hook.RawBody, hook.Timestamp, null)).ShouldBe(HttpStatusCode.Unauthorized, "unsigned");
        (await PostAsync(hook.RawBody, "1700000000", hook.Signature)).ShouldBe(HttpStatusCode.Unauthorized, "outside the timestamp window");
        hub.Agency.Received.Count(r => r.ReferralId == referral).ShouldBe(1);
    }

    [Fact]
    public async Task Evidence_SharedOnlyWithEvidence_ServedToTheReceiverAfterItsReadIsAudited()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var png = WebForms.Png(48, 32);
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token), (png, "anh.png", "image/png")));
        status.ShouldBe(HttpStatusCode.OK, html[..Math.Min(html.Length, 500)]);
        var kase = (await hub.WaitForCaseAsync("web", "web-" + token.Split('.')[2])).ShouldNotBeNull();
        kase.TeamId.ShouldBe("province-48");

        var ha = await hub.SignInAsync("ha");
        var (_, etag) = await ha.GetCaseAsync(kase.Id);
        using (var claim = await ha.PostAsync($"/cases/{kase.Id}/claim", null, etag))
        {
            claim.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var shared = await SendAsync(ha, kase.Id, "police-48", "with-evidence");
        var summary = await SendAsync(ha, kase.Id, "agency-a05", "summary");

        var hook = await WebhookAsync(shared);
        var item = hook.Body.GetProperty("case").GetProperty("evidence").EnumerateArray().Single();
        item.GetProperty("kind").GetString().ShouldBe("image");
        var url = new Uri(item.GetProperty("url").GetString()!);
        url.AbsolutePath.ShouldBe($"{Api}/referrals/{shared}/evidence/1");

        var liaison = await hub.SignInAsync("cand48");
        using (var file = await liaison.GetAsync(url.PathAndQuery))
        {
            file.StatusCode.ShouldBe(HttpStatusCode.OK, await file.Content.ReadAsStringAsync());
            file.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
            file.Headers.CacheControl!.NoStore.ShouldBeTrue();
            var bytes = await file.Content.ReadAsByteArrayAsync();
            using var decoded = SkiaSharp.SKBitmap.Decode(bytes);
            (decoded.Width, decoded.Height).ShouldBe((48, 32));
        }

        var audit = await Eventually.ValueAsync(async () =>
        {
            var source = await hub.Services.GetRequiredService<Hub.Functions.Cases.Database.CaseDatabase>().GetAsync(CancellationToken.None);
            await using var cmd = source.CreateCommand("SELECT string_agg(action || ':' || array_to_string(fields, ','), ';') FROM audit WHERE case_id = @c AND action = 'referral.evidence.read'");
            cmd.Parameters.AddWithValue("c", kase.Id);
            return await cmd.ExecuteScalarAsync() as string;
        }, 10);
        audit.ShouldContain("referral:" + shared);
        audit.ShouldContain("evidence:1");

        using var agency = await AgencySystemAsync();
        using (var r = await agency.GetAsync($"{Api}/referrals/{summary}/evidence/1"))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, "a summary referral shares no evidence");
        }

        using (var r = await agency.GetAsync($"{Api}/referrals/{shared}/evidence/1"))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, "another team's referral");
        }

        var other = await hub.SignInAsync("cahn");
        using (var r = await other.GetAsync(url.PathAndQuery))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task AnUnacknowledgedReferral_EscalatesToTheSendingSupervisors_OnTheirPageAndTheOverdueList()
    {
        var (ha, id, etag) = await ClaimedAsync(); // a high case: this fixture's acknowledgement time for it is 2 s
        var referral = await SendAsync(ha, id, "police-48", "summary", etag);
        var supervisor = await hub.SignInAsync("lam48");
        await Eventually.TrueAsync(async () => (await supervisor.GetFromJsonAsync<JsonElement>(Api + "/referrals/escalated")).EnumerateArray()
            .Any(r => r.GetProperty("referral").GetProperty("id").GetString() == referral), 20);
        var code = (await ha.GetCaseAsync(id)).Body.GetProperty("case").GetProperty("referenceCode").GetString()!;
        (await supervisor.GetFromJsonAsync<JsonElement>(Api + "/overdue")).GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ShouldContain(id);
        var page = await supervisor.GetStringAsync("/console/supervisor");
        page.ShouldContain("Chuyển tuyến quá hạn");
        page.ShouldContain(code);
        using (var r = await ha.GetAsync(Api + "/referrals/escalated"))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.Forbidden, "escalations are the supervisors'");
        }

        (await ReferralAsync(ha, referral)).GetProperty("referral").GetProperty("escalated").GetBoolean().ShouldBeTrue();
        var police = await hub.SignInAsync("cand48");
        using (var ack = await police.PostAsync($"/referrals/{referral}/acknowledge", new { }, "*"))
        {
            ack.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await supervisor.GetFromJsonAsync<JsonElement>(Api + "/referrals/escalated")).EnumerateArray()
            .ShouldNotContain(r => r.GetProperty("referral").GetProperty("id").GetString() == referral, "acknowledged: no longer escalated");
    }
}
