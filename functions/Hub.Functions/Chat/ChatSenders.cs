using Hub.Bots.Dialog;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;

namespace Hub.Functions.Chat;

/// <summary>
/// Who a reply goes to: the channel instance, its options and the provider user id. <see cref="HumanAgent"/>: a
/// person's reply past the standard window, which a provider accepts only marked as such (Messenger's HUMAN_AGENT tag).
/// </summary>
public sealed record ChatRecipient(string Instance, ChannelOptions Options, string UserId, bool HumanAgent = false);

/// <summary>One chat provider's outbound API (Messenger Send API, Zalo customer-service messages).</summary>
public interface IChatSender
{
    string ChannelType { get; }

    /// <summary>How long after the user's last message the provider still accepts a reply.</summary>
    TimeSpan ReplyWindow { get; }

    /// <summary>How long a person (a counsellor after a handoff) may still reply.</summary>
    TimeSpan HumanReplyWindow { get; }

    Task SendAsync(ChatRecipient recipient, BotReply reply, CancellationToken ct);
}

/// <summary>An outbound send that failed for good (after retries, or refused by the provider): the turn fails visibly.</summary>
public sealed class ChatSendException(string message, Exception? inner = null) : Exception(message, inner);
