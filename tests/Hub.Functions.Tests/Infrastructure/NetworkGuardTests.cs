using System.Net;
using System.Net.Sockets;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>The guard's classifier, on the runtime's own formatting of socket addresses (nothing is connected to).</summary>
public sealed class NetworkGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("192.168.0.1", false)]
    [InlineData("203.0.113.9", false)]
    [InlineData("2001:db8::1", false)]
    public void AddressOf_TheRuntimesSocketAddressText_IsClassified(string ip, bool allowed)
    {
        var text = new IPEndPoint(IPAddress.Parse(ip), 443).Serialize().ToString();
        var address = NetworkGuard.AddressOf(text).ShouldNotBeNull(text);
        address.ShouldBe(IPAddress.Parse(ip));
        NetworkGuard.IsAllowed(address).ShouldBe(allowed);
    }

    [Fact]
    public void AddressOf_AUnixSocket_IsNotAnIpAddress() =>
        NetworkGuard.AddressOf(new UnixDomainSocketEndPoint("/tmp/x.sock").Serialize().ToString()).ShouldBeNull();

    [Theory]
    [InlineData("localhost", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("api.twilio.com", false)]
    [InlineData("hub.example.vn", false)]
    public void HostNames_OnlyLocalhostAndLiteralsMayBeResolved(string host, bool allowed) =>
        NetworkGuard.IsAllowedHostName(host).ShouldBe(allowed);

    [Fact]
    public async Task Listener_SeesALoopbackConnect_AndRaisesNothing()
    {
        NetworkGuard.EnsureListening();
        var before = NetworkGuard.Connects;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        client.Connected.ShouldBeTrue();
        NetworkGuard.Connects.ShouldBeGreaterThan(before, "the runtime's socket events reach the guard");
        NetworkGuard.TakeViolations().ShouldBeEmpty();
    }
}
