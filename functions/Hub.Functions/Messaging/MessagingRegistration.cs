using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Messaging;

public static class MessagingRegistration
{
    /// <summary>Poison queues (listing and replay) shared by every consumer.</summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services)
    {
        services.TryAddSingleton<PoisonMessages>();
        return services;
    }

    /// <summary>
    /// A queue consumer: the handler, the standalone poller for it, and (mapped by <see cref="QueueFunction.MapQueueFunctions"/>)
    /// its custom-handler function. A new queue is this one line plus a <c>function.json</c>.
    /// </summary>
    public static IServiceCollection AddQueueConsumer<THandler>(
        this IServiceCollection services,
        string functionName,
        string bindingName,
        Func<HubStorage, Azure.Storage.Queues.QueueClient> queue,
        string? poisonOption = null)
        where THandler : class, IQueueHandler
    {
        var consumer = new QueueConsumer(functionName, bindingName, poisonOption, typeof(THandler), queue);
        services.AddMessaging();
        services.AddSingleton(consumer);
        services.TryAddSingleton<THandler>();
        services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<QueueWorker>(sp, consumer, sp.GetRequiredService<THandler>()));
        return services;
    }
}
