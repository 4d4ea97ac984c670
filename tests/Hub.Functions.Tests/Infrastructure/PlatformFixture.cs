using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hub.Core.Signatures;
using Hub.Simulators;
using Hub.Functions.Platform;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The hub with three platforms: <c>tt</c> (primary and secondary secret, takedown callback on the loopback
/// <see cref="PlatformSimulator"/>), <c>other</c> (to prove one platform cannot see another's reports) and
/// <c>slow</c> (1 report a minute, for the rate limit), and the hub's ES256 key <c>t1</c>.
/// </summary>
public class PlatformFixture : HubFixture
{
    public PlatformSimulator Platform { get; private set; } = null!;

    /// <summary>Refuses (503) sends to the reports queue of a message containing an armed marker; idle unless armed.</summary>
    public QueueSendFaults QueueFaults { get; } = new("reports");

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton(new Hub.Functions.Storage.StoragePipelinePolicy(QueueFaults));

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Hub:Processor:MaxDequeueCount"] = "3",
        ["Hub:Platforms:tt:Secret"] = TestSecrets.PlatformSecret,
        ["Hub:Platforms:tt:SecondarySecret"] = TestSecrets.PlatformSecondarySecret,
        ["Hub:Platforms:tt:CallbackUrl"] = Platform.CallbackUrl,
        ["Hub:Platforms:tt:RatePerMinute"] = "100000",
        ["Hub:Platforms:other:Secret"] = TestSecrets.OtherPlatformSecret,
        ["Hub:Platforms:other:CallbackUrl"] = Platform.CallbackUrl,
        ["Hub:Platforms:slow:Secret"] = TestSecrets.OtherPlatformSecret,
        ["Hub:Platforms:slow:RatePerMinute"] = "1",
        ["Hub:Platforms:slow:HashesPerMinute"] = "1",
        ["Hub:Signing:Keys:t1"] = TestSecrets.SigningKeyPem,
        ["Hub:Signing:ActiveKeyId"] = "t1",
        ["Hub:PlatformApi:CallbackRetries"] = "3",
        ["Hub:PlatformApi:CallbackRetryBaseDelay"] = "00:00:00.010",
        ["Hub:PlatformApi:CallbackTimeout"] = "00:00:03",
        ["Hub:PlatformApi:RegistryCacheTime"] = "00:00:00",
    };

    public override async Task InitializeAsync()
    {
        Platform = await PlatformSimulator.StartAsync();
        await base.InitializeAsync();
        Platform.Trust((await Client.GetFromJsonAsync("/api/platform/v1/signing-keys", JwkJsonContext.Default.JwkSet))!);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Platform.DisposeAsync();
    }

    public static long Now => TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>A signed platform request; every part can be spoiled for the negative cases.</summary>
    public static HttpRequestMessage Call(
        HttpMethod method,
        string path,
        string body = "",
        string? platform = "tt",
        string secret = TestSecrets.PlatformSecret,
        long? timestamp = null,
        string? signature = null,
        string contentType = "application/json",
        bool omitSignature = false)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var ts = (timestamp ?? Now).ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(method, "/api/platform/v1" + path);
        if (method != HttpMethod.Get)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        if (platform is not null)
        {
            request.Headers.Add(PlatformApi.PlatformHeader, platform);
        }

        request.Headers.Add(HubSignature.TimestampHeader, ts);
        if (!omitSignature)
        {
            request.Headers.Add(HubSignature.SignatureHeader, signature ?? HubSignature.Compute(secret, ts, bytes));
        }

        return request;
    }

    /// <summary>The published example report with a fresh platformReportId (and optional edits).</summary>
    public static string Example(string? id = null, Action<JsonNode>? edit = null)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "examples", "platform-report.v1.json")))!;
        node["platformReportId"] = id ?? NewId();
        edit?.Invoke(node);
        return node.ToJsonString();
    }

    public static string Minimal(string? id = null, string type = "cyberbullying") =>
        $$$"""{"platformReportId":"{{{id ?? NewId()}}}","incident":{"type":"{{{type}}}"}}""";

    public static string NewId() => "tt-" + Guid.NewGuid().ToString("N");
}
