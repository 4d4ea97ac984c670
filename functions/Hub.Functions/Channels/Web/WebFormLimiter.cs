using System.Net;
using System.Threading.RateLimiting;
using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.Web;

/// <summary>
/// Per-client limits for the public form: reports sent and status lookups, each in a fixed window, keyed by a keyed
/// pseudonym of the client's address. The address itself is never stored, not even in memory: only its pseudonym is.
/// Each app instance counts on its own (the limit is a brake on one noisy client, not an accounting).
/// </summary>
public sealed class WebFormLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _submits;
    private readonly PartitionedRateLimiter<string> _lookups;
    private readonly PrivacyServices _privacy;
    private readonly bool _behindFunctionsHost;

    public WebFormLimiter(IOptions<WebFormOptions> options, PrivacyServices privacy, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _privacy = privacy;
        _behindFunctionsHost = HubApp.IsCustomHandler(configuration);
        _submits = Window(o.SubmitsPerWindow, o.SubmitWindow);
        _lookups = Window(o.StatusLookupsPerWindow, o.StatusWindow);
    }

    public bool TrySubmit(HttpContext context) => Acquire(_submits, context);

    public bool TryLookup(HttpContext context) => Acquire(_lookups, context);

    public void Dispose()
    {
        _submits.Dispose();
        _lookups.Dispose();
    }

    /// <summary>The client's pseudonym. Behind the Functions host the connection is the host's own, so the address is the one it forwards.</summary>
    internal string ClientKey(HttpContext context)
    {
        IPAddress? address = context.Connection.RemoteIpAddress;
        if (_behindFunctionsHost && context.Request.Headers["X-Forwarded-For"].ToString().Split(',')[0].Trim() is { Length: > 0 } forwarded
            && IPAddress.TryParse(forwarded, out var parsed))
        {
            address = parsed;
        }

        var text = address is null ? "unknown" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        return _privacy.Pseudonymizer.For("client-address", text);
    }

    private bool Acquire(PartitionedRateLimiter<string> limiter, HttpContext context)
    {
        using var lease = limiter.AttemptAcquire(ClientKey(context));
        return lease.IsAcquired;
    }

    private static PartitionedRateLimiter<string> Window(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}
