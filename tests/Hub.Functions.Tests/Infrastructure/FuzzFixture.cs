using System.Net;
using System.Net.Sockets;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The hub with every channel type and the platform API, media fetching allowed by host name to loopback,
/// private and metadata addresses (so only the connect-time address check stands between a hostile URL and
/// the network), and a canary: a listener on loopback that counts every connection the hub makes to it.
/// </summary>
public sealed class FuzzFixture : ChatFixture, IDisposable
{
    private Socket? _canary;
    private int _connections;
    private Task? _accepting;

    public int CanaryPort { get; private set; }

    public int CanaryConnections => Volatile.Read(ref _connections);

    /// <summary>Hosts a hostile URL can name; all are allowed by name, none may be connected to.</summary>
    public static readonly string[] ForbiddenHosts =
        ["127.0.0.1", "localhost", "[::1]", "::1", "169.254.169.254", "10.0.0.1", "192.168.0.1", "172.16.0.1", "0.0.0.0", "100.64.0.1", "[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "metadata.google.internal"];

    public IEnumerable<string> ForbiddenUrls =>
    [
        $"http://127.0.0.1:{CanaryPort}/media/1.jpg",
        $"http://localhost:{CanaryPort}/media/1.jpg",
        $"http://[::1]:{CanaryPort}/media/1.jpg",
        $"http://[::ffff:127.0.0.1]:{CanaryPort}/x",
        $"http://0.0.0.0:{CanaryPort}/x",
        $"http://2130706433:{CanaryPort}/x",
        $"http://127.1:{CanaryPort}/x",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://10.0.0.1/admin",
        "http://192.168.0.1/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        $"https://127.0.0.1:{CanaryPort}/x",
        $"file:///etc/passwd",
        $"gopher://127.0.0.1:{CanaryPort}/_x",
        $"ftp://127.0.0.1:{CanaryPort}/x",
        $"http://user:pass@127.0.0.1:{CanaryPort}/x",
        $"http://127.0.0.1:{CanaryPort}@evil.example/x",
        "//127.0.0.1/x",
        "http://[fe80::1]/x",
        "http://[fd00::1]/x",
    ];

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var s = base.ExtraSettings;
            s["Hub:Processor:MaxDequeueCount"] = "2";
            s["Hub:Processor:Enabled"] = "false"; // the endpoints are under test; background turns are driven by hand where needed
            s["Hub:Bots:SendRetries"] = "0";
            s["Hub:Channels:fz-sms:Type"] = "twilio-sms";
            s["Hub:Channels:fz-sms:AccountSid"] = TestSecrets.TwilioAccountSid;
            s["Hub:Channels:fz-sms:AuthToken"] = TestSecrets.TwilioAuthToken;
            s["Hub:Channels:fz-111:Type"] = "twilio-voice";
            s["Hub:Channels:fz-111:AccountSid"] = TestSecrets.TwilioAccountSid;
            s["Hub:Channels:fz-111:AuthToken"] = TestSecrets.TwilioAuthToken;
            s["Hub:Channels:fz-111:Voice:DeleteRecordingAfterCopy"] = "false";
            s["Hub:Channels:fb:AllowPrivateMediaHosts"] = "false";
            s["Hub:Channels:zl:AllowPrivateMediaHosts"] = "false";
            s["Hub:Platforms:tt:Secret"] = TestSecrets.PlatformSecret;
            s["Hub:Platforms:tt:RatePerMinute"] = "1000000";
            s["Hub:WebForm:SubmitsPerWindow"] = "100000"; // the web form's per-client limit would otherwise answer most cases 429
            s["Hub:WebForm:StatusLookupsPerWindow"] = "100000";
            foreach (var channel in new[] { "fz-sms", "fz-111", "fb", "zl" })
            {
                for (var i = 0; i < ForbiddenHosts.Length; i++)
                {
                    s[$"Hub:Channels:{channel}:MediaHosts:{i + 1}"] = ForbiddenHosts[i];
                }
            }

            return s;
        }
    }

    public override async Task InitializeAsync()
    {
        _canary = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        _canary.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        _canary.Listen(64);
        CanaryPort = ((IPEndPoint)_canary.LocalEndPoint!).Port;
        _accepting = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    using var connection = await _canary.AcceptAsync();
                    Interlocked.Increment(ref _connections);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
        await base.InitializeAsync();
    }

    public void Dispose() => _canary?.Dispose();

    public override async Task DisposeAsync()
    {
        _canary?.Dispose();
        if (_accepting is not null)
        {
            await _accepting;
        }

        await base.DisposeAsync();
    }
}
