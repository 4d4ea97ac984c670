using Hub.Core.Envelope;
using Hub.Core.Signatures;
using Hub.Functions.Chat;
using Hub.Functions.Media;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Channels.Zalo;

/// <summary>Zalo Official Account (docs/protocols/zalo.md): signed webhooks in, customer-service messages out, rotating OAuth tokens.</summary>
public sealed class ZaloDescriptor : ChannelDescriptor
{
    public const string TypeName = "zalo";

    public override string Type => TypeName;

    /// <summary>Attachments come only from Zalo's CDN.</summary>
    public override IReadOnlyList<string> DefaultMediaHosts { get; } = ["*.zdn.vn", "*.zadn.vn", "*.zalo.me"];

    public override ChatProfile Chat { get; } = new(ReportChannels.Zalo, "zalo", "zalo-user");

    public override void AddServices(IServiceCollection services)
    {
        services.AddStorageTable(ZaloTokens.TableName);
        services.TryAddSingleton<ZaloTokens>();
        services.AddSingleton<IChatSender, ZaloSender>();
        foreach (var name in new[] { ZaloSender.HttpClientName, ZaloTokens.HttpClientName })
        {
            services.AddHttpClient(name, c => c.Timeout = TimeSpan.FromSeconds(15)).RemoveAllLoggers();
        }
    }

    public override void Map(IEndpointRouteBuilder app) => app.MapZalo();

    public override IEnumerable<string> Validate(ChannelOptions options, string at)
    {
        foreach (var error in Require(at, (nameof(options.AppId), options.AppId), (nameof(options.OaSecretKey), options.OaSecretKey), (nameof(options.AppSecretKey), options.AppSecretKey)))
        {
            yield return error;
        }

        if (string.IsNullOrWhiteSpace(options.RefreshToken) && string.IsNullOrWhiteSpace(options.AccessToken))
        {
            yield return $"{at}: a RefreshToken (or an AccessToken) is required for {TypeName} to reply.";
        }

        if (options.SignatureVariant == ZaloSignatureVariant.OaId && string.IsNullOrWhiteSpace(options.OaId))
        {
            yield return $"{at}:OaId is required with SignatureVariant OaId.";
        }
    }

    public override IEnumerable<string?> Secrets(ChannelOptions options) => [options.OaSecretKey, options.AppSecretKey, options.AccessToken, options.RefreshToken];

    public override MediaPolicy MediaPolicy(ChannelOptions options) => HostPolicy(options);
}
