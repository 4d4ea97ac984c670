using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hub.Simulators;

/// <summary>A message the bot sent, as the simulated provider received it.</summary>
public sealed record SimulatedReply(string Channel, string Recipient, string Text, IReadOnlyList<string> QuickReplies);

/// <summary>
/// A loopback stand-in for the chat providers' APIs, for the <c>demo messenger|zalo</c> commands and the
/// tests: Messenger's Send API (<c>/me/messages</c>), Zalo's CS message API (<c>/v3.0/oa/message/cs</c>) and
/// OAuth refresh (<c>/v4/oa/access_token</c>, refresh tokens single-use as Zalo's are), and <c>/cdn/{name}</c>
/// for attachments. It checks tokens as the providers do, records what it receives, and can be told to fail
/// the next calls (429 with Retry-After, 5xx, Zalo's -216) so retry paths can be exercised.
/// </summary>
public sealed class ProviderSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<SimulatedReply> _replies = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string Body, int? RetryAfter)>> _faults = new(StringComparer.Ordinal);
    private readonly Lock _tokenLock = new();
    private int _generation;

    private ProviderSimulator(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public string PageAccessToken { get; set; } = "demo-page-token";

    /// <summary>Demo mode: accept whatever tokens the hub holds (its store outlives one simulator run).</summary>
    public bool Lenient { get; set; }

    /// <summary>The Zalo access token the simulator currently honours.</summary>
    public string ZaloAccessToken { get; private set; } = "zalo-at-0";

    /// <summary>The one refresh token the simulator will accept next (single use).</summary>
    public string ZaloRefreshToken { get; private set; } = "zalo-rt-0";

    private int _refreshCalls;
    private int _sendCalls;

    public int RefreshCalls => Volatile.Read(ref _refreshCalls);

    public int SendCalls => Volatile.Read(ref _sendCalls);

    public IReadOnlyCollection<SimulatedReply> Replies => _replies;

    public ConcurrentDictionary<string, byte[]> CdnFiles { get; } = new(StringComparer.Ordinal);

    public static async Task<ProviderSimulator> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sim = new ProviderSimulator(app);
        app.MapPost("/me/messages", (Func<HttpContext, Task<IResult>>)sim.MessengerSendAsync);
        app.MapPost("/v3.0/oa/message/cs", (Func<HttpContext, Task<IResult>>)sim.ZaloSendAsync);
        app.MapPost("/v4/oa/access_token", (Func<HttpContext, Task<IResult>>)sim.ZaloRefreshAsync);
        app.MapGet("/cdn/{name}", (string name) => sim.CdnFiles.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, "image/png") : Results.NotFound());
        await app.StartAsync();
        sim.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return sim;
    }

    /// <summary>Makes the next call to <paramref name="path"/> answer <paramref name="status"/> with <paramref name="body"/>.</summary>
    public void FailNext(string path, int status, string body = "{}", int? retryAfterSeconds = null) =>
        _faults.GetOrAdd(path, _ => new()).Enqueue((status, body, retryAfterSeconds));

    /// <summary>Zalo invalidates the current access token (as on expiry): the next send gets -216.</summary>
    public void ExpireZaloAccessToken()
    {
        lock (_tokenLock)
        {
            ZaloAccessToken = "zalo-at-expired-" + Guid.NewGuid().ToString("N");
        }
    }

    public void ResetZaloTokens(string accessToken, string refreshToken)
    {
        lock (_tokenLock)
        {
            ZaloAccessToken = accessToken;
            ZaloRefreshToken = refreshToken;
        }
    }

    public IReadOnlyList<SimulatedReply> RepliesTo(string recipient) => _replies.Where(r => r.Recipient == recipient).ToList();

    /// <summary>Waits (bounded, monotonic clock) until <paramref name="recipient"/> has at least <paramref name="count"/> replies.</summary>
    public async Task<IReadOnlyList<SimulatedReply>> WaitForRepliesAsync(string recipient, int count, TimeSpan timeout)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < timeout)
        {
            var list = RepliesTo(recipient);
            if (list.Count >= count)
            {
                return list;
            }

            await Task.Delay(25);
        }

        return RepliesTo(recipient);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private bool TryFault(HttpContext http, string path, out IResult result)
    {
        if (_faults.TryGetValue(path, out var q) && q.TryDequeue(out var f))
        {
            if (f.RetryAfter is { } ra)
            {
                http.Response.Headers.RetryAfter = ra.ToString(CultureInfo.InvariantCulture);
            }

            result = Results.Text(f.Body, "application/json", statusCode: f.Status);
            return true;
        }

        result = Results.Empty;
        return false;
    }

    private async Task<IResult> MessengerSendAsync(HttpContext http)
    {
        Interlocked.Increment(ref _sendCalls);
        if (TryFault(http, "/me/messages", out var fault))
        {
            return fault;
        }

        if (!Lenient && http.Request.Query["access_token"] != PageAccessToken)
        {
            return Results.Text("""{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}""", "application/json", statusCode: 400);
        }

        using var doc = await JsonDocument.ParseAsync(http.Request.Body);
        var root = doc.RootElement;
        var quick = root.GetProperty("message").TryGetProperty("quick_replies", out var qr)
            ? qr.EnumerateArray().Select(x => x.GetProperty("title").GetString()!).ToList()
            : [];
        _replies.Enqueue(new SimulatedReply("messenger", root.GetProperty("recipient").GetProperty("id").GetString()!, root.GetProperty("message").GetProperty("text").GetString()!, quick));
        return Results.Json(new Dictionary<string, string> { ["recipient_id"] = root.GetProperty("recipient").GetProperty("id").GetString()!, ["message_id"] = "m_" + Guid.NewGuid().ToString("N") });
    }

    private async Task<IResult> ZaloSendAsync(HttpContext http)
    {
        Interlocked.Increment(ref _sendCalls);
        if (TryFault(http, "/v3.0/oa/message/cs", out var fault))
        {
            return fault;
        }

        string current;
        lock (_tokenLock)
        {
            current = ZaloAccessToken;
        }

        if (!Lenient && http.Request.Headers["access_token"] != current)
        {
            return Results.Text("""{"error":-216,"message":"Access token is invalid"}""", "application/json");
        }

        using var doc = await JsonDocument.ParseAsync(http.Request.Body);
        var root = doc.RootElement;
        _replies.Enqueue(new SimulatedReply("zalo", root.GetProperty("recipient").GetProperty("user_id").GetString()!, root.GetProperty("message").GetProperty("text").GetString()!, []));
        return Results.Text("""{"error":0,"message":"Success","data":{"message_id":"zm1"}}""", "application/json");
    }

    private async Task<IResult> ZaloRefreshAsync(HttpContext http)
    {
        Interlocked.Increment(ref _refreshCalls);
        if (TryFault(http, "/v4/oa/access_token", out var fault))
        {
            return fault;
        }

        var form = await http.Request.ReadFormAsync();
        if (string.IsNullOrEmpty(http.Request.Headers["secret_key"]) || form["grant_type"] != "refresh_token")
        {
            return Results.Text("""{"error":-14002,"error_name":"Invalid request"}""", "application/json", statusCode: (int)HttpStatusCode.BadRequest);
        }

        lock (_tokenLock)
        {
            if (!Lenient && form["refresh_token"] != ZaloRefreshToken)
            {
                return Results.Text("""{"error":-14014,"error_name":"Invalid refresh token"}""", "application/json");
            }

            _generation++;
            ZaloAccessToken = $"zalo-at-{_generation}";
            ZaloRefreshToken = $"zalo-rt-{_generation}"; // the old one is now useless: single use
            return Results.Text($$"""{"access_token":"{{ZaloAccessToken}}","refresh_token":"{{ZaloRefreshToken}}","expires_in":"90000"}""", "application/json");
        }
    }
}
