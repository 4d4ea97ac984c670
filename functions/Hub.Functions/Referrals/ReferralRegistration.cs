using Hub.Functions.Messaging;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Referrals;

public static class ReferralRegistration
{
    /// <summary>Referrals: the service, the agencies' webhook client and the <c>referrals</c> queue's consumer (<c>DeliverReferral</c>).</summary>
    public static IServiceCollection AddReferrals(this IServiceCollection services)
    {
        services.AddStorageQueue(Referrals.QueueName);
        services.TryAddSingleton<Referrals>();
        services.AddHttpClient(Referrals.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.AddQueueConsumer<ReferralDelivery>(ReferralDelivery.FunctionName, ReferralDelivery.BindingName, storage => storage.Queue(Referrals.QueueName), poisonOption: "--referrals");
        return services;
    }
}
