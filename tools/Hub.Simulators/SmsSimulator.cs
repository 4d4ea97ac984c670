using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hub.Simulators;

/// <summary>A send request as the simulated SMS provider received it: headers and the raw body.</summary>
public sealed record SimulatedSms(string Provider, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, IReadOnlyDictionary<string, string> Form)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A loopback stand-in for the SMS providers' send APIs: a Vietnamese gateway's send ("MT") endpoint under the hub's
/// contract (<c>POST /gateway/send</c>, docs/sms-gateway.md#replies) and Twilio's Messages API
/// (<c>POST /2010-04-01/Accounts/{sid}/Messages.json</c>, 201 with a Message resource). It records every request and
/// can be told to fail the next ones (429 with Retry-After, 5xx, 4xx) so the retry paths can be exercised.
/// </summary>
public sealed class SmsSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<SimulatedSms> _received = new();
    private readonly ConcurrentQueue<(int Status, string Body, int? RetryAfter)> _faults = new();

    private SmsSimulator(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public string GatewaySendUrl => BaseUrl.TrimEnd('/') + "/gateway/send";

    public IReadOnlyCollection<SimulatedSms> Received => _received;

    public static async Task<SmsSimulator> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sim = new SmsSimulator(app);
        app.MapPost("/gateway/send", (Func<HttpContext, Task<IResult>>)(http => sim.ReceiveAsync(http, "gateway")));
        app.MapPost("/2010-04-01/Accounts/{sid}/Messages.json", (Func<HttpContext, Task<IResult>>)(http => sim.ReceiveAsync(http, "twilio")));
        await app.StartAsync();
        sim.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return sim;
    }

    /// <summary>Makes the next send answer <paramref name="status"/> (with <paramref name="retryAfterSeconds"/> as Retry-After).</summary>
    public void FailNext(int status, string body = "{}", int? retryAfterSeconds = null) => _faults.Enqueue((status, body, retryAfterSeconds));

    /// <summary>Waits (bounded, monotonic clock) until at least <paramref name="count"/> requests arrived.</summary>
    public async Task<IReadOnlyList<SimulatedSms>> WaitForAsync(int count, TimeSpan timeout)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (_received.Count < count && System.Diagnostics.Stopwatch.GetElapsedTime(started) < timeout)
        {
            await Task.Delay(25);
        }

        return [.. _received];
    }

    /// <summary>The first received send that <paramref name="match"/> accepts (null if none within <paramref name="timeout"/>): a count could be met by another test's late retry.</summary>
    public async Task<SimulatedSms?> WaitForAsync(Func<SimulatedSms, bool> match, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(match);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (_received.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(25);
        }

        return _received.FirstOrDefault(match);
    }

    /// <summary>The Message SID the simulated Twilio gives a send with this idempotency token (so a test can address its status callback).</summary>
    public static string TwilioSid(string idempotencyToken) => "SM" + (idempotencyToken.Length > 0 ? idempotencyToken : Guid.NewGuid().ToString("N"));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpContext http, string provider)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        if (http.Request.HasFormContentType)
        {
            foreach (var pair in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(System.Text.Encoding.UTF8.GetString(body)))
            {
                form[pair.Key] = pair.Value.ToString();
            }
        }

        _received.Enqueue(new SimulatedSms(provider, http.Request.Path, http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body, form));
        if (_faults.TryDequeue(out var f))
        {
            if (f.RetryAfter is { } ra)
            {
                http.Response.Headers.RetryAfter = ra.ToString(CultureInfo.InvariantCulture);
            }

            return Results.Text(f.Body, "application/json", statusCode: f.Status);
        }

        return provider == "twilio"
            ? Results.Text($$"""{"sid":"{{TwilioSid(http.Request.Headers["I-Twilio-Idempotency-Token"].ToString())}}","status":"queued","num_segments":"1"}""", "application/json", statusCode: 201)
            : Results.Json(new Dictionary<string, string> { ["gatewayMessageId"] = "gw-" + Guid.NewGuid().ToString("N")[..12] });
    }
}
