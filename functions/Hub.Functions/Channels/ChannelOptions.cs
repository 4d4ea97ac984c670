using Hub.Core.Taxonomy;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels;

/// <summary>
/// One configured channel instance, <c>Hub:Channels:{instance}</c>. Several instances of one type are normal
/// (one number per province). Each type's <see cref="ChannelDescriptor"/> says which settings it requires and
/// which are secrets, so the log-redaction test knows what must never be printed.
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

    /// <summary>Twilio's REST API (replies by SMS: <c>{base}/2010-04-01/Accounts/{AccountSid}/Messages.json</c>); a loopback simulator in tests.</summary>
    public string TwilioApiBaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>Send replies from this Messaging Service instead of the number the reporter wrote to.</summary>
    public string? MessagingServiceSid { get; set; }

    // Hub-signed contracts (SMS gateway)
    public string? Secret { get; set; }

    public string? SecondarySecret { get; set; }

    public string? Carrier { get; set; }

    /// <summary>The gateway's send ("MT") endpoint for replies (docs/sms-gateway.md#replies); without it the instance cannot reply.</summary>
    public string? SendUrl { get; set; }

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

    // Messenger (docs/protocols/messenger.md)
    public string? AppSecret { get; set; }

    public string? VerifyToken { get; set; }

    public string? PageAccessToken { get; set; }

    public string GraphApiBaseUrl { get; set; } = "https://graph.facebook.com/v25.0";

    // Zalo OA (docs/protocols/zalo.md)
    public string? AppId { get; set; }

    /// <summary>The OA this instance is (one instance per OA); events for another OA are refused.</summary>
    public string? OaId { get; set; }

    /// <summary>The OA Secret Key of the OA–app link: signs webhooks (not the App Secret Key).</summary>
    public string? OaSecretKey { get; set; }

    /// <summary>The App Secret Key: sent as <c>secret_key</c> when refreshing tokens.</summary>
    public string? AppSecretKey { get; set; }

    /// <summary>Seeds the token store the first time only; afterwards the stored (rotated) pair is authoritative.</summary>
    public string? AccessToken { get; set; }

    public string? RefreshToken { get; set; }

    public Hub.Core.Signatures.ZaloSignatureVariant SignatureVariant { get; set; } = Hub.Core.Signatures.ZaloSignatureVariant.AppId;

    /// <summary>Older signed events are refused as replays. Zalo retries for about an hour, so the default allows two.</summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromHours(2);

    public string ZaloApiBaseUrl { get; set; } = "https://openapi.zalo.me";

    public string ZaloOAuthBaseUrl { get; set; } = "https://oauth.zaloapp.com";

    /// <summary>Twilio Voice (the 111 line): voices, texts, hours, queue limits.</summary>
    public TwilioVoice.VoiceOptions Voice { get; set; } = new();
}

/// <summary>The channel types this build knows (<see cref="ChannelsRegistration"/>), by type name.</summary>
public sealed class ChannelTypes(IEnumerable<ChannelDescriptor> descriptors)
{
    private readonly Dictionary<string, ChannelDescriptor> _byType = descriptors.ToDictionary(d => d.Type, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Known => _byType.Keys;

    public ChannelDescriptor? Find(string type) => _byType.GetValueOrDefault(type);

    public ChannelDescriptor this[string type] => _byType.TryGetValue(type, out var d) ? d : throw new KeyNotFoundException($"no channel type '{type}'");

    /// <summary>Every configured secret of every instance, as its type declares them (what the logs must never hold).</summary>
    public IEnumerable<string> SecretsOf(ChannelsOptions channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        return channels.Instances.Values
            .SelectMany(o => Find(o.Type)?.Secrets(o) ?? [])
            .Where(s => !string.IsNullOrEmpty(s))
            .Select(s => s!);
    }
}

public sealed class ChannelsOptions
{
    public const string Section = "Hub:Channels";

    public Dictionary<string, ChannelOptions> Instances { get; } = new(StringComparer.Ordinal);
}

internal sealed class ChannelsOptionsSetup(IConfiguration configuration, ChannelTypes types) : IConfigureOptions<ChannelsOptions>, IValidateOptions<ChannelsOptions>
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
            if (types.Find(o.Type) is not { } descriptor)
            {
                errors.Add($"{at}:Type '{o.Type}' is not one of {string.Join(", ", types.Known)}.");
            }
            else
            {
                errors.AddRange(descriptor.Validate(o, at));
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
