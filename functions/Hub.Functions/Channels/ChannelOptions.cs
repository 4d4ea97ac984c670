using Hub.Core.Taxonomy;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels;

/// <summary>
/// One configured channel instance, <c>Hub:Channels:{instance}</c>. Several instances of one type are normal
/// (one number per province). Each type reads the settings it needs and declares which are secrets,
/// so the log-redaction test knows what must never be printed.
/// </summary>
public sealed class ChannelOptions
{
    public string Type { get; set; } = string.Empty;

    /// <summary>Province code (34 units since 2025) the instance stands for, if any.</summary>
    public string? Province { get; set; }

    /// <summary>Overrides <c>Hub:PublicBaseUrl</c> + path when the provider is configured with another URL.</summary>
    public string? WebhookUrl { get; set; }

    // Twilio
    public string? AccountSid { get; set; }

    public string? AuthToken { get; set; }

    // Hub-signed contracts (SMS gateway)
    public string? Secret { get; set; }

    public string? SecondarySecret { get; set; }

    public string? Carrier { get; set; }

    // Media
    public List<string> MediaHosts { get; set; } = [];

    public long MaxMediaBytes { get; set; } = 10 * 1024 * 1024;

    public int MaxMediaCount { get; set; } = 10;

    /// <summary>Only for tests against loopback fakes: allow media fetches to private addresses.</summary>
    public bool AllowPrivateMediaHosts { get; set; }

    // Replies (Vietnamese defaults, each fits one UCS-2 SMS segment; {code} is the reference code).
    public string? ReplyText { get; set; }

    public string? UrgentReplyText { get; set; }

    public int MaxBodyBytes { get; set; } = 64 * 1024;

    public IEnumerable<string> Secrets()
    {
        foreach (var s in new[] { AuthToken, Secret, SecondarySecret })
        {
            if (!string.IsNullOrEmpty(s))
            {
                yield return s;
            }
        }
    }
}

/// <summary>The channel types this build knows and the settings each one requires.</summary>
public static class ChannelTypes
{
    public const string TwilioSms = "twilio-sms";
    public const string SmsGateway = "sms-gateway";

    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal) { TwilioSms, SmsGateway };
}

public sealed class ChannelsOptions
{
    public const string Section = "Hub:Channels";

    public Dictionary<string, ChannelOptions> Instances { get; } = new(StringComparer.Ordinal);
}

internal sealed class ChannelsOptionsSetup(IConfiguration configuration) : IConfigureOptions<ChannelsOptions>, IValidateOptions<ChannelsOptions>
{
    public void Configure(ChannelsOptions options)
    {
        foreach (var child in configuration.GetSection(ChannelsOptions.Section).GetChildren())
        {
            var o = new ChannelOptions();
            child.Bind(o);
            options.Instances[child.Key] = o;
        }
    }

    public ValidateOptionsResult Validate(string? name, ChannelsOptions options)
    {
        var errors = new List<string>();
        foreach (var (instance, o) in options.Instances)
        {
            var at = $"{ChannelsOptions.Section}:{instance}";
            if (!ChannelTypes.Known.Contains(o.Type))
            {
                errors.Add($"{at}:Type '{o.Type}' is not one of {string.Join(", ", ChannelTypes.Known)}.");
            }

            if (o.Type == ChannelTypes.TwilioSms && string.IsNullOrWhiteSpace(o.AuthToken))
            {
                errors.Add($"{at}:AuthToken is required for {ChannelTypes.TwilioSms}.");
            }

            if (o.Type == ChannelTypes.SmsGateway && string.IsNullOrWhiteSpace(o.Secret))
            {
                errors.Add($"{at}:Secret is required for {ChannelTypes.SmsGateway}.");
            }

            if (o.Province is not null && Provinces.ByCodeOrNull(o.Province) is null)
            {
                errors.Add($"{at}:Province '{o.Province}' is not one of the 34 province codes.");
            }

            foreach (var text in new[] { o.ReplyText, o.UrgentReplyText })
            {
                if (text is not null && Hub.Core.Text.SmsText.Segments(text.Replace("{code}", "XXXX-XXXX", StringComparison.Ordinal)) > 1)
                {
                    errors.Add($"{at}: reply text '{text}' does not fit one SMS segment.");
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
