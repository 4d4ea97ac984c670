using Hub.Bots.Dialog;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;

namespace Hub.Functions.Chat;

/// <summary>Who a reply goes to: the channel instance, its options and the provider user id.</summary>
public sealed record ChatRecipient(string Instance, ChannelOptions Options, string UserId);

/// <summary>One chat provider's outbound API (Messenger Send API, Zalo customer-service messages).</summary>
public interface IChatSender
{
    string ChannelType { get; }

    /// <summary>How long after the user's last message the provider still accepts a reply.</summary>
    TimeSpan ReplyWindow { get; }

    Task SendAsync(ChatRecipient recipient, BotReply reply, CancellationToken ct);
}

/// <summary>An outbound send that failed for good (after retries, or refused by the provider): the turn fails visibly.</summary>
public sealed class ChatSendException(string message, Exception? inner = null) : Exception(message, inner);
