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
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<WebFormOptions>, WebFormOptionsValidation>();
        services.AddSingleton<WebFormTokens>();
        services.AddSingleton<WebFormLimiter>();
    }

    public override void Map(IEndpointRouteBuilder app) => app.MapWebForm();

    public override IEnumerable<string?> Secrets(ChannelOptions options) => [];
}

/// <summary>
/// Start-up refuses a form that could not tell which web instance it reports through.
/// It reads the channel types from configuration, not from <see cref="ChannelsOptions"/>: resolving those would run their
/// own validation here, and one misconfigured channel would then be reported twice.
/// </summary>
internal sealed class WebFormOptionsValidation(IConfiguration configuration) : Microsoft.Extensions.Options.IValidateOptions<WebFormOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, WebFormOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var webs = configuration.GetSection(ChannelsOptions.Section).GetChildren().Where(c => c["Type"] == WebDescriptor.TypeName).Select(c => c.Key).ToList();
        if (options.Instance is { Length: > 0 } instance && !webs.Contains(instance))
        {
            return Microsoft.Extensions.Options.ValidateOptionsResult.Fail($"{WebFormOptions.Section}:Instance '{instance}' is not a configured channel of type web (Hub:Channels:{instance}:Type = web).");
        }

        return options.Instance is not { Length: > 0 } && webs.Count > 1
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail($"Several web channels are configured ({string.Join(", ", webs)}): set {WebFormOptions.Section}:Instance to the one the public form reports through.")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
    }
}
