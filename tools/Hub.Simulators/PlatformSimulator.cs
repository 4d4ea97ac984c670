using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Hub.Core.Platform;
using Hub.Core.Signatures;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hub.Simulators;

/// <summary>A takedown request as the simulated platform received it, and whether its signature verified.</summary>
public sealed record ReceivedTakedown(TakedownRequest Request, string KeyId, bool SignatureValid, string TakedownIdHeader);

/// <summary>
/// A loopback stand-in for a platform's takedown endpoint (<c>POST /takedowns</c>), for <c>demo platform</c>
/// and the tests: it verifies the hub's ES256 signature against the hub's published keys exactly as a platform
/// would, records what arrived, and can be told to fail the next calls (503, 429 with Retry-After, 400).
/// </summary>
public sealed class PlatformSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedTakedown> _received = new();
    private readonly ConcurrentQueue<(int Status, int? RetryAfter)> _faults = new();
    private int _calls;

    private PlatformSimulator(WebApplication app) => _app = app;

    public string CallbackUrl { get; private set; } = string.Empty;

    /// <summary>The hub's public keys, by kid (what <c>GET /api/platform/v1/signing-keys</c> returned).</summary>
    public ConcurrentDictionary<string, Jwk> HubKeys { get; } = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ReceivedTakedown> Received => _received;

    public int Calls => Volatile.Read(ref _calls);

    public void FailNext(int status, int times = 1, int? retryAfterSeconds = null)
    {
        for (var i = 0; i < times; i++)
        {
            _faults.Enqueue((status, retryAfterSeconds));
        }
    }

    public static async Task<PlatformSimulator> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sim = new PlatformSimulator(app);
        app.MapPost("/takedowns", (Func<HttpContext, Task<IResult>>)sim.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sim.CallbackUrl = address.TrimEnd('/') + "/takedowns";
        return sim;
    }

    private async Task<IResult> ReceiveAsync(HttpContext http)
    {
        Interlocked.Increment(ref _calls);
        if (HubSignedRequest.Fault(http, _faults) is { } failed)
        {
            return failed;
        }

        var (body, kid, _, _, valid) = await HubSignedRequest.ReadAsync(http, HubKeys);
        if (!valid)
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized); // what a real platform must do
        }

        var request = JsonSerializer.Deserialize(body, PlatformJsonContext.Default.TakedownRequest)!;
        _received.Enqueue(new ReceivedTakedown(request, kid, valid, http.Request.Headers["X-Hub-Takedown-Id"].ToString()));
        return Results.Ok();
    }

    /// <summary>Loads the hub's keys from its JWK set.</summary>
    public void Trust(JwkSet keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var k in keys.Keys)
        {
            HubKeys[k.Kid] = k;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
