using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Functions.Media;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.ConsoleApi;

/// <summary>The operator API over HTTP, signed in through the real flow: the queue, a case's life with ETags, scope, protected content, the feed.</summary>
public sealed class ConsoleApiTests(ConsoleFixture hub) : IClassFixture<ConsoleFixture>
{
    private const string Api = ConsoleCalls.Api;

    [Fact]
    public async Task SmsReport_ShowsInTheQueue_IsClaimedAndClosedWithETags_AndItsDetailReadIsAudited()
    {
        var sid = ProviderRequests.NewSid();
        using (var sms = await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "Cứu em, có người dọa tung ảnh của em"))))
        {
            sms.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var lan = await hub.SignInAsync("lan");
        JsonElement row = default;
        await Eventually.TrueAsync(async () =>
        {
            var page = await lan.GetFromJsonAsync<JsonElement>($"{Api}/cases?channel=sms&limit=200");
            var rows = page.GetProperty("cases").EnumerateArray().ToList();
            var match = rows.Where(r => r.GetProperty("team").GetString() == "province-01").ToList();
            var found = await hub.Services.GetRequiredService<ICaseStore>().FindAsync("hn-sms", sid, CancellationToken.None);
            row = match.FirstOrDefault(r => found is not null && r.GetProperty("id").GetString() == found.Id);
            return row.ValueKind == JsonValueKind.Object;
        });
        var id = row.GetProperty("id").GetString()!;
        row.GetProperty("status").GetString().ShouldBe("new");

        var (detail, etag) = await lan.GetCaseAsync(id);
        etag.ShouldBe("\"1\"");
        detail.GetProperty("reports")[0].GetProperty("incident").GetProperty("description").GetString()!.ShouldContain("dọa tung ảnh");
        detail.GetProperty("reports")[0].GetProperty("hasContact").GetBoolean().ShouldBeTrue();
        detail.GetRawText().ShouldNotContain("contactRef", Case.Insensitive, "the sealed contact never leaves in a detail");
        detail.GetRawText().ShouldNotContain("+84912345678");
        detail.GetProperty("allowed").EnumerateArray().Select(a => a.GetString()).ShouldContain("claim");

        using (var noPrecondition = await lan.PostAsync($"/cases/{id}/claim", null, ifMatch: null))
        {
            noPrecondition.StatusCode.ShouldBe((HttpStatusCode)428);
        }

        using (var claim = await lan.PostAsync($"/cases/{id}/claim", null, etag))
        {
            claim.StatusCode.ShouldBe(HttpStatusCode.OK);
            claim.Headers.ETag!.Tag.ShouldBe("\"2\"");
        }

        using (var stale = await lan.PostAsync($"/cases/{id}/close", new { reason = "resolved" }, etag))
        {
            stale.StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        }

        (await lan.GetCaseAsync(id)).Body.GetProperty("case").GetProperty("status").GetString().ShouldBe("open", "a stale ETag changes nothing");
        using (var badReason = await lan.PostAsync($"/cases/{id}/close", new { reason = "bored" }, "\"2\""))
        {
            badReason.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        using (var close = await lan.PostAsync($"/cases/{id}/close", new { reason = "resolved", note = "Đã tư vấn" }, "\"2\""))
        {
            close.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var again = await lan.PostAsync($"/cases/{id}/claim", null, "*"))
        {
            again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            var problem = await again.Content.ReadFromJsonAsync<JsonElement>();
            problem.GetProperty("allowed").EnumerateArray().Select(a => a.GetString()).ShouldBe(["reopen"]);
        }

        var trail = await hub.Services.GetRequiredService<AuditLog>().ForCaseAsync(id, CancellationToken.None);
        var lanId = (await hub.People.FindUserAsync("lan", CancellationToken.None))!.Id;
        trail.Where(a => a.UserId == lanId).Select(a => a.Action).ShouldBe(["case.view", "case.claim", "case.view", "case.close"], ignoreOrder: false);
        (await hub.Services.GetRequiredService<AuditLog>().VerifyAsync(CancellationToken.None)).Intact.ShouldBeTrue();

        // Another province's liaison: no such case, and it is not in their queue.
        var tuan = await hub.SignInAsync("tuan");
        (await tuan.GetAsync($"{Api}/cases/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await tuan.GetAsync($"{Api}/cases/{id}/audit")).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "liaisons read no audit at all");
        var theirs = await tuan.GetFromJsonAsync<JsonElement>($"{Api}/cases?status=new,open,closed&limit=200");
        theirs.GetProperty("cases").EnumerateArray().ShouldAllBe(r => r.GetProperty("team").GetString() == "province-48");
        var ha = await hub.SignInAsync("ha");
        (await ha.PostAsync($"/cases/{id}/reopen", new { reason = "x" }, "*")).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "reopen is a supervisor's");
        (await ha.PostAsync($"/cases/{id}/notes", new { body = "x" }, "*")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "out of scope is 404 for changes too");

        // The analyst: statistics only.
        var an = await hub.SignInAsync("an");
        (await an.GetAsync($"{Api}/cases/{id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await an.GetAsync($"{Api}/cases")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Queue_IsInWorkingOrder_Filtered_KeysetPaged_AndFindsByCodeUrlOrPhone()
    {
        var team = "province-04";
        var low = await hub.CaseAsync("04", e => e with { Signals = new Signals { Urgency = Urgencies.Low } });
        var urgent = await hub.CaseAsync("04", e => e with { Signals = new Signals { Urgency = Urgencies.Immediate }, Incident = e.Incident with { Urls = ["https://video.example/watch?v=abc"] } });
        var normal = await hub.CaseAsync("04");
        await hub.People.GrantAsync(Actor.Console("test"), "minh", null, team, CancellationToken.None);
        var minh = await hub.SignInAsync("minh");

        var page = await minh.GetFromJsonAsync<JsonElement>($"{Api}/cases?team={team}");
        page.GetProperty("cases").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ShouldBe([urgent, normal, low]);

        var first = await minh.GetFromJsonAsync<JsonElement>($"{Api}/cases?team={team}&limit=2");
        first.GetProperty("cases").GetArrayLength().ShouldBe(2);
        var next = first.GetProperty("next").GetString();
        var second = await minh.GetFromJsonAsync<JsonElement>($"{Api}/cases?team={team}&limit=2&cursor={Uri.EscapeDataString(next!)}");
        second.GetProperty("cases").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ShouldBe([low]);

        (await minh.GetFromJsonAsync<JsonElement>($"{Api}/cases?team={team}&urgency=immediate")).GetProperty("cases").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ShouldBe([urgent]);

        var code = (await hub.Services.GetRequiredService<ICaseStore>().GetAsync(urgent, CancellationToken.None))!.ReferenceCode;
        var byUrl = await minh.GetFromJsonAsync<JsonElement>($"{Api}/cases?team={team}&q={Uri.EscapeDataString("https://video.example/watch?v=abc")}");
        byUrl.GetProperty("cases").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ShouldBe([urgent]);
        var byPhone = await minh.GetFromJsonAsync<JsonElement>($"{Api}/cases?team={team}&q={Uri.EscapeDataString("0912 345 678")}");
        byPhone.GetProperty("cases").GetArrayLength().ShouldBe(3, "the reporter's number, typed the Vietnamese way, finds their cases by pseudonym");
        var byCode = await minh.GetFromJsonAsync<JsonElement>($"{Api}/cases?team={team}&q={Uri.EscapeDataString(code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal))}");
        byCode.GetProperty("cases").GetArrayLength().ShouldBeGreaterThanOrEqualTo(1);

        (await minh.GetAsync($"{Api}/cases?status=asleep")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await minh.GetAsync($"{Api}/cases?cursor=garbage")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await minh.GetAsync($"{Api}/cases?q=hello")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        hub.Logs.AllText.ShouldNotContain("0912 345 678");
        hub.Logs.AllText.ShouldNotContain("+84912345678");
    }

    [Fact]
    public async Task ProtectedContent_IsAuditedBeforeItIsServed_DecryptedAndHashChecked()
    {
        var storage = hub.Services.GetRequiredService<HubStorage>();
        var evidence = hub.Services.GetRequiredService<EvidenceStore>();
        var image = Encoding.UTF8.GetBytes("\u0089PNG fake image bytes for the test");
        var audio = Encoding.UTF8.GetBytes("RIFF fake wav");
        var transcript = Encoding.UTF8.GetBytes("[{\"from\":\"child\",\"text\":\"em sợ lắm\"}]");
        var stamp = Guid.NewGuid().ToString("N");
        await evidence.UploadEncryptedAsync(storage.Evidence, $"t/{stamp}/0.png", image, EvidenceStore.Sha256Hex(image), "image/png", CancellationToken.None);
        await evidence.UploadEncryptedAsync(storage.Evidence, $"t/{stamp}/1.wav", audio, EvidenceStore.Sha256Hex(audio), "audio/wav", CancellationToken.None);
        await evidence.UploadEncryptedAsync(storage.Raw, $"t/{stamp}/raw.json", transcript, EvidenceStore.Sha256Hex(transcript), "application/json", CancellationToken.None);
        await evidence.UploadEncryptedAsync(storage.Evidence, $"t/{stamp}/2.png", image, new string('0', 64), "image/png", CancellationToken.None);
        var id = await hub.CaseAsync("01", e => e with
        {
            Evidence =
            [
                new Evidence { Kind = "transcript", Blob = $"raw/t/{stamp}/raw.json", Sha256 = EvidenceStore.Sha256Hex(transcript), ContentType = "application/json" },
                new Evidence { Kind = "image", Blob = $"evidence/t/{stamp}/0.png", Sha256 = EvidenceStore.Sha256Hex(image), ContentType = "image/png" },
                new Evidence { Kind = "audio", Blob = $"evidence/t/{stamp}/1.wav", Sha256 = EvidenceStore.Sha256Hex(audio), ContentType = "audio/wav" },
                new Evidence { Kind = "image", Blob = $"evidence/t/{stamp}/2.png", Sha256 = new string('0', 64), ContentType = "image/png" },
                new Evidence { Kind = "image", Error = "host not allowed", SourceUrl = "https://cdn.example/x.png" },
            ],
        });
        var lan = await hub.SignInAsync("lan");
        var (detail, _) = await lan.GetCaseAsync(id);
        detail.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ShouldBe(["transcript", "image", "audio", "image", "image"]);
        detail.GetRawText().ShouldNotContain(stamp, Case.Sensitive, "blob names never leave");

        using (var png = await lan.GetAsync($"{Api}/cases/{id}/evidence/2"))
        {
            png.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await png.Content.ReadAsByteArrayAsync()).ShouldBe(image);
            png.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
            png.Headers.CacheControl!.NoStore.ShouldBeTrue();
            png.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        }

        (await (await lan.GetAsync($"{Api}/cases/{id}/recordings/1")).Content.ReadAsByteArrayAsync()).ShouldBe(audio);
        (await (await lan.GetAsync($"{Api}/cases/{id}/transcript")).Content.ReadAsByteArrayAsync()).ShouldBe(transcript);
        (await lan.GetAsync($"{Api}/cases/{id}/evidence/4")).StatusCode.ShouldBe(HttpStatusCode.InternalServerError, "a file that fails its hash is served to nobody");
        (await lan.GetAsync($"{Api}/cases/{id}/evidence/5")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "not held by the hub");
        (await lan.GetAsync($"{Api}/cases/{id}/evidence/9")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await lan.GetAsync($"{Api}/cases/{id}/recordings/2")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var trail = await hub.Services.GetRequiredService<AuditLog>().ForCaseAsync(id, CancellationToken.None);
        var reads = trail.Where(a => a.Action == "content.read").Select(a => a.Fields[0]).ToList();
        reads.ShouldBe(["evidence:2", "recording:3", "transcript:1", "evidence:4"], "each read is in the trail, the failed-hash one too (it was attempted)");

        // Reveal: the owner or a supervisor only, audited.
        (await lan.PostAsync($"/cases/{id}/reveal-contact", null, null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "not the owner yet");
        (await lan.PostAsync($"/cases/{id}/claim", null, "*")).EnsureSuccessStatusCode();
        using (var reveal = await lan.PostAsync($"/cases/{id}/reveal-contact", null, null))
        {
            (await reveal.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contact").GetString().ShouldBe("+84912345678");
            reveal.Headers.CacheControl!.NoStore.ShouldBeTrue();
        }

        (await hub.Services.GetRequiredService<AuditLog>().ForCaseAsync(id, CancellationToken.None)).ShouldContain(a => a.Action == "contact.reveal");
        hub.Logs.AllText.ShouldNotContain("+84912345678");
        hub.Logs.AllText.ShouldNotContain("em sợ lắm");
    }

    [Fact]
    public async Task Events_AnswerANewCaseInScope_AndNotOneOutOfScope()
    {
        var lan = await hub.SignInAsync("lan");
        var tuan = await hub.SignInAsync("tuan");
        var start = (await lan.GetFromJsonAsync<JsonElement>($"{Api}/events")).GetProperty("cursor").GetString()!;
        var theirStart = (await tuan.GetFromJsonAsync<JsonElement>($"{Api}/events")).GetProperty("cursor").GetString()!;

        var waiting = lan.GetFromJsonAsync<JsonElement>($"{Api}/events?after={Uri.EscapeDataString(start)}");
        var id = await hub.CaseAsync("01");
        var changed = new List<string>();
        var cursor = start;
        await Eventually.TrueAsync(async () =>
        {
            var page = changed.Count == 0 ? await waiting : await lan.GetFromJsonAsync<JsonElement>($"{Api}/events?after={Uri.EscapeDataString(cursor)}");
            cursor = page.GetProperty("cursor").GetString()!;
            changed.AddRange(page.GetProperty("changed").EnumerateArray().Select(c => c.GetProperty("id").GetString()!));
            changed.Add(string.Empty);
            return changed.Contains(id);
        });

        var theirs = await tuan.GetFromJsonAsync<JsonElement>($"{Api}/events?after={Uri.EscapeDataString(theirStart)}");
        theirs.GetProperty("changed").EnumerateArray().ShouldNotContain(c => c.GetProperty("id").GetString() == id);
        (await lan.GetAsync($"{Api}/events?after=nonsense")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Admin_ManagesUsers_SupervisorSeesTheirTeamAndItsWorkload_ADisabledUserIsSignedOut()
    {
        var quan = await hub.SignInAsync("quan");
        var login = "moi-" + Guid.NewGuid().ToString("N")[..6];
        using (var add = await quan.PostAsync("/users", new { login, displayName = "Cán bộ mới", issuer = hub.Idp.Issuer, subject = login, teams = new[] { "province-01" }, roles = new[] { Roles.Counsellor } }, null))
        {
            add.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        (await quan.PostAsync("/users", new { login, displayName = "x", teams = Array.Empty<string>(), roles = new[] { Roles.Counsellor } }, null)).StatusCode.ShouldBe(HttpStatusCode.BadRequest, "the login exists");
        (await quan.PostAsync($"/users/{login}/grant", new { team = "no-such-team" }, null)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var newcomer = await hub.SignInAsync(login);
        var id = await hub.CaseAsync("01");
        (await newcomer.PostAsync($"/cases/{id}/claim", null, "*")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var minh = await hub.SignInAsync("minh");
        var team = await minh.GetFromJsonAsync<JsonElement>($"{Api}/users?team=province-01");
        var mine = team.EnumerateArray().Single(u => u.GetProperty("login").GetString() == login);
        mine.GetProperty("issuer").ValueKind.ShouldBe(JsonValueKind.Null, "a supervisor does not see provider identifiers");
        (await minh.GetAsync($"{Api}/users?team=province-48")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var workload = await minh.GetFromJsonAsync<JsonElement>($"{Api}/workload");
        workload.EnumerateArray().Single(w => w.GetProperty("login").GetString() == login).GetProperty("openCases").GetInt32().ShouldBe(1);
        (await minh.PostAsync($"/users/{login}/disable", null, null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "only an administrator disables");

        (await quan.PostAsync($"/users/{login}/disable", null, null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await newcomer.GetAsync($"{Api}/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await hub.Services.GetRequiredService<AuditLog>().VerifyAsync(CancellationToken.None)).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Classify_MovesTheClocksAndTheQueue_WithAReason_AndLaterRevisionsOfTheReportDoNotUndoIt()
    {
        var store = hub.Services.GetRequiredService<Hub.Functions.Cases.Database.PostgresCaseStore>();
        var e = TestEnvelopes.For(ProviderRequests.NewSid()) with
        {
            Location = new Location { ProvinceCode = "01", Basis = "channel-instance" },
            Incident = new Incident { Description = "Có người nhắn tin lạ", Categories = ["OTHER"] },
        };
        await store.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        var lan = await hub.SignInAsync("lan");
        var (before, etag) = await lan.GetCaseAsync(e.Id);
        before.GetProperty("case").GetProperty("interventionDue").ValueKind.ShouldBe(JsonValueKind.Null);

        (await lan.PostAsync($"/cases/{e.Id}/classify", new { urgency = "immediate" }, etag)).StatusCode.ShouldBe(HttpStatusCode.BadRequest, "a reason is required");
        (await lan.PostAsync($"/cases/{e.Id}/classify", new { categories = new[] { "NOT.A.CODE" }, reason = "x" }, etag)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await lan.PostAsync($"/cases/{e.Id}/classify", new { province = "99", reason = "x" }, etag)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using (var ok = await lan.PostAsync($"/cases/{e.Id}/classify", new { categories = new[] { "OCSEA.SEXTORTION" }, urgency = "immediate", reason = "Em kể bị dọa tung ảnh khi gọi lại" }, etag))
        {
            ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var (after, _) = await lan.GetCaseAsync(e.Id);
        var c = after.GetProperty("case");
        c.GetProperty("urgency").GetString().ShouldBe("immediate");
        c.GetProperty("categories").EnumerateArray().Select(x => x.GetString()).ShouldBe(["OCSEA.SEXTORTION"]);
        var received = c.GetProperty("receivedAt").GetDateTimeOffset();
        c.GetProperty("interventionDue").GetDateTimeOffset().ShouldBe(received.AddHours(12), TimeSpan.FromSeconds(1), "Decree 56: 12 hours from receipt");
        c.GetProperty("firstResponseDue").GetDateTimeOffset().ShouldBe(received.AddMinutes(15), TimeSpan.FromSeconds(1));
        after.GetProperty("history").EnumerateArray().Last().GetProperty("reason").GetString()!.ShouldContain("urgency normal → immediate");
        (await lan.PostAsync($"/cases/{e.Id}/classify", new { urgency = "low", reason = "x" }, etag)).StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);

        // The report is revised later (a provider's update): the operator's classification stands.
        var revised = e with { Revision = 2, Incident = e.Incident with { Categories = ["ONLINE.FRAUD"] }, Signals = new Signals { Urgency = Urgencies.Low } };
        await store.WriteAsync(revised, JsonSerializer.Serialize(revised, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        var (final, _) = await lan.GetCaseAsync(e.Id);
        final.GetProperty("case").GetProperty("categories").EnumerateArray().Select(x => x.GetString()).ShouldBe(["OCSEA.SEXTORTION"]);
        final.GetProperty("case").GetProperty("urgency").GetString().ShouldBe("immediate");

        var taxonomy = await lan.GetFromJsonAsync<JsonElement>($"{Api}/taxonomy");
        taxonomy.GetProperty("categories").EnumerateArray().ShouldContain(x => x.GetProperty("code").GetString() == "OCSEA.SEXTORTION" && x.GetProperty("name").GetString() == "Đe dọa tung ảnh nhạy cảm");
        taxonomy.GetProperty("provinces").GetArrayLength().ShouldBe(34);
    }

    [Fact]
    public async Task Related_SuggestsCasesOfTheSameReporterOrUrl_InScope_NotAlreadyLinked()
    {
        var url = "https://social.example/p/" + Guid.NewGuid().ToString("N");
        var reporter = "pseudo-" + Guid.NewGuid().ToString("N");
        Reporter Who(string p) => new() { Pseudonym = p, Role = ReporterRoles.Child };
        var a = await hub.CaseAsync("01", e => e with { Reporter = Who(reporter), Incident = e.Incident with { Urls = [url] } });
        var sameReporter = await hub.CaseAsync("01", e => e with { Reporter = Who(reporter), Incident = e.Incident with { Urls = [] } });
        var sameUrl = await hub.CaseAsync("01", e => e with { Reporter = Who("someone-else-" + Guid.NewGuid().ToString("N")), Incident = e.Incident with { Urls = ["https://x.example/1", url] } });
        var elsewhere = await hub.CaseAsync("48", e => e with { Reporter = Who(reporter), Incident = e.Incident with { Urls = [url] } });
        var unrelated = await hub.CaseAsync("01", e => e with { Reporter = Who("nobody-" + Guid.NewGuid().ToString("N")), Incident = e.Incident with { Urls = [] } });

        var lan = await hub.SignInAsync("lan");
        var related = (await lan.GetFromJsonAsync<JsonElement>($"{Api}/cases/{a}/related")).EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        related.ShouldBe([sameUrl, sameReporter], ignoreOrder: true);
        related.ShouldNotContain(elsewhere, "another province's case is not suggested to Hà Nội");
        related.ShouldNotContain(unrelated);

        (await lan.PostAsync($"/cases/{a}/links", new { otherCase = sameUrl, kind = "related", reason = "cùng đường dẫn" }, "*")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await lan.GetFromJsonAsync<JsonElement>($"{Api}/cases/{a}/related")).EnumerateArray().Select(r => r.GetProperty("id").GetString()).ShouldBe([sameReporter]);
    }

    [Fact]
    public async Task Detail_WithAReportThatNoLongerReads_StillAnswers_AndNamesThatReport()
    {
        var id = await hub.CaseAsync("01");
        var broken = id + "X";
        await hub.Postgres.ExecuteAsync(
            $"INSERT INTO reports (id, case_id, channel_instance, provider_message_id, reference_code, revision, received_at, created_at, envelope) " +
            $"SELECT '{broken}', id, 'hn-sms', 'broken-{id}', reference_code, 1, received_at, received_at, '{{\"schema\":\"hub.report/v9\"}}' FROM cases WHERE id = '{id}'",
            asAdmin: true);
        var lan = await hub.SignInAsync("lan");
        var (detail, _) = await lan.GetCaseAsync(id);
        detail.GetProperty("reports").GetArrayLength().ShouldBe(1);
        detail.GetProperty("unreadableReports").EnumerateArray().Select(r => r.GetString()).ShouldBe([broken]);
        (await lan.GetAsync($"{Api}/cases/{id}/evidence/1")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "the readable reports' evidence is still numbered and served");
        hub.Logs.AllText.ShouldContain(broken);
    }

    [Fact]
    public async Task Supervisor_AssignsTransfersAndReadsTheAuditAndOverdueList()
    {
        var id = await hub.CaseAsync("01");
        var minh = await hub.SignInAsync("minh");
        (await minh.PostAsync($"/cases/{id}/assign", new { login = "binh" }, "\"1\"")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await minh.PostAsync($"/cases/{id}/notes", new { body = "Gọi lại lúc 17h" }, "\"2\"")).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await minh.PostAsync($"/cases/{id}/transfer", new { team = "province-48", reason = "Em đang ở Đà Nẵng" }, "\"3\"")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var tuan = await hub.SignInAsync("tuan");
        (await tuan.GetCaseAsync(id)).Body.GetProperty("case").GetProperty("transferTo").GetString().ShouldBe("province-48", "the team offered a case sees it");
        (await tuan.PostAsync($"/cases/{id}/accept-transfer", null, "\"4\"")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await minh.GetAsync($"{Api}/cases/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "once accepted, the case has left Hà Nội's scope");

        var audit = await tuan.GetAsync($"{Api}/cases/{id}/audit");
        audit.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var overdue = await minh.GetFromJsonAsync<JsonElement>($"{Api}/overdue");
        overdue.GetProperty("cases").EnumerateArray().ShouldAllBe(r => r.GetProperty("team").GetString() == "province-01" || r.GetProperty("team").GetString() == "province-04");
    }
}
