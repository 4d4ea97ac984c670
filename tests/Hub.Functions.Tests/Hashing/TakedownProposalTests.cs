using System.Net;
using System.Security.Cryptography;
using Hub.Functions.Cases;
using Hub.Functions.Hashing;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Hashing;

/// <summary>
/// Known material a platform reported with its URLs (docs/hash-bank.md#matching): the case proposes the takedown, and
/// the case's owner sends it from the console to the platform, signed, audited; nobody else may.
/// </summary>
public sealed class TakedownProposalTests(ConsolePlatformFixture hub) : IClassFixture<ConsolePlatformFixture>
{
    [Fact]
    public async Task PlatformReportOfKnownMaterial_ProposesTheTakedown_AndTheOwnerSendsIt()
    {
        var pdq = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var bank = "ncmec-" + Guid.NewGuid().ToString("N")[..8];
        var banks = hub.Services.GetRequiredService<HashBanks>();
        await banks.CreateBankAsync(Actor.Console("test"), bank, "agency-a05", "imported-list", CancellationToken.None);
        await banks.ImportAsync(Actor.Console("test"), bank, new StringReader($"pdq,{pdq},csam-a1"), "import", CancellationToken.None);
        await hub.Services.GetRequiredService<HashMatcher>().RefreshAsync(CancellationToken.None);

        var platformId = PlatformFixture.NewId();
        var body = PlatformFixture.Example(platformId, n => n["files"]![0]!["hashes"]!["pdq"] = pdq);
        using (var submitted = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", body)))
        {
            submitted.StatusCode.ShouldBe(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        }

        var kase = (await hub.WaitForCaseAsync("tt", platformId)).ShouldNotBeNull();
        var ha = await hub.SignInAsync("ha");
        var (view, etag) = await ha.GetCaseAsync(kase.Id);
        view.GetProperty("history").EnumerateArray().First().GetProperty("reason").GetString()!.ShouldContain("proposed takedown: tt (2 URL(s))");
        var report = view.GetProperty("reports")[0].GetProperty("id").GetString()!;
        var page = await ha.GetStringAsync($"/console/cases/{kase.Id}");
        page.ShouldContain("Đề xuất: yêu cầu tt gỡ bỏ tư liệu đã biết");

        // Not the owner yet (nobody is): refused; a liaison is refused by the table; an unknown report is 404.
        using (var notOwner = await ha.PostAsync($"/cases/{kase.Id}/takedowns", new { report }, "*"))
        {
            notOwner.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        using (var liaison = await (await hub.SignInAsync("tuan")).PostAsync($"/cases/{kase.Id}/takedowns", new { report }, "*"))
        {
            liaison.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        using (var claimed = await ha.PostAsync($"/cases/{kase.Id}/claim", null, etag))
        {
            claimed.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var unknown = await ha.PostAsync($"/cases/{kase.Id}/takedowns", new { report = "01NOSUCHREPORT000000000000" }, "*"))
        {
            unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        hub.Platform.Received.ShouldBeEmpty("nothing was sent before the owner asked");
        using var sent = await ha.PostAsync($"/cases/{kase.Id}/takedowns", new { report, reason = "Trùng tư liệu xâm hại trẻ em đã biết" }, "*");
        sent.StatusCode.ShouldBe(HttpStatusCode.Accepted, await sent.Content.ReadAsStringAsync());
        var received = await Eventually.ValueAsync(() => Task.FromResult(hub.Platform.Received.FirstOrDefault(t => t.Request.HubReportId == report)));
        received.SignatureValid.ShouldBeTrue();
        received.Request.Urls.ShouldBe(["https://video.example.com/@hoa.2011/video/7311", "https://cdn.video.example.com/preserved/7311.png"]);
        received.Request.Reason.ShouldBe("Trùng tư liệu xâm hại trẻ em đã biết");
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM audit WHERE case_id = '{kase.Id}' AND action = 'takedown.request' AND 'platform:tt' = ANY(fields)")).ShouldBe(1);
    }
}
