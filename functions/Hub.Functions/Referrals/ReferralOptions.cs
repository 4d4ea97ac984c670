using Hub.Core.Cases;

namespace Hub.Functions.Referrals;

/// <summary>Referrals (<c>Hub:Cases:Referrals</c>): the acknowledgement clocks and where each agency's own system is told.</summary>
public sealed class ReferralOptions
{
    /// <summary>Acknowledgement due, by the case's urgency (15 minutes, 1 hour, 24 hours).</summary>
    public ReferralClockOptions Clock { get; set; } = new();

    /// <summary>
    /// Receiving teams whose own system is told of each referral by a signed webhook, by team id (e.g.
    /// <c>agency-a05</c>). A team without an entry works its referrals in the console only.
    /// </summary>
    public Dictionary<string, AgencyWebhook> Webhooks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long one webhook attempt may take.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries within one delivery (then the queue tries again, and after its attempts the poison queue keeps it for replay).</summary>
    public int WebhookRetries { get; set; } = 2;

    public TimeSpan WebhookRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Problems with these settings, for start-up validation.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var (team, hook) in Webhooks)
        {
            if (!Uri.TryCreate(hook?.Url, UriKind.Absolute, out var u) || !(u.Scheme == Uri.UriSchemeHttps || (u.Scheme == Uri.UriSchemeHttp && u.IsLoopback)))
            {
                yield return $"Hub:Cases:Referrals:Webhooks:{team}:Url must be an absolute https URL (http only to loopback).";
            }
        }

        if (Clock.AcknowledgeImmediate <= TimeSpan.Zero || Clock.AcknowledgeHigh <= TimeSpan.Zero || Clock.AcknowledgeOther <= TimeSpan.Zero)
        {
            yield return "Hub:Cases:Referrals:Clock: every acknowledgement time must be positive.";
        }

        if (WebhookRetries is < 0 or > 10 || WebhookTimeout <= TimeSpan.Zero)
        {
            yield return "Hub:Cases:Referrals: WebhookRetries is 0–10 and WebhookTimeout positive.";
        }
    }
}

/// <summary>An agency system's endpoint for referral webhooks.</summary>
public sealed class AgencyWebhook
{
    public string? Url { get; set; }
}
