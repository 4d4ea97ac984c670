using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Hub.Core.Envelope;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Hub.Functions.Media;

public sealed record FetchedMedia(byte[] Content, string? ContentType);

/// <summary>A fetch that was refused or failed; recorded on the evidence entry, never silently dropped.</summary>
public sealed class MediaFetchException(string message) : Exception(message);

/// <summary>The connect-time check refused every address of a host: final, never retried.</summary>
public sealed class ForbiddenAddressException(string message) : Exception(message);

/// <summary>
/// Outbound fetches of provider media (README "How a report flows": outbound fetches only to the channel's hosts): only to the hosts allowed for the channel,
/// only to public addresses (private, loopback, link-local and metadata addresses are refused at connect
/// time, after DNS, so a rebinding name cannot slip through), redirects followed by hand and re-checked,
/// credentials sent only to the first host, and a hard size cap that does not trust Content-Length.
/// Retries use a Polly pipeline: 429/5xx and transport errors, exponential backoff with jitter, Retry-After honoured.
/// </summary>
public sealed class MediaFetcher
{
    public const string HttpClientName = "media";

    /// <summary>Only for channel instances that explicitly allow private addresses (tests against loopback fakes).</summary>
    public const string PrivateHttpClientName = "media-private";
    private const int MaxRedirects = 3;
    private readonly IHttpClientFactory _clients;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public MediaFetcher(IHttpClientFactory clients, Polly.Registry.ResiliencePipelineProvider<string> pipelines)
    {
        ArgumentNullException.ThrowIfNull(pipelines);
        _clients = clients;
        _pipeline = pipelines.GetPipeline<HttpResponseMessage>(Hosting.Resilience.MediaFetch);
    }

    /// <summary>Builds the handler used for media: no automatic redirects, and a connect-time address check.</summary>
    public static SocketsHttpHandler CreateHandler(bool allowPrivateNetworks, IMediaHostResolver? resolver = null) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(3),
        ConnectCallback = async (context, ct) =>
        {
            // Resolved here, checked here, connected here: a name cannot resolve to a public address for the check and
            // a private one for the connection (DNS rebinding).
            var addresses = await (resolver ?? DnsMediaHostResolver.Instance).ResolveAsync(context.DnsEndPoint.Host, ct);
            var allowed = addresses.Where(a => allowPrivateNetworks || IsPublic(a)).ToArray();
            if (allowed.Length == 0)
            {
                throw new ForbiddenAddressException($"refused to connect to a non-public address for host '{context.DnsEndPoint.Host}'");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public async Task<FetchedMedia> FetchAsync(string url, MediaPolicy policy, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            throw new MediaFetchException("not an http(s) URL");
        }

        var client = _clients.CreateClient(policy.AllowPrivateNetworks ? PrivateHttpClientName : HttpClientName);
        var firstHost = uri.Host;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            if (!IsAllowedHost(uri.Host, policy.AllowedHosts))
            {
                throw new MediaFetchException($"host '{uri.Host}' is not allowed for this channel");
            }

            var current = uri;
            using var response = await SendAsync(client, current, string.Equals(current.Host, firstHost, StringComparison.OrdinalIgnoreCase) ? policy.Authorization : null, ct);

            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                uri = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new MediaFetchException($"provider answered {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentLength > policy.MaxBytes)
            {
                throw new MediaFetchException($"media larger than the {policy.MaxBytes}-byte cap");
            }

            return new FetchedMedia(await ReadCappedAsync(response.Content, policy.MaxBytes, ct), response.Content.Headers.ContentType?.MediaType);
        }

        throw new MediaFetchException("too many redirects");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpClient client, Uri url, AuthenticationHeaderValue? authorization, CancellationToken ct)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                async token =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, url);
                    request.Headers.Authorization = authorization;
                    return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
                },
                ct);
        }
        catch (HttpRequestException ex) when (ex.InnerException is ForbiddenAddressException refused)
        {
            throw new MediaFetchException(refused.Message);
        }
    }

    internal static bool IsAllowedHost(string host, IReadOnlyList<string> allowed)
    {
        foreach (var pattern in allowed)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal)
                ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase) && host.Length > pattern.Length - 1
                : string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Public unicast only: no loopback, RFC 1918, CGNAT, link-local (169.254/16, the cloud metadata range), ULA, multicast.</summary>
    internal static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0 || b[0] >= 224
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19)));
        }

        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal);
    }

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, long maxBytes, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new MediaFetchException($"media larger than the {maxBytes}-byte cap");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
