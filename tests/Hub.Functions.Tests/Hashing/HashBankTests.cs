using Hub.Core.Hashing;
using Hub.Functions.Cases;
using Hub.Functions.Hashing;
using Hub.Functions.Tests.Cases;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Functions.Tests.Hashing;

/// <summary>
/// The hash banks in a real PostgreSQL (docs/hash-bank.md#banks) and the matcher over them: a list imported whole or
/// not at all (every bad line named), re-imports idempotent, export in the import format, exact and PDQ matching with
/// the quality gate and the distance limit, tombstones stopping matches, votes recorded, everything audited.
/// </summary>
public sealed class HashBankTests(CaseStoreDatabase db) : IClassFixture<CaseStoreDatabase>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero));
    private readonly string _bank = "test-" + Guid.NewGuid().ToString("N")[..10];

    private HashBanks Banks => new(db.Cases, new AuditLog(db.Cases, _time), _time);

    private const string Bridge512 = "d8f8f0cec0f4a84f0637022a278f67f0b36e2ed596621e1d33e6339c4e9c9b22";
    private const string Bridge128 = "d8f8f1eec0f4a84f0e37022a078f63f0b36e2ed596621e1d33e6239c4e9c9b22"; // 6 bits from 512
    private const string Unrelated = "a0fe94f1e5cc1cc8dd855948498dc9243f7ca27336f036d7f212b74bc103c9a7";
    private const string Md5 = "ddaa0bd5c0e39c13d30a4a395c76788e";

    private async Task<HashBanks> BankAsync(string csv)
    {
        var banks = Banks;
        await banks.CreateBankAsync(Actor.Console("test"), _bank, "agency-a05", "agency", CancellationToken.None);
        var result = await banks.ImportAsync(Actor.Console("test"), _bank, new StringReader(csv), "import", CancellationToken.None);
        result.Refused.ShouldBeEmpty();
        return banks;
    }

    [Fact]
    public async Task Import_ThenMatch_ExactAndPdqWithinTheDistance_AndNotBeyondOrBelowTheQualityGate()
    {
        var banks = await BankAsync($"type,value,classification,source-ref\npdq,{Bridge512},csam-a1,ref-1\nmd5,{Md5.ToUpperInvariant()},csam-a1,ref-2\n# a comment\n\n");
        var matcher = new HashMatcher(banks, _time);
        var near = await matcher.MatchAsync([new HashQuery("pdq", Bridge128, 100)], CancellationToken.None);
        var m = near.Where(x => x.Bank == _bank).ShouldHaveSingleItem();
        (m.Type, m.Distance, m.Classification).ShouldBe(("pdq", 6, "csam-a1"));
        PdqHash.Parse(Bridge512).Distance(PdqHash.Parse(Bridge128)).ShouldBe(6);

        (await matcher.MatchAsync([new HashQuery("md5", Md5)], CancellationToken.None)).ShouldContain(x => x.Bank == _bank && x.Type == "md5" && x.Distance == 0, "stored lowercase, matched either way");
        (await matcher.MatchAsync([new HashQuery("pdq", Unrelated, 100)], CancellationToken.None)).ShouldNotContain(x => x.Bank == _bank, "112 bits away");
        (await matcher.MatchAsync([new HashQuery("pdq", Bridge128, 49)], CancellationToken.None)).ShouldBeEmpty("a hash of quality below 50 is never matched");
        (await matcher.MatchAsync([new HashQuery("sha1", "not-hex")], CancellationToken.None)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Import_WithABadLine_IsRefusedWhole_NamingEveryBadLine()
    {
        var banks = Banks;
        await banks.CreateBankAsync(Actor.Console("test"), _bank, "central-111", "imported-list", CancellationToken.None);
        var result = await banks.ImportAsync(Actor.Console("test"), _bank,
            new StringReader($"pdq,{Bridge512},csam\nmd5,abc,csam\nsha512,{Md5},csam\npdq,{Unrelated}\nsha1,zz{new string('0', 38)},csam"), "import", CancellationToken.None);
        result.Added.ShouldBe(0);
        result.Refused.ShouldBe(
        [
            "line 2: a md5 hash is 32 hex digits, not 3",
            "line 3: unknown hash type 'sha512' (md5, sha1, sha256 or pdq)",
            "line 4: expected type,value,classification[,source-ref] (2 fields)",
            "line 5: a sha1 hash is hexadecimal",
        ]);
        (await banks.StatsAsync(CancellationToken.None)).Single(b => b.Name == _bank).Live.ShouldBeEmpty("nothing half-written");
    }

    [Fact]
    public async Task ReImport_IsIdempotent_ExportRoundTrips_AndStatsCount()
    {
        var csv = $"pdq,{Bridge512},csam,r1\nmd5,{Md5},csam,r2\npdq,{Bridge512},csam,r1";
        var banks = await BankAsync(csv);
        var again = await banks.ImportAsync(Actor.Console("test"), _bank, new StringReader(csv), "import", CancellationToken.None);
        (again.Added, again.AlreadyThere).ShouldBe((0, 3));
        var export = new StringWriter();
        (await banks.ExportAsync(_bank, export, CancellationToken.None)).ShouldBe(2);
        export.ToString().ShouldBe($"type,value,classification,source-ref\nmd5,{Md5},csam,r2\npdq,{Bridge512},csam,r1\n".Replace("\n", Environment.NewLine, StringComparison.Ordinal));
        var parsed = HashBanks.Parse(new StringReader(export.ToString()));
        parsed.Refused.ShouldBeEmpty("an export imports as it is");
        parsed.Lines.Count.ShouldBe(2);
        var stats = (await banks.StatsAsync(CancellationToken.None)).Single(b => b.Name == _bank);
        (stats.Kind, stats.OwnerTeam, stats.Live["pdq"], stats.Live["md5"], stats.Tombstoned).ShouldBe(("agency", "agency-a05", 1L, 1L, 0L));
    }

    [Fact]
    public async Task Tombstone_StopsMatches_OnTheNextRefresh_AndVotesAreRecorded()
    {
        var banks = await BankAsync($"pdq,{Bridge512},csam");
        var matcher = new HashMatcher(banks, _time);
        var entry = (await matcher.MatchAsync([new HashQuery("pdq", Bridge512, 100)], CancellationToken.None)).Single(m => m.Bank == _bank).Entry;
        await banks.VoteAsync(entry, truePositive: false, null, "tt", "ảnh quảng cáo, không phải xâm hại", CancellationToken.None);
        await Should.ThrowAsync<CaseOperationException>(() => banks.VoteAsync(entry, true, null, null, "x", CancellationToken.None));
        await Should.ThrowAsync<CaseOperationException>(() => banks.TombstoneAsync(Actor.Console("test"), entry, " ", CancellationToken.None));
        await banks.TombstoneAsync(Actor.Console("test"), entry, "false positive confirmed by A05", CancellationToken.None);
        (await Should.ThrowAsync<CaseOperationException>(() => banks.TombstoneAsync(Actor.Console("test"), entry, "again", CancellationToken.None))).Kind.ShouldBe(CaseProblem.NotFound);

        _time.Advance(HashMatcher.RefreshInterval);
        (await matcher.MatchAsync([new HashQuery("pdq", Bridge512, 100)], CancellationToken.None)).ShouldNotContain(m => m.Entry == entry);
        var stats = (await banks.StatsAsync(CancellationToken.None)).Single(b => b.Name == _bank);
        (stats.Tombstoned, stats.Votes).ShouldBe((1L, 1L));

        // Added again after its tombstone, the hash is a new entry, and a running matcher sees it after a refresh.
        async Task<(long, bool)> AddAsync(string value)
        {
            var item = (await banks.ContributeAsync(Actor.Console("test"), _bank, "agency-a05", "agency", [new("pdq", HashBanks.Normalize("pdq", value).Value!, "csam", 100, null)], "curator", CancellationToken.None)).Entries.Single();
            return (item.Entry, item.Status == "added");
        }

        var (id, added) = await AddAsync(Bridge512.ToUpperInvariant());
        added.ShouldBeTrue();
        id.ShouldNotBe(entry);
        (await AddAsync(Bridge512)).ShouldBe((id, false));
        await matcher.RefreshAsync(CancellationToken.None);
        (await matcher.MatchAsync([new HashQuery("pdq", Bridge128, 100)], CancellationToken.None)).ShouldContain(m => m.Entry == id && m.Distance == 6);
    }

    [Fact]
    public async Task Banks_RefuseABadNameKindOrOwner_AndAnUnknownBank()
    {
        var banks = Banks;
        (await Should.ThrowAsync<CaseOperationException>(() => banks.CreateBankAsync(Actor.Console("test"), "Bad Name", "central-111", "agency", CancellationToken.None))).Kind.ShouldBe(CaseProblem.Invalid);
        (await Should.ThrowAsync<CaseOperationException>(() => banks.CreateBankAsync(Actor.Console("test"), _bank, "central-111", "friends", CancellationToken.None))).Kind.ShouldBe(CaseProblem.Invalid);
        (await Should.ThrowAsync<CaseOperationException>(() => banks.CreateBankAsync(Actor.Console("test"), _bank, "no-such-team", "agency", CancellationToken.None))).Kind.ShouldBe(CaseProblem.Conflict);
        (await Should.ThrowAsync<CaseOperationException>(() => banks.ImportAsync(Actor.Console("test"), "no-such-bank", new StringReader($"md5,{Md5},x"), "import", CancellationToken.None))).Kind.ShouldBe(CaseProblem.NotFound);
    }
}
