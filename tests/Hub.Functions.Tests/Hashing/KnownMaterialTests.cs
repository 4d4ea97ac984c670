using System.Net;
using Hub.Functions.Cases;
using Hub.Functions.Hashing;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Hashing;

/// <summary>
/// The "done when" for matching (docs/hash-bank.md#matching): a screenshot sent through the web form whose PDQ
/// hash is in a bank imported from a list turns its case <c>high</c> and <c>known-material</c> (police and A05 proposed)
/// and the image is never served — not by the API, not on the console's case page — for any role.
/// </summary>
public sealed class KnownMaterialTests(ConsoleFixture hub) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task WebFormScreenshot_MatchingAnImportedList_IsHighKnownMaterial_AndItsImageIsNeverServed()
    {
        var bank = "known-" + Guid.NewGuid().ToString("N")[..8];
        var banks = hub.Services.GetRequiredService<HashBanks>();
        await banks.CreateBankAsync(Actor.Console("test"), bank, "agency-a05", "agency", CancellationToken.None);
        var imported = await banks.ImportAsync(Actor.Console("test"), bank, new StringReader($"type,value,classification\npdq,{ImageHashesTests.RingsHash},csam-test"), "import", CancellationToken.None);
        imported.Added.ShouldBe(1);
        await hub.Services.GetRequiredService<HashMatcher>().RefreshAsync(CancellationToken.None);

        var kase = await WebForms.ReportWithScreenshotAsync(hub, ImageHashesTests.RingsPng(), "Có người gửi ảnh này vào nhóm lớp em");
        kase.Urgency.ShouldBe("high", "known material is at least high, whatever the words");

        var ha = await hub.SignInAsync("ha");
        var (view, _) = await ha.GetCaseAsync(kase.Id);
        view.GetProperty("routing").GetProperty("rule").GetString().ShouldBe("known-material");
        view.GetProperty("routing").GetProperty("proposedReferrals").EnumerateArray().Select(x => x.GetString()).ShouldBe(["police-48", "agency-a05"]);
        var km = view.GetProperty("knownMaterial").EnumerateArray().ShouldHaveSingleItem();
        (km.GetProperty("bank").GetString(), km.GetProperty("classification").GetString(), km.GetProperty("type").GetString(), km.GetProperty("distance").GetInt32()).ShouldBe((bank, "csam-test", "pdq", 0));
        view.GetProperty("history").EnumerateArray().First().GetProperty("reason").GetString()!.ShouldContain($"known material: {bank} (csam-test, pdq distance 0)");

        var image = view.GetProperty("evidence").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "image").GetProperty("index").GetInt32();
        // The case's own counsellor is the one role that could read its evidence (the access matrix keeps every
        // other role from protected content): even they are refused this item.
        using (var r = await ha.GetAsync($"{ConsoleCalls.Api}/cases/{kase.Id}/evidence/{image}"))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await r.Content.ReadAsStringAsync()).ShouldContain("never shown");
        }

        var actor = await hub.People.ActorAsync("ha", null, CancellationToken.None);
        (await Should.ThrowAsync<CaseOperationException>(() => hub.Services.GetRequiredService<CaseService>().OpenProtectedAsync(actor, kase.Id, ProtectedKind.Evidence, image, CancellationToken.None)))
            .Message.ShouldContain("never shown");

        var page = await ha.GetStringAsync($"/console/cases/{kase.Id}?xem={image}");
        page.ShouldContain("Trùng tư liệu xâm hại trẻ em đã biết");
        page.ShouldNotContain($"/evidence/{image}\"", Case.Sensitive, "the page offers no way to fetch it");
        page.ShouldNotContain("Xem ảnh (được ghi nhật ký)");
    }
}
