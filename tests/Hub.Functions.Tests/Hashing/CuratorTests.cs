using System.Net;
using System.Net.Http.Json;
using Hub.Functions.Cases;
using Hub.Functions.Tests.Infrastructure;
using SkiaSharp;

namespace Hub.Functions.Tests.Hashing;

/// <summary>
/// Hash curators on the console API (docs/hash-bank.md#curators): confirming a case's image as abuse material puts its
/// four hashes in the hub's verified bank, hides the item from everyone at once, is audited, and makes the next report
/// of the same image known material; votes on a case's matches are recorded; every refusal writes nothing.
/// </summary>
public sealed class CuratorTests(ConsoleFixture hub) : IClassFixture<ConsoleFixture>
{
    /// <summary>A photo-like PNG no other test sends (smooth random blobs: PDQ quality 100).</summary>
    internal static byte[] UniquePng()
    {
        var random = new Random(Guid.NewGuid().GetHashCode());
        using var bitmap = new SKBitmap(new SKImageInfo(320, 240, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            using var paint = new SKPaint { IsAntialias = true };
            for (var i = 0; i < 12; i++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                canvas.DrawCircle(random.Next(320), random.Next(240), random.Next(20, 90), paint);
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private async Task<string> WebReportAsync(byte[] png) => (await WebForms.ReportWithScreenshotAsync(hub, png, "Có người gửi ảnh này cho em")).Id;

    private async Task<(HttpClient Browser, long Id, string Name)> CuratorAsync(string team)
    {
        var login = "cur-" + Guid.NewGuid().ToString("N")[..8];
        var user = await hub.People.AddUserAsync(Actor.Console("test"), login, "Thẩm định " + login, [team], [Roles.Counsellor, Roles.HashCurator], hub.Idp.Issuer, login, CancellationToken.None);
        return (await hub.SignInAsync(login), user.Id, user.DisplayName);
    }

    private static int ImageIndex(System.Text.Json.JsonElement view) =>
        view.GetProperty("evidence").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "image").GetProperty("index").GetInt32();

    [Fact]
    public async Task Confirm_PutsTheHashesInTheVerifiedBank_HidesTheItem_AndTheNextReportOfItIsKnownMaterial()
    {
        var png = UniquePng();
        var id = await WebReportAsync(png);
        var (curator, curatorId, curatorName) = await CuratorAsync("province-48");
        var (view, etag) = await curator.GetCaseAsync(id);
        view.GetProperty("case").GetProperty("urgency").GetString().ShouldNotBe("high", "nothing is known about this image yet");
        var n = ImageIndex(view);
        using (var before = await curator.GetAsync($"{ConsoleCalls.Api}/cases/{id}/evidence/{n}"))
        {
            before.StatusCode.ShouldBe(HttpStatusCode.OK, "the curator sees what they confirm");
        }

        // A counsellor without the role is refused by the table; the curator confirms.
        var ha = await hub.SignInAsync("ha");
        using (var refused = await ha.PostAsync($"/cases/{id}/evidence/{n}/confirm", new { classification = "csam-a2" }, "*"))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        using var confirmed = await curator.PostAsync($"/cases/{id}/evidence/{n}/confirm", new { classification = "csam-a2" }, etag);
        confirmed.StatusCode.ShouldBe(HttpStatusCode.OK, await confirmed.Content.ReadAsStringAsync());
        var result = await confirmed.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        result.GetProperty("bank").GetString().ShouldBe("hub-verified");
        result.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ShouldBe(["sha256", "md5", "sha1", "pdq"]);

        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM hash_entries e JOIN hash_banks b ON b.id = e.bank_id WHERE b.name = 'hub-verified' AND b.kind = 'local-verified' AND e.source = 'curator' AND e.added_by = {curatorId} AND e.classification = 'csam-a2' AND e.source_ref = 'case {id}'"))
            .ShouldBe(4);
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM audit WHERE case_id = '{id}' AND action = 'evidence.confirm-material' AND user_id = {curatorId} AND 'classification:csam-a2' = ANY(fields)")).ShouldBe(1);

        // Hidden from everyone from now on, the curator included; the page says who confirmed it.
        foreach (var who in new[] { curator, ha })
        {
            using var r = await who.GetAsync($"{ConsoleCalls.Api}/cases/{id}/evidence/{n}");
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await r.Content.ReadAsStringAsync()).ShouldContain("never shown");
        }

        var (after, etag2) = await curator.GetCaseAsync(id);
        after.GetProperty("knownMaterial").EnumerateArray().Select(k => (k.GetProperty("bank").GetString(), k.GetProperty("confirmedBy").GetString())).Distinct().ShouldBe([("hub-verified", curatorName)]);
        after.GetProperty("history").EnumerateArray().ShouldContain(h => h.GetProperty("reason").GetString()!.Contains("confirmed as known material (hub-verified, csam-a2)", StringComparison.Ordinal));
        var page = await curator.GetStringAsync($"/console/cases/{id}");
        page.ShouldContain("Trùng tư liệu xâm hại trẻ em đã biết");
        page.ShouldContain("A2 – trẻ chưa dậy thì, phô bày khiêu dâm");
        page.ShouldNotContain("Xác nhận là tư liệu xâm hại trẻ em</summary>");

        using (var again = await curator.PostAsync($"/cases/{id}/evidence/{n}/confirm", new { classification = "csam-a2" }, etag2))
        {
            again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        }

        // The same image reported again: known material, high, from the verified bank, and hidden.
        var second = await WebReportAsync(png);
        var (next, nextTag) = await curator.GetCaseAsync(second);
        next.GetProperty("case").GetProperty("urgency").GetString().ShouldBe("high");
        var match = next.GetProperty("knownMaterial").EnumerateArray().First(k => k.GetProperty("type").GetString() == "sha256");
        (match.GetProperty("bank").GetString(), match.GetProperty("classification").GetString(), match.GetProperty("distance").GetInt32()).ShouldBe(("hub-verified", "csam-a2", 0));

        // A vote on that match, recorded for the entry; a vote with no reason, or on an entry the case has no match on, writes nothing.
        var entry = match.GetProperty("entry").GetInt64();
        using (var noReason = await curator.PostAsync($"/cases/{second}/known-material/{entry}/votes", new { verdict = "true-positive", reason = " " }, nextTag))
        {
            noReason.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        using (var elsewhere = await curator.PostAsync($"/cases/{second}/known-material/999999999/votes", new { verdict = "true-positive", reason = "x" }, nextTag))
        {
            elsewhere.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        using (var vote = await curator.PostAsync($"/cases/{second}/known-material/{entry}/votes", new { verdict = "true-positive", reason = "cùng một ảnh" }, nextTag))
        {
            vote.StatusCode.ShouldBe(HttpStatusCode.NoContent, await vote.Content.ReadAsStringAsync());
        }

        (await hub.Postgres.ScalarAsync<string>($"SELECT verdict || '|' || user_id || '|' || reason FROM hash_votes WHERE entry_id = {entry}")).ShouldBe($"true-positive|{curatorId}|cùng một ảnh");
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM audit WHERE case_id = '{second}' AND action = 'hashbank.vote'")).ShouldBe(1);
    }

    [Fact]
    public async Task Confirm_BadClassification_OutOfScope_OrNoCaseRole_RefusedAndNothingWritten()
    {
        var id = await WebReportAsync(UniquePng());
        var (curator, _, _) = await CuratorAsync("province-48");
        var (view, etag) = await curator.GetCaseAsync(id);
        var n = ImageIndex(view);
        var entries = await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM hash_entries");

        using (var bad = await curator.PostAsync($"/cases/{id}/evidence/{n}/confirm", new { classification = "csam-z9" }, etag))
        {
            bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        using (var missing = await curator.PostAsync($"/cases/{id}/evidence/99/confirm", new { classification = "csam-a1" }, etag))
        {
            missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        using (var stale = await curator.PostAsync($"/cases/{id}/evidence/{n}/confirm", new { classification = "csam-a1" }, "\"999\""))
        {
            stale.StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        }

        // A curator of another province, and a curator with no case role, do not learn the case exists.
        var (hanoi, _, _) = await CuratorAsync("province-01");
        var cuc = await hub.SignInAsync("cuc");
        foreach (var outsider in new[] { hanoi, cuc })
        {
            using var r = await outsider.PostAsync($"/cases/{id}/evidence/{n}/confirm", new { classification = "csam-a1" }, "*");
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await r.Content.ReadAsStringAsync()).ShouldContain("no such case");
        }

        (await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM hash_entries")).ShouldBe(entries);
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM case_hash_matches WHERE report_id IN (SELECT id FROM reports WHERE case_id = '{id}')")).ShouldBe(0);
        using var still = await curator.GetAsync($"{ConsoleCalls.Api}/cases/{id}/evidence/{n}");
        still.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
