using Hub.Core.Hashing;

namespace Hub.Functions.Hashing;

/// <summary>A bank entry a hash matched: which entry, its bank and classification, the hash type and (PDQ) the distance.</summary>
public sealed record HashMatch(long Entry, string Bank, string Classification, string Type, int Distance);

/// <summary>A hash to look up: its type, value and, for PDQ, its quality (below <see cref="HashMatcher.MinQuality"/> it is never matched).</summary>
public sealed record HashQuery(string Type, string Value, int? Quality = null);

/// <summary>
/// Looks hashes up in every enabled bank (docs/hash-bank.md#matching): exact types by dictionary, PDQ by Hamming
/// distance ≤ <see cref="MaxDistance"/> over a <see cref="LivePdqIndex"/>, only for hashes of quality ≥
/// <see cref="MinQuality"/>. The banks are read from PostgreSQL on first use; afterwards each lookup older than
/// <see cref="RefreshInterval"/> first reads what was added or tombstoned since (so every instance follows the banks),
/// and additions made here are seen at once. Thread-safe; lookups never wait on the database once loaded.
/// </summary>
public sealed class HashMatcher(HashBanks banks, TimeProvider time) : IDisposable
{
    public const int MaxDistance = 31;
    public const int MinQuality = 50;

    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private State? _state;

    private sealed class State
    {
        public required Dictionary<(string Type, string Value), List<HashEntry>> Exact { get; init; }

        public required Dictionary<long, HashEntry> Pdq { get; init; }

        public required LivePdqIndex Index { get; init; }

        public long MaxId { get; set; }

        public DateTimeOffset CheckedAt { get; set; }
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Live PDQ entries in the index (for the metrics and <c>hashes stats</c>).</summary>
    public int PdqCount => _state?.Index.Count ?? 0;

    public async Task<IReadOnlyList<HashMatch>> MatchAsync(IEnumerable<HashQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var s = await CurrentAsync(ct);
        var matches = new List<HashMatch>();
        foreach (var q in queries)
        {
            var (value, why) = HashBanks.Normalize(q.Type, q.Value);
            if (why is not null)
            {
                continue;
            }

            if (q.Type == "pdq")
            {
                if ((q.Quality ?? 100) < MinQuality || !PdqHash.TryParse(value, out var hash))
                {
                    continue;
                }

                // The index is a snapshot (no lock to search it); the entries' details are read under the lock a refresh writes them under.
                var hits = s.Index.Search(hash, MaxDistance);
                lock (s)
                {
                    foreach (var (id, distance) in hits)
                    {
                        if (s.Pdq.TryGetValue(id, out var entry))
                        {
                            matches.Add(new HashMatch(entry.Id, entry.Bank, entry.Classification, "pdq", distance));
                        }
                    }
                }
            }
            else
            {
                lock (s)
                {
                    if (s.Exact.TryGetValue((q.Type, value!), out var entries))
                    {
                        matches.AddRange(entries.Select(e => new HashMatch(e.Id, e.Bank, e.Classification, q.Type, 0)));
                    }
                }
            }
        }

        return [.. matches.DistinctBy(m => m.Entry).OrderBy(m => m.Distance).ThenBy(m => m.Entry)];
    }

    /// <summary>Reads the banks' changes now (after an import or a tombstone made in this process).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            if (_state is null)
            {
                await LoadAsync(ct);
                return;
            }

            var s = _state;
            var now = time.GetUtcNow();
            var (added, removed) = await banks.ChangesAsync(s.MaxId, s.CheckedAt - TimeSpan.FromSeconds(5), ct);
            lock (s)
            {
                foreach (var e in added)
                {
                    Apply(s, e);
                }

                foreach (var id in removed)
                {
                    Remove(s, id);
                }

                s.CheckedAt = now;
                if (s.Index.Pending > 100_000)
                {
                    s.Index.Compact();
                }
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<State> CurrentAsync(CancellationToken ct)
    {
        if (_state is not { } s || time.GetUtcNow() - s.CheckedAt >= RefreshInterval)
        {
            await RefreshAsync(ct);
        }

        return _state!;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (all, _) = await banks.ChangesAsync(0, now, ct);
        var pdq = all.Where(e => e.Type == "pdq").ToList();
        var s = new State
        {
            Exact = [],
            Pdq = pdq.ToDictionary(e => e.Id),
            Index = new LivePdqIndex([.. pdq.Select(e => (e.Id, PdqHash.Parse(e.Value)))]),
            CheckedAt = now,
        };
        foreach (var e in all.Where(e => e.Type != "pdq"))
        {
            AddExact(s, e);
        }

        s.MaxId = all.Count == 0 ? 0 : all.Max(e => e.Id);
        _state = s;
    }

    private static void Apply(State s, HashEntry e)
    {
        if (e.Type == "pdq")
        {
            s.Pdq[e.Id] = e;
            s.Index.Add(e.Id, PdqHash.Parse(e.Value));
        }
        else
        {
            AddExact(s, e);
        }

        s.MaxId = Math.Max(s.MaxId, e.Id);
    }

    private static void AddExact(State s, HashEntry e)
    {
        if (!s.Exact.TryGetValue((e.Type, e.Value), out var list))
        {
            s.Exact[(e.Type, e.Value)] = list = [];
        }

        list.Add(e);
    }

    private static void Remove(State s, long id)
    {
        if (s.Pdq.Remove(id))
        {
            s.Index.Remove(id);
            return;
        }

        foreach (var list in s.Exact.Values)
        {
            list.RemoveAll(e => e.Id == id);
        }
    }
}
