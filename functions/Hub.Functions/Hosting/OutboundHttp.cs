using System.Net;
using Polly;

namespace Hub.Functions.Hosting;

/// <summary>How one outbound call ended: its final status (null: no answer), the attempts made, the body, what Retry-After asked, and the last error in words.</summary>
public readonly record struct OutboundAnswer(HttpStatusCode? Status, int Attempts, string? Body, TimeSpan? RetryAfter, string? Error)
{
    public bool Succeeded => Status is { } s && (int)s is >= 200 and < 300;

    /// <summary>The other party answered and refused (e.g. 400, 401, 404): the same request again cannot help.</summary>
    public bool Refused => Status is { } s && !Succeeded && !IsRetryable(s);

    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;
}

/// <summary>
/// One outbound call through a named pipeline (<see cref="Resilience"/>) — an SMS send, a takedown request to a
/// platform, a referral webhook to an agency: each attempt has its own timeout and a freshly built (and signed) request,
/// and what went wrong is kept in words for the record operators see. A transport failure after every retry is an
/// answer with no status, not an exception; the caller decides whether its queue tries again.
/// </summary>
public static class OutboundHttp
{
    public static async Task<OutboundAnswer> SendAsync(HttpClient client, ResiliencePipeline<HttpResponseMessage> pipeline, Func<HttpRequestMessage> build, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(build);
        var attempts = 0;
        string? transport = null;
        try
        {
            using var response = await pipeline.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
                    cts.CancelAfter(timeout);
                    try
                    {
                        using var request = build();
                        var r = await client.SendAsync(request, cts.Token);
                        transport = null;
                        return r;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                    {
                        transport = ex is TaskCanceledException ? $"no answer within {timeout.TotalSeconds:F0} s" : $"connection failed ({(ex as HttpRequestException)?.HttpRequestError})";
                        throw;
                    }
                },
                ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            var status = response.StatusCode;
            var ok = (int)status is >= 200 and < 300;
            return new OutboundAnswer(status, attempts, body, Resilience.RetryAfter(response, time), ok ? null : $"HTTP {(int)status}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new OutboundAnswer(null, attempts, null, null, transport ?? ex.GetType().Name);
        }
    }
}
