using System.Net;
using Polly;

namespace Hub.Functions.Hosting;

/// <summary>How one signed POST to another party ended: its final status (null: no answer), the attempts made and the last error in words.</summary>
public readonly record struct CallbackResult(HttpStatusCode? Status, int Attempts, string? LastError)
{
    public bool Delivered => Status is { } s && (int)s is >= 200 and < 300;

    /// <summary>The other party answered and refused (e.g. 400, 401, 404): the same request again cannot help.</summary>
    public bool Refused => Status is { } s && !Delivered && !Platform.Takedowns.IsRetryable(s);
}

/// <summary>
/// A signed POST to a platform's takedown callback or an agency's referral webhook, through its named pipeline
/// (<see cref="Resilience"/>): each attempt has its own timeout and a freshly signed request (a new timestamp), and
/// what went wrong is kept in words for the record the operators see. A transport failure after every retry is a
/// result (no status), not an exception; the caller decides whether the queue tries again.
/// </summary>
public static class SignedCallbacks
{
    public static async Task<CallbackResult> PostAsync(ResiliencePipeline<HttpResponseMessage> pipeline, HttpClient client, Func<HttpRequestMessage> request, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        var attempts = 0;
        string? lastError = null;
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
                        using var message = request();
                        var r = await client.SendAsync(message, cts.Token);
                        lastError = r.IsSuccessStatusCode ? null : $"HTTP {(int)r.StatusCode}";
                        return r;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                    {
                        lastError = ex is TaskCanceledException ? $"no answer within {timeout.TotalSeconds:F0} s" : $"{ex.GetType().Name} ({(ex as HttpRequestException)?.HttpRequestError})";
                        throw;
                    }
                },
                ct);
            return new CallbackResult(response.StatusCode, attempts, lastError);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new CallbackResult(null, attempts, lastError);
        }
    }
}
