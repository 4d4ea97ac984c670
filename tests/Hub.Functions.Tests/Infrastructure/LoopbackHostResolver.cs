using System.Net;
using System.Net.Sockets;
using Hub.Functions.Media;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The test hubs' name resolution for media hosts: no lookup leaves the machine (the <see cref="LoopbackOnlyAttribute"/>
/// guard would fail it). IP literals are themselves, <c>localhost</c> is loopback, the SSRF canaries' cloud metadata
/// name is the metadata address (so the refusal after resolution is exercised), any other name does not exist.
/// </summary>
public sealed class LoopbackHostResolver : IMediaHostResolver
{
    private static readonly Dictionary<string, IPAddress> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["localhost"] = IPAddress.Loopback,
        ["metadata.google.internal"] = IPAddress.Parse("169.254.169.254"),
    };

    public ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? ValueTask.FromResult<IPAddress[]>([literal])
        : Names.TryGetValue(host, out var known) ? ValueTask.FromResult<IPAddress[]>([known])
        : ValueTask.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
}
