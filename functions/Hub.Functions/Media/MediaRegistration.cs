using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Media;

public static class MediaRegistration
{
    /// <summary>
    /// Evidence: media fetched from providers' hosts only (private and loopback addresses refused unless a channel
    /// allows them for tests), stored sealed with its hashes by the one <see cref="EvidenceStore"/>.
    /// </summary>
    public static IServiceCollection AddMedia(this IServiceCollection services)
    {
        services.TryAddSingleton<MediaFetcher>();
        services.TryAddSingleton<EvidenceStore>();
        services.TryAddSingleton<IMediaHostResolver>(DnsMediaHostResolver.Instance);
        services.AddHttpClient(MediaFetcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => MediaFetcher.CreateHandler(allowPrivateNetworks: false, sp.GetRequiredService<IMediaHostResolver>()))
            .ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(12));
        services.AddHttpClient(MediaFetcher.PrivateHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => MediaFetcher.CreateHandler(allowPrivateNetworks: true, sp.GetRequiredService<IMediaHostResolver>()))
            .ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(12));
        return services;
    }
}
