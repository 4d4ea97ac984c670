using Hub.Core.Hashing;

namespace Hub.Core.Tests.Hashing;

/// <summary>
/// The multi-index against brute force (a differential test): 100,000 random hashes, and queries at every distance
/// 0–40 from a stored one, random queries and a clustered bank; the index must answer exactly what brute force does.
/// Then the live index: additions are found at once, tombstones hide at once, compaction changes no answer.
/// </summary>
public sealed class PdqIndexTests
{
    private static PdqHash Random(Random r) => new((ulong)r.NextInt64() ^ ((ulong)r.Next() << 63), (ulong)r.NextInt64() ^ ((ulong)r.Next() << 63), (ulong)r.NextInt64() ^ ((ulong)r.Next() << 63), (ulong)r.NextInt64() ^ ((ulong)r.Next() << 63));

    private static PdqHash Flip(PdqHash h, int bits, Random r)
    {
        var w = new[] { h.W0, h.W1, h.W2, h.W3 };
        foreach (var k in Enumerable.Range(0, 256).OrderBy(_ => r.Next()).Take(bits))
        {
            w[k >> 6] ^= 1UL << (k & 63);
        }

        return new PdqHash(w[0], w[1], w[2], w[3]);
    }

    [Fact]
    public void Search_IsExactlyBruteForce_At100000RandomHashes_ForEveryDistance0To40()
    {
        var r = new Random(830);
        var hashes = Enumerable.Range(0, 100_000).Select(_ => Random(r)).ToList();
        var index = PdqIndex.Build(hashes);
        index.Count.ShouldBe(100_000);
        var found = 0;
        for (var d = 0; d <= 40; d++)
        {
            for (var q = 0; q < 20; q++)
            {
                var target = r.Next(hashes.Count);
                var query = Flip(hashes[target], d, r);
                foreach (var radius in new[] { 31, d <= 47 ? Math.Max(d, 0) : 0 })
                {
                    var expected = index.BruteForce(query, radius);
                    index.Search(query, radius).ShouldBe(expected, $"distance {d}, radius {radius}");
                    found += expected.Count;
                }

                var hit = index.Search(query, 31);
                if (d <= 31)
                {
                    hit.ShouldContain(new PdqMatch(target, d));
                }
                else
                {
                    hit.ShouldNotContain(m => m.Entry == target);
                }
            }
        }

        found.ShouldBeGreaterThan(1000, "the queries near stored hashes do find them");
        for (var q = 0; q < 200; q++)
        {
            var query = Random(r);
            index.Search(query, 31).ShouldBe(index.BruteForce(query, 31));
        }
    }

    [Fact]
    public void Search_IsExactlyBruteForce_OnAClusteredBank_AtEveryRadiusUpTo47()
    {
        // Near-duplicates of a few originals (as re-encodes of the same images are): many candidates share chunks.
        var r = new Random(56);
        var originals = Enumerable.Range(0, 50).Select(_ => Random(r)).ToList();
        var hashes = Enumerable.Range(0, 20_000).Select(i => Flip(originals[i % originals.Count], r.Next(0, 40), r)).ToList();
        var index = PdqIndex.Build(hashes);
        foreach (var radius in new[] { 0, 1, 8, 15, 16, 17, 31, 32, 40, 47 })
        {
            for (var q = 0; q < 10; q++)
            {
                var query = Flip(originals[r.Next(originals.Count)], r.Next(0, 30), r);
                var expected = index.BruteForce(query, radius);
                index.Search(query, radius).ShouldBe(expected, $"radius {radius}");
            }
        }
    }

    [Fact]
    public void Search_RefusesARadiusItsProbesDoNotCover()
    {
        var index = PdqIndex.Build([PdqHash.Zero]);
        Should.Throw<ArgumentOutOfRangeException>(() => index.Search(PdqHash.Zero, 48));
        Should.Throw<ArgumentOutOfRangeException>(() => index.Search(PdqHash.Zero, -1));
        PdqIndex.Empty.Search(PdqHash.Zero, 31).ShouldBeEmpty();
    }

    [Fact]
    public void Live_AdditionsAreFoundAtOnce_TombstonesHideAtOnce_AndCompactionChangesNoAnswer()
    {
        var r = new Random(111);
        var start = Enumerable.Range(0, 5_000).Select(i => ((long)i + 1000, Random(r))).ToList();
        var live = new LivePdqIndex(start);
        var extra = Random(r);
        var near = Flip(extra, 9, r);
        live.Search(near, 31).ShouldBeEmpty();

        live.Add(42, extra);
        live.Pending.ShouldBe(1);
        live.Search(near, 31).ShouldBe([(42L, 9)]);

        var stored = start[17];
        live.Search(stored.Item2, 0).ShouldBe([(stored.Item1, 0)]);
        live.Remove(stored.Item1);
        live.Search(stored.Item2, 0).ShouldBeEmpty("a tombstone stops matches at once");
        live.Count.ShouldBe(5_000);

        var before = Enumerable.Range(0, 50).Select(_ => Flip(start[r.Next(start.Count)].Item2, r.Next(0, 35), r)).Append(near).ToList();
        var answers = before.Select(q => live.Search(q, 31)).ToList();
        live.Compact();
        live.Pending.ShouldBe(0);
        live.Count.ShouldBe(5_000);
        before.Select(q => live.Search(q, 31)).ShouldBe(answers);
        live.Search(stored.Item2, 0).ShouldBeEmpty("still removed after compaction");
    }

    [Fact]
    public void Live_ABatchApplied_AnswersAsBruteForce_BelowAndAboveThePendingLimit()
    {
        var r = new Random(56);
        var start = Enumerable.Range(0, 2_000).Select(i => ((long)i + 1, Random(r))).ToList();
        foreach (var (batch, limit, pendingAfter) in new[] { (300, 1000, 300), (3_000, 1000, 0) })
        {
            var live = new LivePdqIndex(start);
            var added = Enumerable.Range(0, batch).Select(i => ((long)i + 10_000, Flip(start[r.Next(start.Count)].Item2, r.Next(0, 20), r))).ToList();
            var removed = start.Where((_, i) => i % 7 == 0).Select(e => e.Item1).ToList();
            live.Apply(added, removed, limit);

            live.Pending.ShouldBe(pendingAfter, "past the limit the batch is folded into the tables");
            live.Count.ShouldBe(start.Count + batch - removed.Count);
            var all = start.Where(e => !removed.Contains(e.Item1)).Concat(added).ToList();
            foreach (var q in Enumerable.Range(0, 40).Select(_ => Flip(all[r.Next(all.Count)].Item2, r.Next(0, 33), r)))
            {
                var brute = all.Select(e => (Id: e.Item1, Distance: e.Item2.Distance(q))).Where(e => e.Distance <= 31).OrderBy(e => e.Distance).ThenBy(e => e.Id).ToList();
                live.Search(q, 31).ShouldBe(brute);
            }
        }
    }
}
