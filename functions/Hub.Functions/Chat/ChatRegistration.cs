using Hub.Functions.Messaging;
using Hub.Functions.Spool;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Chat;

public static class ChatRegistration
{
    /// <summary>
    /// The chat channels' shared half: the webhook inbox (sealed turns on <c>bot-turns</c>), conversation state, and the
    /// <c>BotTurn</c> consumer that runs the dialog and sends replies through each chat channel's <see cref="IChatSender"/>.
    /// </summary>
    public static IServiceCollection AddChat(this IServiceCollection services)
    {
        services.AddStorageTable(ConversationStore.TableName);
        services.AddStorageQueue(BotInbox.QueueName);
        services.TryAddSingleton<ConversationStore>();
        services.AddSpoolReplayer<BotInbox>();
        services.AddQueueConsumer<BotTurnProcessor>(BotTurnProcessor.FunctionName, BotTurnProcessor.BindingName, storage => storage.Queue(BotInbox.QueueName), poisonOption: "--bot-turns");
        return services;
    }
}
