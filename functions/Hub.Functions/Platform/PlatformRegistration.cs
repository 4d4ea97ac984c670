using Hub.Functions.Messaging;
using Hub.Functions.Spool;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Platform;

public static class PlatformRegistration
{
    /// <summary>The platform auto-report API (<c>/api/platform/v1</c>): platforms and their secrets, rate limits, reports, OpenAPI and the docs page.</summary>
    public static IServiceCollection AddPlatformApi(this IServiceCollection services)
    {
        services.AddOptions<PlatformsOptions>().ValidateOnStart();
        services.TryAddSingleton<IConfigureOptions<PlatformsOptions>, PlatformsOptionsSetup>();
        services.TryAddSingleton<IValidateOptions<PlatformsOptions>, PlatformsOptionsSetup>();
        services.AddOptions<PlatformApiOptions>().BindConfiguration(PlatformApiOptions.Section);
        services.AddOptions<SigningOptions>().ValidateOnStart();
        services.TryAddSingleton<IConfigureOptions<SigningOptions>, SigningOptionsSetup>();
        services.TryAddSingleton<IValidateOptions<SigningOptions>, SigningOptionsSetup>();
        services.TryAddSingleton<HubSigningKeys>();
        services.AddStorageTable(PlatformRegistry.TableName);
        services.AddStorageTable(PlatformReports.TableName);
        services.TryAddSingleton<PlatformRegistry>();
        services.TryAddSingleton<PlatformRateLimiter>();
        services.AddSpoolReplayer<PlatformReports>();
        return services;
    }

    /// <summary>The takedown loop: signed requests to a platform's callback, retried from the <c>takedowns</c> queue, and their confirmation.</summary>
    public static IServiceCollection AddTakedowns(this IServiceCollection services)
    {
        services.AddStorageQueue(Takedowns.QueueName);
        services.TryAddSingleton<Takedowns>();
        services.AddHttpClient(Takedowns.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.AddQueueConsumer<TakedownDelivery>(TakedownDelivery.FunctionName, TakedownDelivery.BindingName, storage => storage.Queue(Takedowns.QueueName), poisonOption: "--takedowns");
        return services;
    }

    public static IEndpointRouteBuilder MapPlatformApi(this IEndpointRouteBuilder app) => PlatformApi.Map(app);
}
