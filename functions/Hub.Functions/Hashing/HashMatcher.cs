using Hub.Core.Hashing;

namespace Hub.Functions.Hashing;

/// <summary>A bank entry a hash matched: which entry, its bank and classification, the hash type and (PDQ) the distance.</summary>
public sealed record HashMatch(long Entry, string Bank, string Classification, string Type, int Distance);

/// <summary>A hash to look up: its type, value and, for PDQ, its quality (below <see cref="HashMatcher.MinQuality"/> it is never matched).</summary>
public sealed record HashQuery(string Type, string Value, int? Quality = null);

/// <summary>
/// Looks hashes up in every enabled bank (docs/hash-bank.md#matching): exact types by dictionary, PDQ by Hamming
/// distance ≤ <see cref="MaxDistance"/> over a <see cref="LivePdqIndex"/>, only for hashes of quality ≥
/// <see cref="MinQuality"/>. The banks are read from PostgreSQL at start-up (<see cref="HashIndexStartup"/>; a lookup before that waits for
/// the load); afterwards each lookup older than
/// <see cref="RefreshInterval"/> first reads what was added or tombstoned since (so every instance follows the banks),
/// and additions made here are seen at once. Thread-safe; lookups never wait on the database once loaded.
/// </summary>
public sealed class HashMatcher(HashBanks banks, TimeProvider time) : IDisposable
{
    public const int MaxDistance = 31;
    public const int MinQuality = 50;

    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>Additions past this many since the last build are folded into the index (a rebuild: 1.2 s at 10 M, off the lookups' path).</summary>
    public const int MaxPending = 4096;

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private State? _state;

    /// <summary>
    /// What the matcher holds. A PDQ entry costs its place in the index (32 bytes of hash and 64 of chunk tables) and
    /// one dictionary slot naming its bank and classification by number (about 28 bytes): the banks' hex text is never
    /// kept. Bank and classification names are held once each.
    /// </summary>
    private sealed class State
    {
        public Dictionary<(string Type, string Value), List<(long Id, int Bank, int Class)>> Exact { get; } = [];

        /// <summary>Where each exact entry is in <see cref="Exact"/>, so a tombstone is one lookup, not a scan.</summary>
        public Dictionary<long, (string Type, string Value)> ExactById { get; } = [];

        public Dictionary<long, (int Bank, int Class)> Pdq { get; } = [];

        public Dictionary<string, int> LabelIds { get; } = new(StringComparer.Ordinal);

        public List<string> Labels { get; } = [];

        public LivePdqIndex Index { get; set; } = new([]);

        public long MaxId { get; set; }

        public DateTimeOffset CheckedAt { get; set; }

        public int Label(string text)
        {
            if (!LabelIds.TryGetValue(text, out var id))
            {
                LabelIds[text] = id = Labels.Count;
                Labels.Add(text);
            }

            return id;
        }
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Live PDQ entries in the index (for the metrics and <c>hashes stats</c>).</summary>
    public int PdqCount => _state?.Index.Count ?? 0;

    /// <summary>Every match of any of <paramref name="queries"/>, each entry once, closest first.</summary>
    public async Task<IReadOnlyList<HashMatch>> MatchAsync(IEnumerable<HashQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var each = await MatchEachAsync([.. queries], ct);
        return [.. each.SelectMany(m => m).DistinctBy(m => m.Entry).OrderBy(m => m.Distance).ThenBy(m => m.Entry)];
    }

    /// <summary>Each query's matches, closest first (a query that is not a hash, or a PDQ below the quality floor, matches nothing).</summary>
    public async Task<IReadOnlyList<IReadOnlyList<HashMatch>>> MatchEachAsync(IReadOnlyList<HashQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var s = await CurrentAsync(ct);
        var results = new IReadOnlyList<HashMatch>[queries.Count];
        for (var i = 0; i < queries.Count; i++)
        {
            results[i] = Match(s, queries[i]);
        }

        return results;
    }

    private static List<HashMatch> Match(State s, HashQuery q)
    {
        var matches = new List<HashMatch>();
        var (value, why) = HashBanks.Normalize(q.Type, q.Value);
        if (why is not null)
        {
            return matches;
        }

        if (q.Type == "pdq")
        {
            if ((q.Quality ?? 100) < MinQuality || !PdqHash.TryParse(value, out var hash))
            {
                return matches;
            }

            // The index is a snapshot (no lock to search it); the entries' details are read under the lock a refresh writes them under.
            var hits = s.Index.Search(hash, MaxDistance);
            lock (s)
            {
                foreach (var (id, distance) in hits)
                {
                    if (s.Pdq.TryGetValue(id, out var entry))
                    {
                        matches.Add(new HashMatch(id, s.Labels[entry.Bank], s.Labels[entry.Class], "pdq", distance));
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
                    matches.AddRange(entries.Select(e => new HashMatch(e.Id, s.Labels[e.Bank], s.Labels[e.Class], q.Type, 0)));
                }
            }
        }

        matches.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Entry.CompareTo(b.Entry));
        return matches;
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
            var added = new List<HashEntry>();
            var removed = new List<long>();
            await banks.ChangesAsync(s.MaxId, s.CheckedAt - TimeSpan.FromSeconds(5), added.Add, removed.Add, ct);
            lock (s)
            {
                var pdq = new List<(long, PdqHash)>();
                foreach (var e in added)
                {
                    Add(s, e, pdq);
                }

                var gone = new List<long>();
                foreach (var id in removed)
                {
                    if (s.Pdq.Remove(id))
                    {
                        gone.Add(id);
                    }
                    else
                    {
                        RemoveExact(s, id);
                    }
                }

                // One new snapshot for the whole refresh. Additions are searched one by one until folded into the
                // tables: a few thousand cost microseconds a lookup, a bank's worth would cost a millisecond each
                // (measured: docs/benchmarks.md#hash-api), so past MaxPending they are folded in at once.
                s.Index.Apply(pdq, gone, MaxPending);
                s.CheckedAt = now;
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
        var pdq = new List<(long, PdqHash)>();
        var s = new State { CheckedAt = now };
        await banks.ChangesAsync(0, now, e => Add(s, e, pdq), _ => { }, ct);
        s.Index = new LivePdqIndex([.. pdq]); // one build from all of them: no pending additions to search one by one
        _state = s;
    }

    /// <summary>An entry read from the banks: its labels kept, an exact hash in its dictionary, a PDQ hash onto <paramref name="pdq"/> for the index.</summary>
    private static void Add(State s, HashEntry e, List<(long, PdqHash)> pdq)
    {
        if (e.Type == "pdq")
        {
            s.Pdq[e.Id] = (s.Label(e.Bank), s.Label(e.Classification));
            pdq.Add((e.Id, PdqHash.Parse(e.Value)));
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

        list.Add((e.Id, s.Label(e.Bank), s.Label(e.Classification)));
        s.ExactById[e.Id] = (e.Type, e.Value);
    }

    private static void RemoveExact(State s, long id)
    {
        if (s.ExactById.Remove(id, out var key) && s.Exact.TryGetValue(key, out var list))
        {
            list.RemoveAll(e => e.Id == id);
            if (list.Count == 0)
            {
                s.Exact.Remove(key);
            }
        }
    }
}
