namespace Hub.Functions.Channels.Web;

/// <summary>
/// The public web report form (<c>/bao-cao</c>): channel type <c>web</c>. It has no provider and no webhook secret —
/// the people who write are anonymous — so its guards are its own (a signed form token with a minimum fill time, a
/// honeypot, antiforgery, a rate limit per client pseudonym), see <see cref="WebFormEndpoints"/>.
/// </summary>
public sealed class WebDescriptor : ChannelDescriptor
{
    public const string TypeName = "web";

    public override string Type => TypeName;

    public override void AddServices(IServiceCollection services)
    {
        services.AddOptions<WebFormOptions>().BindConfiguration(WebFormOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebFormTokens>();
        services.AddSingleton<WebFormLimiter>();
    }

    public override void Map(IEndpointRouteBuilder app) => app.MapWebForm();

    public override IEnumerable<string?> Secrets(ChannelOptions options) => [];
}
