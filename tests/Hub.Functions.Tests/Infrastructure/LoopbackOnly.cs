using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Hub.Functions.Tests.Infrastructure;
using Xunit.Sdk;

[assembly: LoopbackOnly]

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// Fails the test during which anything in this process opened a TCP connection to an address beyond loopback, or
/// looked up a host name other than <c>localhost</c> (courier's rule: network calls that leave the test host fail the
/// test). It listens to the runtime's own socket and name-resolution events, so it sees every client: the Azure SDK,
/// HttpClient, raw sockets. Providers' remote APIs are simulators on loopback; nothing here may reach further.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class LoopbackOnlyAttribute : BeforeAfterTestAttribute
{
    public override void After(MethodInfo methodUnderTest)
    {
        if (NetworkGuard.TakeViolations() is { Count: > 0 } violations)
        {
            throw new InvalidOperationException(
                $"A test left the machine (only loopback is allowed): {string.Join("; ", violations.Distinct())}. " +
                "Point the code at a simulator on 127.0.0.1, or use an address the refusal logic rejects before connecting.");
        }
    }

    public override void Before(MethodInfo methodUnderTest) => NetworkGuard.EnsureListening();
}

/// <summary>The runtime's <c>System.Net.Sockets</c> and <c>System.Net.NameResolution</c> events, classified.</summary>
public static class NetworkGuard
{
    private static readonly ConcurrentQueue<string> Violations = new();
    private static readonly Lock Gate = new();
    private static Listener? _listener;
    private static long _connects;

    /// <summary>Socket connects seen so far (any address): proof the guard is listening.</summary>
    public static long Connects => Interlocked.Read(ref _connects);

    public static void EnsureListening()
    {
        lock (Gate)
        {
            _listener ??= new Listener();
        }
    }

    public static IReadOnlyList<string> TakeViolations()
    {
        var taken = new List<string>();
        while (Violations.TryDequeue(out var v))
        {
            taken.Add(v);
        }

        return taken;
    }

    /// <summary>
    /// The target of a socket connect as the runtime reports it (<see cref="SocketAddress.ToString"/>:
    /// <c>InterNetwork:16:{1,187,127,0,0,1,…}</c>: the bytes after the family), or null when it is not an IP address (a Unix socket is local).
    /// </summary>
    public static IPAddress? AddressOf(string? socketAddress)
    {
        if (socketAddress is null)
        {
            return null;
        }

        var open = socketAddress.IndexOf('{', StringComparison.Ordinal);
        var close = socketAddress.IndexOf('}', StringComparison.Ordinal);
        if (open < 0 || close < open)
        {
            return null;
        }

        var family = socketAddress[..socketAddress.IndexOf(':', StringComparison.Ordinal)];
        var bytes = socketAddress[(open + 1)..close].Split(',').Select(b => byte.Parse(b.Trim(), CultureInfo.InvariantCulture)).ToArray();
        return family switch
        {
            // The bytes after the family: port (2), then the IPv4 address; or port (2), flow info (4), the IPv6 address.
            nameof(AddressFamily.InterNetwork) when bytes.Length >= 6 => new IPAddress(bytes.AsSpan(2, 4)),
            nameof(AddressFamily.InterNetworkV6) when bytes.Length >= 22 => new IPAddress(bytes.AsSpan(6, 16)),
            _ => null,
        };
    }

    public static bool IsAllowed(IPAddress address) =>
        IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()));

    public static bool IsAllowedHostName(string? host) =>
        host is null or "" or "localhost" || IPAddress.TryParse(host, out _);

    private sealed class Listener : EventListener
    {
        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name is "System.Net.Sockets" or "System.Net.NameResolution")
            {
                EnableEvents(eventSource, EventLevel.Informational, EventKeywords.All);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            var first = e.Payload is { Count: > 0 } p ? p[0] as string : null;
            if (e.EventName == "ConnectStart")
            {
                Interlocked.Increment(ref _connects);
            }

            switch (e.EventName)
            {
                case "ConnectStart" when AddressOf(first) is { } address && !IsAllowed(address):
                    Violations.Enqueue($"a TCP connection to {address}");
                    break;
                case "ResolutionStart" when !IsAllowedHostName(first):
                    Violations.Enqueue($"a DNS lookup of '{first}'");
                    break;
            }
        }
    }
}
