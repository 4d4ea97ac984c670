namespace Hub.Functions.Channels.SmsOutbound;

/// <summary>One reply to send: the hub's id (idempotency key), where from and to, the text, and where receipts go.</summary>
public sealed record SmsOutgoing(string ReplyId, string Instance, ChannelOptions Options, string To, string? From, string Text, string StatusUrl);

public enum SmsSendKind
{
    /// <summary>The provider took the message (2xx).</summary>
    Accepted,

    /// <summary>It could not get through now (transport, 408, 429, 5xx): try again later.</summary>
    Retry,

    /// <summary>The provider refused it (another 4xx): sending the same again cannot help.</summary>
    Refused,
}

/// <summary>
/// What a send came to, after its in-call retries. <see cref="Error"/> names the cause without content: an HTTP
/// status or a provider's error code, never a provider's message text (which can quote the number).
/// </summary>
public sealed record SmsSendResult(SmsSendKind Kind, int Attempts, string? ProviderMessageId, string? Error, TimeSpan? RetryAfter);

/// <summary>One SMS provider's send API: the hub's gateway contract (<c>sms-gateway</c>) or Twilio's Messages API (<c>twilio-sms</c>).</summary>
public interface ISmsSender
{
    string ChannelType { get; }

    /// <summary>Why this instance cannot send replies (a setting missing), or null when it can.</summary>
    string? CannotSend(ChannelOptions options);

    /// <summary>Where the provider posts delivery receipts for <paramref name="replyId"/>.</summary>
    string StatusUrl(string publicBaseUrl, string instance, string replyId);

    Task<SmsSendResult> SendAsync(SmsOutgoing message, CancellationToken ct);
}
