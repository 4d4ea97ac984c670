using System.Net;

namespace Hub.Functions.Media;

/// <summary>Turns a media host name into addresses for the connect-time check. The system's DNS in the app.</summary>
public interface IMediaHostResolver
{
    ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

/// <summary>The system resolver (an IP literal resolves to itself without a query).</summary>
public sealed class DnsMediaHostResolver : IMediaHostResolver
{
    public static DnsMediaHostResolver Instance { get; } = new();

    public async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => await Dns.GetHostAddressesAsync(host, ct);
}
