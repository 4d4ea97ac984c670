using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hub.Core.Hashing;
using Hub.Functions.Cases;
using Hub.Functions.Hashing;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Platform;

/// <summary>
/// The platform hash API end to end (docs/platform-api.md#hashes): signed requests against the real hub, banks in a
/// real PostgreSQL. Lookups answer per hash with bank, classification and distance and nothing else; contributions go
/// to the platform's own bank, all or nothing, idempotently, audited; votes are recorded; bad input is a 400 naming
/// every bad item; signatures and the per-platform hash limit are enforced.
/// </summary>
public sealed class PlatformHashApiTests(PlatformFixture hub) : IClassFixture<PlatformFixture>
{
    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static string RandomHex(int digits) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(digits / 2));

    /// <summary>A PDQ hash <paramref name="bits"/> bits from <paramref name="hex"/> (the lowest bits flipped).</summary>
    private static string Flip(string hex, int bits)
    {
        var h = PdqHash.Parse(hex);
        var w0 = h.W0 ^ ((1UL << bits) - 1);
        return new PdqHash(w0, h.W1, h.W2, h.W3).ToString();
    }

    private HashBanks Banks => hub.Services.GetRequiredService<HashBanks>();

    private HashMatcher Matcher => hub.Services.GetRequiredService<HashMatcher>();

    /// <summary>A bank of one agency with a PDQ and an MD5 hash (fresh values each time: the tests share one database).</summary>
    private async Task<(string Bank, string Pdq, string Md5)> AgencyBankAsync()
    {
        var bank = "a05-" + Guid.NewGuid().ToString("N")[..8];
        var (pdq, md5) = (RandomHex(64), RandomHex(32));
        await Banks.CreateBankAsync(Actor.Console("test"), bank, "agency-a05", "agency", CancellationToken.None);
        (await Banks.ImportAsync(Actor.Console("test"), bank, new StringReader($"pdq,{pdq},csam-a1,r1\nmd5,{md5},csam-b,r2\n"), "import", CancellationToken.None)).Refused.ShouldBeEmpty();
        await Matcher.RefreshAsync(CancellationToken.None);
        return (bank, pdq, md5);
    }

    private Task<HttpResponseMessage> PostAsync(string path, string body, string platform = "tt", string secret = TestSecrets.PlatformSecret) =>
        hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, path, body, platform: platform, secret: secret));

    [Fact]
    public async Task Match_AnswersEachHash_WithBankClassificationAndDistance_AndNothingAboutCases()
    {
        var (bank, pdq, md5) = await AgencyBankAsync();
        var body = $$"""
            {"hashes":[
              {"type":"pdq","value":"{{Flip(pdq, 6)}}","quality":90},
              {"type":"md5","value":"{{md5.ToUpperInvariant()}}"},
              {"type":"sha256","value":"{{RandomHex(64)}}"},
              {"type":"pdq","value":"{{pdq}}","quality":20},
              {"type":"pdq","value":"{{Flip(pdq, 32)}}","quality":100}]}
            """;
        using var response = await PostAsync("/hashes/match", body);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var results = (await JsonOf(response)).GetProperty("results").EnumerateArray().ToList();
        results.Count.ShouldBe(5);
        var near = results[0].GetProperty("matches").EnumerateArray().ShouldHaveSingleItem();
        (near.GetProperty("bank").GetString(), near.GetProperty("classification").GetString(), near.GetProperty("type").GetString(), near.GetProperty("distance").GetInt32())
            .ShouldBe((bank, "csam-a1", "pdq", 6));
        near.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList().ShouldBe(["bank", "classification", "distance", "entry", "type"], "hashes only: no case, report or source reference");
        var exact = results[1].GetProperty("matches").EnumerateArray().ShouldHaveSingleItem();
        (exact.GetProperty("classification").GetString(), exact.GetProperty("distance").GetInt32()).ShouldBe(("csam-b", 0));
        results[2].GetProperty("matches").GetArrayLength().ShouldBe(0);
        results[3].GetProperty("skipped").GetString().ShouldBe("low-quality");
        results[3].GetProperty("matches").GetArrayLength().ShouldBe(0, "a weak hash is never matched, even an exact one");
        results[4].GetProperty("matches").GetArrayLength().ShouldBe(0, "32 bits is past the distance of 31");
        results.Select(r => r.GetProperty("index").GetInt32()).ShouldBe([0, 1, 2, 3, 4]);
    }

    [Fact]
    public async Task Match_BadItems_400ListsEachByPath()
    {
        var body = $$"""
            {"hashes":[
              {"type":"md5","value":"{{RandomHex(30)}}"},
              {"type":"sha1","value":"{{new string('g', 40)}}"},
              {"type":"sha512","value":"{{RandomHex(64)}}"},
              {"type":"pdq","value":"{{RandomHex(64)}}","quality":101},
              {"type":"md5","value":"{{RandomHex(32)}}","quality":80},
              {"type":"pdq","valu":"{{RandomHex(64)}}"},
              "not an object",
              {"type":"pdq","value":"{{RandomHex(64)}}"}],
             "extra":1}
            """;
        using var response = await PostAsync("/hashes/match", body);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = (await JsonOf(response)).GetProperty("errors");
        errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ShouldBe(
        [
            "$.extra",
            "$.hashes[0].value",
            "$.hashes[1].value",
            "$.hashes[2].type",
            "$.hashes[3].quality",
            "$.hashes[4].quality",
            "$.hashes[5].valu",
            "$.hashes[5].value",
            "$.hashes[6]",
        ]);
        errors.GetProperty("$.hashes[0].value")[0].GetString().ShouldBe("a md5 hash is 32 hex digits, not 30");
        errors.GetProperty("$.hashes[1].value")[0].GetString().ShouldBe("a sha1 hash is hexadecimal");
        errors.GetProperty("$.hashes[2].type")[0].GetString()!.ShouldContain("unknown hash type 'sha512'");
    }

    public static TheoryData<string> Sizes => new() { "0", "1001" };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Match_EmptyOrOverAThousand_400(string count)
    {
        var n = int.Parse(count, CultureInfo.InvariantCulture);
        var body = "{\"hashes\":[" + string.Join(',', Enumerable.Range(0, n).Select(_ => $"{{\"type\":\"md5\",\"value\":\"{RandomHex(32)}\"}}")) + "]}";
        using var response = await PostAsync("/hashes/match", body);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await JsonOf(response)).GetProperty("errors").GetProperty("$.hashes")[0].GetString().ShouldBe($"must have 1 to 1000 items (has {n})");
    }

    [Fact]
    public async Task Match_NotJsonOrTooLarge_415And413()
    {
        using var text = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/hashes/match", "{\"hashes\":[]}", contentType: "text/plain"));
        text.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        using var big = await PostAsync("/hashes/match", "{\"hashes\":[" + new string(' ', 600 * 1024) + "]}");
        big.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        using var broken = await PostAsync("/hashes/match", "{\"hashes\":[");
        broken.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    public static TheoryData<string, string> Endpoints => new()
    {
        { "/hashes/match", "wrong signature" }, { "/hashes/match", "other platform's secret" }, { "/hashes/match", "stale" }, { "/hashes/match", "missing" }, { "/hashes/match", "unknown platform" },
        { "/hashes", "wrong signature" }, { "/hashes", "other platform's secret" }, { "/hashes", "stale" }, { "/hashes", "missing" }, { "/hashes", "unknown platform" },
        { "/hashes/votes", "wrong signature" }, { "/hashes/votes", "other platform's secret" }, { "/hashes/votes", "stale" }, { "/hashes/votes", "missing" }, { "/hashes/votes", "unknown platform" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task EveryHashEndpoint_NotAuthenticated_401AndNothingWritten(string path, string how)
    {
        var value = RandomHex(64);
        var body = path switch
        {
            "/hashes/votes" => "{\"votes\":[{\"entry\":1,\"verdict\":\"false-positive\",\"reason\":\"x\"}]}",
            "/hashes" => $"{{\"hashes\":[{{\"type\":\"sha256\",\"value\":\"{value}\",\"classification\":\"csam-a1\"}}]}}",
            _ => $"{{\"hashes\":[{{\"type\":\"sha256\",\"value\":\"{value}\"}}]}}",
        };
        var request = how switch
        {
            "wrong signature" => PlatformFixture.Call(HttpMethod.Post, path, body, signature: "v1=" + new string('0', 64)),
            "other platform's secret" => PlatformFixture.Call(HttpMethod.Post, path, body, secret: TestSecrets.OtherPlatformSecret),
            "stale" => PlatformFixture.Call(HttpMethod.Post, path, body, timestamp: PlatformFixture.Now - 301),
            "missing" => PlatformFixture.Call(HttpMethod.Post, path, body, omitSignature: true),
            _ => PlatformFixture.Call(HttpMethod.Post, path, body, platform: "nobody"),
        };
        var votes = await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM hash_votes");
        using var response = await hub.Client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, $"{path} {how}");
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM hash_entries WHERE value = '{value}'")).ShouldBe(0);
        (await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM hash_votes")).ShouldBe(votes);
    }

    [Fact]
    public async Task Contribute_GoesToThePlatformsBank_IsMatchedAtOnce_AndARepeatAddsNothing()
    {
        var (pdq, sha1) = (RandomHex(64), RandomHex(40));
        var body = $$"""{"hashes":[{"type":"pdq","value":"{{pdq.ToUpperInvariant()}}","quality":88,"classification":"csam-a2","ref":"tt-item-1"},{"type":"sha1","value":"{{sha1}}","classification":"csam-a2"}]}""";
        var ts = PlatformFixture.Now;
        using var first = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/hashes", body, timestamp: ts));

        first.StatusCode.ShouldBe(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        var result = await JsonOf(first);
        result.GetProperty("bank").GetString().ShouldBe("platform-tt");
        (result.GetProperty("added").GetInt32(), result.GetProperty("existing").GetInt32()).ShouldBe((2, 0));
        var entries = result.GetProperty("entries").EnumerateArray().Select(e => (e.GetProperty("index").GetInt32(), e.GetProperty("entry").GetInt64(), e.GetProperty("status").GetString())).ToList();
        entries.Select(e => e.Item3).ShouldBe(["added", "added"]);

        // Stored lowercase, with its source, in a platform bank owned by the hotline; the contribution is audited.
        (await hub.Postgres.ScalarAsync<string>($"SELECT b.kind || '|' || b.owner_team || '|' || e.source || '|' || e.source_ref || '|' || e.classification FROM hash_entries e JOIN hash_banks b ON b.id = e.bank_id WHERE e.id = {entries[0].Item2}"))
            .ShouldBe("platform|central-111|platform:tt|tt-item-1|csam-a2");
        (await hub.Postgres.ScalarAsync<long>("SELECT count(*) FROM audit WHERE action = 'hashbank.contribute' AND 'bank:platform-tt' = ANY(fields) AND 'source:platform:tt' = ANY(fields)")).ShouldBeGreaterThanOrEqualTo(1);

        // Matched at once, by this platform and by another one.
        using var match = await PostAsync("/hashes/match", $$"""{"hashes":[{"type":"pdq","value":"{{Flip(pdq, 3)}}","quality":70}]}""", platform: "other", secret: TestSecrets.OtherPlatformSecret);
        var m = (await JsonOf(match)).GetProperty("results")[0].GetProperty("matches").EnumerateArray().ShouldHaveSingleItem();
        (m.GetProperty("entry").GetInt64(), m.GetProperty("bank").GetString(), m.GetProperty("distance").GetInt32()).ShouldBe((entries[0].Item2, "platform-tt", 3));

        // The same request again (a replay inside the window, or a retry): nothing added twice.
        using var again = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/hashes", body, timestamp: ts));
        var repeat = await JsonOf(again);
        (repeat.GetProperty("added").GetInt32(), repeat.GetProperty("existing").GetInt32()).ShouldBe((0, 2));
        repeat.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("entry").GetInt64()).ShouldBe(entries.Select(e => e.Item2));
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM hash_entries WHERE value IN ('{pdq}', '{sha1}')")).ShouldBe(2);
    }

    [Fact]
    public async Task Contribute_AnyBadItem_400AndNothingAdded()
    {
        var good = RandomHex(64);
        var body = $$"""
            {"hashes":[
              {"type":"sha256","value":"{{good}}","classification":"csam-a1"},
              {"type":"pdq","value":"{{RandomHex(64)}}","classification":"csam-a1"},
              {"type":"pdq","value":"{{RandomHex(64)}}","quality":30,"classification":"csam-a1"},
              {"type":"md5","value":"{{RandomHex(32)}}"},
              {"type":"md5","value":"{{RandomHex(32)}}","classification":"a,b"},
              {"type":"md5","value":"{{RandomHex(32)}}","classification":"{{new string('x', 101)}}"}]}
            """;
        using var response = await PostAsync("/hashes", body);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await JsonOf(response)).GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)
            .ShouldBe(["$.hashes[1].quality", "$.hashes[2].quality", "$.hashes[3].classification", "$.hashes[4].classification", "$.hashes[5].classification"]);
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM hash_entries WHERE value = '{good}'")).ShouldBe(0, "all or nothing");
    }

    [Fact]
    public async Task Votes_AreRecordedForThePlatform_AndAnUnknownEntryRefusesTheWholeRequest()
    {
        var (bank, pdq, _) = await AgencyBankAsync();
        var entry = (await Matcher.MatchAsync([new HashQuery("pdq", pdq, 100)], CancellationToken.None)).Single(m => m.Bank == bank).Entry;

        using var bad = await PostAsync("/hashes/votes", $$"""{"votes":[{"entry":{{entry}},"verdict":"false-positive","reason":"beach photo"},{"entry":999999999,"verdict":"true-positive","reason":"x"}]}""");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await JsonOf(bad)).GetProperty("errors").EnumerateObject().Select(p => p.Name).ShouldBe(["$.votes[1].entry"]);
        (await hub.Postgres.ScalarAsync<long>($"SELECT count(*) FROM hash_votes WHERE entry_id = {entry}")).ShouldBe(0);

        using var invalid = await PostAsync("/hashes/votes", $$"""{"votes":[{"entry":{{entry}},"verdict":"maybe","reason":""}]}""");
        (await JsonOf(invalid)).GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ShouldBe(["$.votes[0].reason", "$.votes[0].verdict"]);

        using var ok = await PostAsync("/hashes/votes", $$"""{"votes":[{"entry":{{entry}},"verdict":"false-positive","reason":"A stock photo, reviewed by our team, commas, and all."}]}""");
        ok.StatusCode.ShouldBe(HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());
        (await JsonOf(ok)).GetProperty("recorded").GetInt32().ShouldBe(1);
        (await hub.Postgres.ScalarAsync<string>($"SELECT verdict || '|' || platform || '|' || reason FROM hash_votes WHERE entry_id = {entry}"))
            .ShouldBe("false-positive|tt|A stock photo, reviewed by our team, commas, and all.");
    }

    [Fact]
    public async Task Tombstone_StopsTheApisMatches()
    {
        var (bank, _, md5) = await AgencyBankAsync();
        var body = $$"""{"hashes":[{"type":"md5","value":"{{md5}}"}]}""";
        using var before = await PostAsync("/hashes/match", body);
        var entry = (await JsonOf(before)).GetProperty("results")[0].GetProperty("matches")[0].GetProperty("entry").GetInt64();

        await Banks.TombstoneAsync(Actor.Console("test"), entry, "withdrawn by A05", CancellationToken.None);
        await Matcher.RefreshAsync(CancellationToken.None);
        using var after = await PostAsync("/hashes/match", body);
        (await JsonOf(after)).GetProperty("results")[0].GetProperty("matches").GetArrayLength().ShouldBe(0, bank);
    }

    [Fact]
    public async Task HashLimit_AFullRequestPasses_TheNextWaitsWithRetryAfter()
    {
        var body = "{\"hashes\":[" + string.Join(',', Enumerable.Range(0, 1000).Select(_ => $"{{\"type\":\"md5\",\"value\":\"{RandomHex(32)}\"}}")) + "]}";
        using var first = await PostAsync("/hashes/match", body, platform: "slow", secret: TestSecrets.OtherPlatformSecret);
        first.StatusCode.ShouldBe(HttpStatusCode.OK, "a fresh bucket holds one full request");
        using var second = await PostAsync("/hashes/match", "{\"hashes\":[{\"type\":\"md5\",\"value\":\"" + RandomHex(32) + "\"}]}", platform: "slow", secret: TestSecrets.OtherPlatformSecret);
        second.StatusCode.ShouldBe((HttpStatusCode)429);
        second.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeGreaterThan(0);

        // The hash bucket is not the report bucket: the slow platform's report allowance is untouched.
        using var report = await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(), platform: "slow", secret: TestSecrets.OtherPlatformSecret));
        report.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }
}
