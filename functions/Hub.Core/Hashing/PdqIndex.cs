namespace Hub.Core.Hashing;

/// <summary>One match of a query: the entry's position in the index (what the caller maps to its bank entry) and the distance.</summary>
public readonly record struct PdqMatch(int Entry, int Distance);

/// <summary>
/// PDQ hashes searchable by Hamming radius, exactly and fast at tens of millions (docs/hash-bank.md#the-index):
/// multi-index hashing. Each hash is cut into 16 chunks of 16 bits; every chunk has its own table from the chunk's
/// value to the entries holding it (compressed: one offsets array of 65,537 ints and one entry array per chunk). If
/// two hashes are within radius R, then by the pigeonhole principle at least one of their 16 chunks differs in at most
/// ⌊R / 16⌋ bits — so probing every chunk's value and its neighbours within ⌊R / 16⌋ bits (1 + 16 probes per chunk for
/// R ≤ 31) finds every true match; each candidate is then verified on all 256 bits. No approximation: the result is
/// exactly the brute-force result (a differential test checks it).
/// <para>Memory: 32 bytes of hash and 16 × 4 bytes of entry numbers per hash (96 bytes), plus 4 MiB of offsets.</para>
/// <para>Immutable and safe for concurrent queries; <see cref="LivePdqIndex"/> adds additions and tombstones on top.</para>
/// </summary>
public sealed class PdqIndex
{
    public const int Chunks = 16;

    /// <summary>The largest radius the probe plan covers (chunk radius 2: 1 + 16 + 120 probes per chunk).</summary>
    public const int MaxRadius = 47;

    private const int Buckets = 1 << 16;

    private readonly ulong[] _words; // 4 per entry
    private readonly int[][] _offsets; // per chunk: Buckets + 1
    private readonly int[][] _entries; // per chunk: Count

    private PdqIndex(ulong[] words, int[][] offsets, int[][] entries)
    {
        _words = words;
        _offsets = offsets;
        _entries = entries;
    }

    public int Count => _words.Length / 4;

    public static PdqIndex Empty { get; } = Build([]);

    /// <summary>Builds the index over <paramref name="hashes"/>; entry i is hashes[i]. Two counting passes per chunk, no sorting.</summary>
    public static PdqIndex Build(IReadOnlyList<PdqHash> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var n = hashes.Count;
        var words = new ulong[n * 4];
        for (var i = 0; i < n; i++)
        {
            var h = hashes[i];
            (words[i * 4], words[(i * 4) + 1], words[(i * 4) + 2], words[(i * 4) + 3]) = (h.W0, h.W1, h.W2, h.W3);
        }

        var offsets = new int[Chunks][];
        var entries = new int[Chunks][];
        Parallel.For(0, Chunks, c =>
        {
            var start = new int[Buckets + 1];
            var word = c >> 2;
            var shift = (c & 3) * 16;
            for (var i = 0; i < n; i++)
            {
                start[(int)((words[(i * 4) + word] >> shift) & 0xFFFF) + 1]++;
            }

            for (var b = 0; b < Buckets; b++)
            {
                start[b + 1] += start[b];
            }

            var fill = (int[])start.Clone();
            var list = new int[n];
            for (var i = 0; i < n; i++)
            {
                list[fill[(int)((words[(i * 4) + word] >> shift) & 0xFFFF)]++] = i;
            }

            offsets[c] = start;
            entries[c] = list;
        });
        return new PdqIndex(words, offsets, entries);
    }

    public PdqHash this[int entry] => new(_words[entry * 4], _words[(entry * 4) + 1], _words[(entry * 4) + 2], _words[(entry * 4) + 3]);

    /// <summary>Every entry within <paramref name="radius"/> of <paramref name="query"/> (each once), nearest first.</summary>
    public IReadOnlyList<PdqMatch> Search(PdqHash query, int radius)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(radius, MaxRadius);
        var found = new Dictionary<int, int>();
        var chunkRadius = radius / Chunks;
        for (var c = 0; c < Chunks; c++)
        {
            var value = query.Chunk(c);
            Probe(c, value, query, radius, found);
            for (var i = 0; i < 16 && chunkRadius >= 1; i++)
            {
                var one = (ushort)(value ^ (1 << i));
                Probe(c, one, query, radius, found);
                for (var j = i + 1; j < 16 && chunkRadius >= 2; j++)
                {
                    Probe(c, (ushort)(one ^ (1 << j)), query, radius, found);
                }
            }
        }

