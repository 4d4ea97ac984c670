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
        var a = await OutboundHttp.SendAsync(client, pipeline, build, timeout, time, ct);
        var kind = a.Succeeded ? SmsSendKind.Accepted : a.Refused ? SmsSendKind.Refused : SmsSendKind.Retry;
        return new Answer(kind, a.Attempts, a.Status, a.Body, a.RetryAfter, a.Error);
    }

    public static bool IsRetryable(HttpStatusCode status) => OutboundAnswer.IsRetryable(status);
}
