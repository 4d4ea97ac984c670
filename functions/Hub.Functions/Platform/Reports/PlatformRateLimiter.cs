using System.Collections.Concurrent;

namespace Hub.Functions.Platform;

/// <summary>
/// Per-platform token buckets counting reports (a batch takes one token per item). Refill is continuous at
/// <c>RatePerMinute / 60</c> per second; the bucket holds a minute's worth, and at least one full batch, so a
/// platform may burst. Limits are per app instance: with N instances a platform can reach N× its rate, which
/// is the point of the limit (protecting one instance), not a quota.
/// </summary>
public sealed class PlatformRateLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes <paramref name="permits"/> report tokens, or returns how long until they will be there.</summary>
    public bool TryAcquire(string platformId, int ratePerMinute, int permits, out TimeSpan retryAfter) =>
        TryAcquire(platformId, ratePerMinute, Core.Platform.PlatformBatch.MaxItems, permits, out retryAfter);

    /// <summary>Takes <paramref name="permits"/> tokens from the bucket <paramref name="key"/>, which holds at least <paramref name="burst"/>.</summary>
    public bool TryAcquire(string key, int ratePerMinute, int burst, int permits, out TimeSpan retryAfter)
    {
        var bucket = _buckets.AddOrUpdate(
            key,
            _ => new Bucket(ratePerMinute, burst, time.GetTimestamp()),
            (_, b) => b.Rate == ratePerMinute ? b : new Bucket(ratePerMinute, burst, time.GetTimestamp()));
        return bucket.TryTake(permits, time, out retryAfter);
    }

    private sealed class Bucket(int rate, int burst, long createdAt)
    {
        private readonly Lock _gate = new();
        private readonly double _capacity = Math.Max(rate, burst);
        private readonly double _perSecond = rate / 60.0;
        private double _tokens = Math.Max(rate, burst);
        private long _last = createdAt;

        public int Rate { get; } = rate;

        public bool TryTake(int permits, TimeProvider time, out TimeSpan retryAfter)
        {
            lock (_gate)
            {
                var now = time.GetTimestamp();
                _tokens = Math.Min(_capacity, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * _perSecond));
                _last = now;
                if (_tokens >= permits)
                {
                    _tokens -= permits;
                    retryAfter = TimeSpan.Zero;
                    return true;
                }

                retryAfter = TimeSpan.FromSeconds(Math.Ceiling((permits - _tokens) / _perSecond));
                return false;
            }
        }
    }
}