        return Sorted(found);
    }

    /// <summary>The same answer by comparing with every entry: the reference the index is tested (and benchmarked) against.</summary>
    public IReadOnlyList<PdqMatch> BruteForce(PdqHash query, int radius)
    {
        var found = new Dictionary<int, int>();
        for (var i = 0; i < Count; i++)
        {
            var d = Distance(i, query);
            if (d <= radius)
            {
                found[i] = d;
            }
        }

        return Sorted(found);
    }

    private void Probe(int chunk, ushort value, PdqHash query, int radius, Dictionary<int, int> found)
    {
        var offsets = _offsets[chunk];
        var list = _entries[chunk];
        for (int k = offsets[value], end = offsets[value + 1]; k < end; k++)
        {
            var e = list[k];
            var d = Distance(e, query);
            if (d <= radius)
            {
                found.TryAdd(e, d);
            }
        }
    }

    private int Distance(int e, PdqHash q) =>
        System.Numerics.BitOperations.PopCount(_words[e * 4] ^ q.W0) + System.Numerics.BitOperations.PopCount(_words[(e * 4) + 1] ^ q.W1)
        + System.Numerics.BitOperations.PopCount(_words[(e * 4) + 2] ^ q.W2) + System.Numerics.BitOperations.PopCount(_words[(e * 4) + 3] ^ q.W3);

    private static List<PdqMatch> Sorted(Dictionary<int, int> found)
    {
        var list = found.Select(kv => new PdqMatch(kv.Key, kv.Value)).ToList();
        list.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Entry.CompareTo(b.Entry));
        return list;
    }
}

/// <summary>
/// A <see cref="PdqIndex"/> that follows a bank while the hub runs: additions go to a small list searched directly
/// until <see cref="Compact"/> folds them into a new index; a tombstone hides an entry at once. Entries are the
/// caller's ids (a bank entry's id), not positions. Readers never lock: every change publishes a new snapshot.
/// </summary>
public sealed class LivePdqIndex
{
    private readonly Lock _write = new();
    private Snapshot _current;

    public LivePdqIndex(IReadOnlyList<(long Id, PdqHash Hash)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _current = new Snapshot(PdqIndex.Build([.. entries.Select(e => e.Hash)]), [.. entries.Select(e => e.Id)], [], new HashSet<long>());
    }

    private sealed record Snapshot(PdqIndex Base, long[] BaseIds, List<(long Id, PdqHash Hash)> Added, HashSet<long> Removed);

    /// <summary>Live entries: the base's and the added ones, less the tombstoned.</summary>
    public int Count
    {
        get
        {
            var s = Volatile.Read(ref _current);
            return s.Base.Count + s.Added.Count - s.Removed.Count;
        }
    }

    /// <summary>Entries added since the last <see cref="Compact"/> (searched one by one).</summary>
    public int Pending => Volatile.Read(ref _current).Added.Count;

    /// <summary>Adds an entry (ids are never reused: a removed entry stays removed, as its tombstone in the bank does).</summary>
    public void Add(long id, PdqHash hash)
    {
        lock (_write)
        {
            var s = _current;
            Volatile.Write(ref _current, s with { Added = [.. s.Added, (id, hash)] });
        }
    }

    public void Remove(long id)
    {
        lock (_write)
        {
            var s = _current;
            Volatile.Write(ref _current, s with { Removed = [.. s.Removed, id] });
        }
    }

    /// <summary>
    /// Applies a batch of additions and tombstones as one new snapshot (a bank's refresh: one copy, not one per entry).
    /// When the additions waiting to be folded in would pass <paramref name="maxPending"/>, they are folded into a new
    /// base index at once instead, so a large import never leaves lookups scanning a long list.
    /// </summary>
    public void Apply(IReadOnlyCollection<(long Id, PdqHash Hash)> added, IReadOnlyCollection<long> removed, int maxPending)
    {
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(removed);
        if (added.Count == 0 && removed.Count == 0)
        {
            return;
        }

        lock (_write)
        {
            var s = _current;
            var next = s with { Added = [.. s.Added, .. added], Removed = [.. s.Removed, .. removed] };
            Volatile.Write(ref _current, next);
            if (next.Added.Count > maxPending || next.Removed.Count > maxPending)
            {
                Compact();
            }
        }
    }

    /// <summary>Folds the additions and tombstones into a new base index (the bank is the source of truth; this is only speed).</summary>
    public void Compact()
    {
        lock (_write)
        {
            var s = _current;
            var live = new List<(long, PdqHash)>(s.Base.Count + s.Added.Count);
            for (var i = 0; i < s.Base.Count; i++)
            {
                if (!s.Removed.Contains(s.BaseIds[i]))
                {
                    live.Add((s.BaseIds[i], s.Base[i]));
                }
            }

            live.AddRange(s.Added.Where(a => !s.Removed.Contains(a.Id)));
            Volatile.Write(ref _current, new Snapshot(PdqIndex.Build([.. live.Select(e => e.Item2)]), [.. live.Select(e => e.Item1)], [], []));
        }
    }

    /// <summary>Every live entry within <paramref name="radius"/>: its id and distance, nearest first.</summary>
    public IReadOnlyList<(long Id, int Distance)> Search(PdqHash query, int radius)
    {
        var s = Volatile.Read(ref _current);
        var hits = s.Base.Search(query, radius).Select(m => (Id: s.BaseIds[m.Entry], m.Distance))
            .Concat(s.Added.Select(a => (a.Id, Distance: a.Hash.Distance(query))).Where(a => a.Distance <= radius))
            .Where(h => !s.Removed.Contains(h.Id))
            .GroupBy(h => h.Id)
            .Select(g => (g.Key, g.Min(h => h.Distance)))
            .OrderBy(h => h.Item2).ThenBy(h => h.Key)
            .ToList();
        return hits;
    }
}
