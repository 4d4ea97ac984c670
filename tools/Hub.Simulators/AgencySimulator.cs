using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Hub.Core.Platform;
using Hub.Core.Signatures;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hub.Simulators;

/// <summary>A referral webhook as the simulated agency's system received it (the body as JSON), and its headers.</summary>
public sealed record ReceivedReferral(JsonElement Body, string RawBody, string KeyId, string ReferralId, string Event, string DeliveryId, string Timestamp, string Signature);

/// <summary>
/// A loopback stand-in for an agency's own case system (<c>POST /referrals</c>), for <c>demo referral</c> and the
/// tests. It does what the hub's documentation asks of an agency: verifies the ES256 signature against the hub's
/// published keys and the timestamp's window (401 otherwise), refuses a replayed signature (409), treats a second
/// delivery of the same <c>X-Hub-Delivery-Id</c> as done (200, recorded once), and can be told to fail the next calls.
/// An optional <see cref="OnReceived"/> answers the referral (e.g. acknowledges it through the hub's API).
/// </summary>
public sealed class AgencySimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedReferral> _received = new();
    private readonly ConcurrentQueue<(int Status, int? RetryAfter)> _faults = new();
    private readonly ConcurrentDictionary<string, bool> _signatures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _deliveries = new(StringComparer.Ordinal);
    private int _calls;
    private int _refused;

    private AgencySimulator(WebApplication app) => _app = app;

    public string WebhookUrl { get; private set; } = string.Empty;

    public ConcurrentDictionary<string, Jwk> HubKeys { get; } = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ReceivedReferral> Received => _received;

    /// <summary>Every call, including refused and failed ones.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Calls refused for a bad, missing, stale or replayed signature.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Called after a verified, first delivery is recorded (before the 200 is answered).</summary>
    public Func<ReceivedReferral, Task>? OnReceived { get; set; }

    public void FailNext(int status, int times = 1, int? retryAfterSeconds = null)
    {
        for (var i = 0; i < times; i++)
        {
            _faults.Enqueue((status, retryAfterSeconds));
        }
    }

    public void ClearFaults() => _faults.Clear();

    public static async Task<AgencySimulator> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sim = new AgencySimulator(app);
        app.MapPost("/referrals", (Func<HttpContext, Task<IResult>>)sim.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sim.WebhookUrl = address.TrimEnd('/') + "/referrals";
        return sim;
    }

    public void Trust(JwkSet keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var k in keys.Keys)
        {
            HubKeys[k.Kid] = k;
        }
    }

    private async Task<IResult> ReceiveAsync(HttpContext http)
    {
        Interlocked.Increment(ref _calls);
        if (HubSignedRequest.Fault(http, _faults) is { } failed)
        {
            return failed;
        }

        var (body, kid, timestamp, signature, valid) = await HubSignedRequest.ReadAsync(http, HubKeys);
        if (!valid)
        {
            Interlocked.Increment(ref _refused);
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        if (!_signatures.TryAdd(signature, true))
        {
            Interlocked.Increment(ref _refused);
            return Results.StatusCode(StatusCodes.Status409Conflict); // the very same signed request again: a replay
        }

        var delivery = http.Request.Headers["X-Hub-Delivery-Id"].ToString();
        if (!_deliveries.TryAdd(delivery, true))
        {
            return Results.Ok(); // the hub tried again after a lost answer: already recorded
        }

        using var doc = JsonDocument.Parse(body);
        var received = new ReceivedReferral(doc.RootElement.Clone(), System.Text.Encoding.UTF8.GetString(body), kid, http.Request.Headers["X-Hub-Referral-Id"].ToString(), http.Request.Headers["X-Hub-Event"].ToString(), delivery, timestamp, signature);
        _received.Enqueue(received);
        if (OnReceived is { } answer)
        {
            await answer(received);
        }

        return Results.Ok();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
