using Hub.Functions.Channels.Messenger;
using Hub.Functions.Channels.SmsGateway;
using Hub.Functions.Channels.TwilioSms;
using Hub.Functions.Channels.TwilioVoice;
using Hub.Functions.Channels.Zalo;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels;

public static class ChannelsRegistration
{
    /// <summary>The channel types this build knows: one line per channel folder.</summary>
    private static readonly ChannelDescriptor[] Descriptors =
    [
        new TwilioSmsDescriptor(),
        new TwilioVoiceDescriptor(),
        new SmsGatewayDescriptor(),
        new MessengerDescriptor(),
        new ZaloDescriptor(),
        new Web.WebDescriptor(),
    ];

    /// <summary>Configured channel instances, validated at start-up by their types' descriptors, and each type's services.</summary>
    public static IServiceCollection AddChannels(this IServiceCollection services)
    {
        services.AddOptions<ChannelsOptions>().ValidateOnStart();
        services.TryAddSingleton<IConfigureOptions<ChannelsOptions>, ChannelsOptionsSetup>();
        services.TryAddSingleton<IValidateOptions<ChannelsOptions>, ChannelsOptionsSetup>();
        services.TryAddSingleton<ChannelTypes>();
        services.AddStorageTable(OptOuts.TableName);
        services.TryAddSingleton<OptOuts>();
        foreach (var descriptor in Descriptors)
        {
            services.AddSingleton(descriptor);
            services.AddSingleton(descriptor.GetType(), descriptor); // a channel's own code asks for its descriptor by type
            descriptor.AddServices(services);
        }

        return services;
    }

    /// <summary>Every channel's webhook routes under <c>/api/channels/{type}/{instance}</c>.</summary>
    public static IEndpointRouteBuilder MapChannelsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var descriptor in app.ServiceProvider.GetServices<ChannelDescriptor>())
        {
            descriptor.Map(app);
        }

        return app;
    }
}
