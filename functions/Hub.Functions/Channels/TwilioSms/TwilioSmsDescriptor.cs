using Hub.Core.Envelope;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Media;

namespace Hub.Functions.Channels.TwilioSms;

/// <summary>Twilio Programmable Messaging (docs/protocols/twilio.md): signed form webhooks, TwiML replies, media with Basic auth.</summary>
public sealed class TwilioSmsDescriptor : ChannelDescriptor
{
    public const string TypeName = "twilio-sms";

    public override string Type => TypeName;

    /// <summary>Twilio media is served from api.twilio.com and redirected to its CDN or S3.</summary>
    public override IReadOnlyList<string> DefaultMediaHosts { get; } = ["api.twilio.com", "*.twiliocdn.com", "s3-external-1.amazonaws.com"];

    public override void Map(IEndpointRouteBuilder app) => app.MapTwilioSms();

    public override IEnumerable<string> Validate(ChannelOptions options, string at) =>
        Require(at, (nameof(options.AuthToken), options.AuthToken));

    public override IEnumerable<string?> Secrets(ChannelOptions options) => [options.AuthToken];

    /// <summary>Twilio media URLs need the account's Basic auth; the spool relay rebuilds this from configuration too.</summary>
    public override MediaPolicy MediaPolicy(ChannelOptions options) => HostPolicy(options, TwilioWebhook.BasicAuth(options));
}
