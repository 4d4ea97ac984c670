using System.Net;
using Hub.Functions.Hosting;
using Polly;

namespace Hub.Functions.Channels.SmsOutbound;

/// <summary>
/// One send through the <see cref="Resilience.SmsSend"/> pipeline, shared by the senders: each attempt has its own
/// timeout and a fresh request (<paramref name="build"/>); the answer is classified the same way for every provider.
/// </summary>
internal static class SmsHttp
{
    public const string HttpClientName = "sms-send";

    internal sealed record Answer(SmsSendKind Kind, int Attempts, HttpStatusCode? Status, string? Body, TimeSpan? RetryAfter, string? Error);

    public static async Task<Answer> SendAsync(
        HttpClient client, ResiliencePipeline<HttpResponseMessage> pipeline, Func<HttpRequestMessage> build, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
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
            var kind = (int)status is >= 200 and < 300 ? SmsSendKind.Accepted : IsRetryable(status) ? SmsSendKind.Retry : SmsSendKind.Refused;
            return new Answer(kind, attempts, status, body, Resilience.RetryAfter(response, time), kind == SmsSendKind.Accepted ? null : $"HTTP {(int)status}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new Answer(SmsSendKind.Retry, attempts, null, null, null, transport ?? ex.GetType().Name);
        }
    }

    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;
}
