using Hub.Core.Envelope;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Media;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Channels.TwilioVoice;

/// <summary>The 111 line on Twilio Programmable Voice (docs/protocols/twilio.md, docs/voice.md): one report per call, revised as it goes on.</summary>
public sealed class TwilioVoiceDescriptor : ChannelDescriptor
{
    public const string TypeName = "twilio-voice";

    public override string Type => TypeName;

    /// <summary>Recordings are served by the API host, then redirected to Twilio's storage.</summary>
    public override IReadOnlyList<string> DefaultMediaHosts { get; } = ["api.twilio.com", "*.twilio.com", "*.twiliocdn.com", "s3-external-1.amazonaws.com"];

    public override void AddServices(IServiceCollection services)
    {
        services.AddStorageTable(CallStore.TableName);
        services.TryAddSingleton<CallStore>();
        services.AddHttpClient(TwilioVoiceChannel.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15)).RemoveAllLoggers();
    }

    public override void Map(IEndpointRouteBuilder app) => app.MapTwilioVoice();

    public override IEnumerable<string> Validate(ChannelOptions options, string at) =>
        Require(at, (nameof(options.AuthToken), options.AuthToken)).Concat(options.Voice.Validate($"{at}:Voice"));

    public override IEnumerable<string?> Secrets(ChannelOptions options) => [options.AuthToken];

    public override MediaPolicy MediaPolicy(ChannelOptions options) => HostPolicy(options, TwilioWebhook.BasicAuth(options));
}
