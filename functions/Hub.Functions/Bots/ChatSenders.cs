using System.Net;
using Hub.Bots.Dialog;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Polly;
using Polly.Retry;

namespace Hub.Functions.Bots;

/// <summary>Who a reply goes to: the channel instance, its options and the provider user id.</summary>
public sealed record ChatRecipient(string Instance, ChannelOptions Options, string UserId);

/// <summary>One chat provider's outbound API (Messenger Send API, Zalo customer-service messages).</summary>
public interface IChatSender
{
    string ChannelType { get; }

    /// <summary>How long after the user's last message the provider still accepts a reply.</summary>
    TimeSpan ReplyWindow { get; }

    Task SendAsync(ChatRecipient recipient, BotReply reply, CancellationToken ct);
}

/// <summary>An outbound send that failed for good (after retries, or refused by the provider): the turn fails visibly.</summary>
public sealed class ChatSendException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The Polly pipeline every outbound chat call goes through: 429/5xx/transport errors retried with jittered backoff, Retry-After honoured.</summary>
public static class ChatPipelines
{
    public static ResiliencePipeline<HttpResponseMessage> Create(BotOptions o, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(o);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (o.SendRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = o.SendRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.SendRetryBaseDelay,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>()
                    .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result?.Headers.RetryAfter is { } ra
                        ? (ra.Delta ?? (ra.Date is { } date ? date - time.GetUtcNow() : null)) is { } d && d > TimeSpan.Zero ? Min(d, TimeSpan.FromSeconds(60)) : TimeSpan.Zero
                        : (TimeSpan?)null),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
