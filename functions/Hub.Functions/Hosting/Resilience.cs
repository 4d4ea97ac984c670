using System.Net;
using Hub.Functions.Platform;
using Hub.Functions.Media;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Hub.Functions.Hosting;

/// <summary>
/// The hub's outbound calls go through named Polly pipelines registered once (<see cref="AddHubResilience"/>), each
/// with the injected <see cref="TimeProvider"/> (so tests drive their delays) and honouring <c>Retry-After</c> in both
/// of its forms (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date).
/// </summary>
public static class Resilience
{
    /// <summary>Replies to chat providers (Messenger Send API, Zalo customer-service messages).</summary>
    public const string ChatSend = "chat-send";

    /// <summary>Media and recordings fetched from providers' hosts.</summary>
    public const string MediaFetch = "media-fetch";

    /// <summary>Takedown requests to a platform's callback URL.</summary>
    public const string TakedownCallback = "takedown-callback";

    /// <summary>Referral webhooks to an agency's own system.</summary>
    public const string ReferralWebhook = "referral-webhook";

    /// <summary>SMS replies to reporters (a gateway's send endpoint, Twilio's Messages API).</summary>
    public const string SmsSend = "sms-send";

    /// <summary>How long a response asks to be left alone: delay-seconds or an HTTP-date (from <paramref name="time"/>'s now); null when it does not say.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (response?.Headers.RetryAfter is not { } ra)
        {
            return null;
        }

        var delay = ra.Delta ?? (ra.Date is { } date ? date - time.GetUtcNow() : null);
        return delay is { } d ? (d < TimeSpan.Zero ? TimeSpan.Zero : d) : null;
    }

    public static IServiceCollection AddHubResilience(this IServiceCollection services)
    {
        services.AddResiliencePipeline<string, HttpResponseMessage>(ChatSend, (builder, context) =>
        {
            var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
            var o = context.ServiceProvider.GetRequiredService<IOptions<HubOptions>>().Value.Bots;
            builder.TimeProvider = time;
            if (o.SendRetries == 0)
            {
                return; // an empty pipeline: one attempt
            }

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
                // A provider's own word wins, up to a minute (the turn is retried from the queue after that).
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, time) is { } d ? Min(d, TimeSpan.FromSeconds(60)) : (TimeSpan?)null),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        });

        services.AddResiliencePipeline<string, HttpResponseMessage>(MediaFetch, (builder, context) =>
        {
            var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
            builder.TimeProvider = time;
            builder
                .AddTimeout(TimeSpan.FromSeconds(10))
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(300),
                    ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                        .Handle<HttpRequestException>(e => e.InnerException is not ForbiddenAddressException) // a refusal is final
                        .Handle<TimeoutRejectedException>()
                        .HandleResult(r => r.StatusCode is HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500),
                    // Inside a webhook's deadline: a short Retry-After is honoured, a long one falls back to the backoff.
                    DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, time) is { } d && d < TimeSpan.FromSeconds(5) ? d : (TimeSpan?)null),
                    OnRetry = args =>
                    {
                        args.Outcome.Result?.Dispose();
                        return ValueTask.CompletedTask;
                    },
                })
                .AddTimeout(TimeSpan.FromSeconds(4));
        });

        services.AddResiliencePipeline<string, HttpResponseMessage>(TakedownCallback, (builder, context) =>
        {
            var o = context.ServiceProvider.GetRequiredService<IOptions<PlatformApiOptions>>().Value;
            AddCallbackRetry(builder, context.ServiceProvider.GetRequiredService<TimeProvider>(), o.CallbackRetries, o.CallbackRetryBaseDelay);
        });
        services.AddResiliencePipeline<string, HttpResponseMessage>(ReferralWebhook, (builder, context) =>
        {
            var o = context.ServiceProvider.GetRequiredService<IOptions<HubOptions>>().Value.Cases.Referrals;
            AddCallbackRetry(builder, context.ServiceProvider.GetRequiredService<TimeProvider>(), o.WebhookRetries, o.WebhookRetryBaseDelay);
        });
        services.AddResiliencePipeline<string, HttpResponseMessage>(SmsSend, (builder, context) =>
        {
            var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
            var o = context.ServiceProvider.GetRequiredService<IOptions<HubOptions>>().Value.Sms;
            builder.TimeProvider = time;
            if (o.SendRetries == 0)
            {
                return;
            }

            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = o.SendRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.SendRetryBaseDelay,
                MaxDelay = o.MaxInCallRetryAfter,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException } => true,
                    { Exception: TaskCanceledException } => !args.Context.CancellationToken.IsCancellationRequested, // the attempt's own timeout
                    // A provider that asks for longer than a send may wait is not retried here: the reply is queued again for then.
                    { Result: { } r } => Channels.SmsOutbound.SmsHttp.IsRetryable(r.StatusCode) && !(RetryAfter(r, time) > o.MaxInCallRetryAfter),
                    _ => false,
                }),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, time)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        });
        return services;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// The retry of a signed POST to another party's endpoint (a platform's takedown callback, an agency's referral
    /// webhook): exponential backoff with jitter up to a minute, <c>Retry-After</c> honoured (at most a minute), on a
    /// transport failure, the attempt's own timeout, 408, 429 or 5xx; nothing else is retried.
    /// </summary>
    private static void AddCallbackRetry(ResiliencePipelineBuilder<HttpResponseMessage> builder, TimeProvider time, int retries, TimeSpan baseDelay)
    {
        builder.TimeProvider = time;
        if (retries == 0)
        {
            return;
        }

        builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = retries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = baseDelay,
            MaxDelay = TimeSpan.FromSeconds(60),
            ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException } => true,
                { Exception: TaskCanceledException } => !args.Context.CancellationToken.IsCancellationRequested, // the attempt's own timeout
                { Result: { } r } => Takedowns.IsRetryable(r.StatusCode),
                _ => false,
            }),
            DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, time) is { } d ? Min(d, TimeSpan.FromSeconds(60)) : (TimeSpan?)null),
            OnRetry = args =>
            {
                args.Outcome.Result?.Dispose();
                return ValueTask.CompletedTask;
            },
        });
    }
}
