namespace Hub.Functions.Channels.SmsOutbound;

/// <summary><c>Hub:Sms</c>: how SMS replies to reporters are sent and retried (docs/sms-gateway.md#replies).</summary>
public sealed class SmsOutboundOptions
{
    /// <summary>A reply's length limit, in SMS segments (Vietnamese with diacritics is UCS-2: 70 characters in one, 67 per part after).</summary>
    public int MaxReplySegments { get; set; } = 5;

    /// <summary>Retries inside one send (transport errors, 429, 5xx), each honouring Retry-After up to <see cref="MaxInCallRetryAfter"/>.</summary>
    public int SendRetries { get; set; } = 2;

    public TimeSpan SendRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A longer Retry-After ends the send; the reply is queued again for when the provider asked.</summary>
    public TimeSpan MaxInCallRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may wait for the provider's answer.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After a send that could not get through, the next is queued after this, doubling each time, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Requests to the provider in all before the reply is marked failed (the console then offers a call-back).</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>A reply not accepted by the provider within this is marked failed: late advice can mislead more than none.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How long a queued "send reply X" waits for the transaction that wrote X to commit before it is dropped as never written.</summary>
    public TimeSpan CommitGrace { get; set; } = TimeSpan.FromMinutes(2);
}
