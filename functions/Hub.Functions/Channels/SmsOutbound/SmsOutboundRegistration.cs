using Hub.Functions.Messaging;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Channels.SmsOutbound;

public static class SmsOutboundRegistration
{
    /// <summary>SMS replies: the senders (gateway contract, Twilio Messages API), the outbox and the <c>sms-replies</c> queue's consumer.</summary>
    public static IServiceCollection AddSmsReplies(this IServiceCollection services)
    {
        services.AddStorageQueue(SmsOutbox.QueueName);
        services.AddHttpClient(SmsHttp.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISmsSender, GatewaySmsSender>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISmsSender, TwilioSmsSender>());
        services.TryAddSingleton<SmsOutbox>();
        services.AddQueueConsumer<SmsReplyDelivery>(SmsReplyDelivery.FunctionName, SmsReplyDelivery.BindingName, storage => storage.Queue(SmsOutbox.QueueName), poisonOption: "--sms-replies");
        return services;
    }
}
