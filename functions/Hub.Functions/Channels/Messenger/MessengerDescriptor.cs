using Hub.Core.Envelope;
using Hub.Functions.Chat;
using Hub.Functions.Media;

namespace Hub.Functions.Channels.Messenger;

/// <summary>Facebook Messenger (docs/protocols/messenger.md): signed webhooks in, the Send API out, the dialog in between.</summary>
public sealed class MessengerDescriptor : ChannelDescriptor
{
    public const string TypeName = "messenger";

    public override string Type => TypeName;

    /// <summary>Attachments come only from Meta's CDN.</summary>
    public override IReadOnlyList<string> DefaultMediaHosts { get; } = ["*.fbcdn.net", "*.fbsbx.com"];

    public override ChatProfile Chat { get; } = new(ReportChannels.Messenger, "meta", "messenger-psid");

    public override void AddServices(IServiceCollection services)
    {
        services.AddSingleton<IChatSender, MessengerSender>();
        services.AddHttpClient(MessengerSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15)).RemoveAllLoggers();
    }

    public override void Map(IEndpointRouteBuilder app) => app.MapMessenger();

    public override IEnumerable<string> Validate(ChannelOptions options, string at) =>
        Require(at, (nameof(options.AppSecret), options.AppSecret), (nameof(options.VerifyToken), options.VerifyToken), (nameof(options.PageAccessToken), options.PageAccessToken));

    public override IEnumerable<string?> Secrets(ChannelOptions options) => [options.AppSecret, options.VerifyToken, options.PageAccessToken];

    public override MediaPolicy MediaPolicy(ChannelOptions options) => HostPolicy(options);
}
