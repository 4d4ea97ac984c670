namespace Hub.Bots.Activities;

/// <summary>
/// The channel-neutral activity the dialog engine will speak (docs/protocols/activities.md), with field names borrowed from
/// the Bot Framework Activity schema (the SDK itself is archived and not used). Zalo and Messenger
/// normalisers (issue 3) produce these; the engine never sees a provider payload.
/// </summary>
public sealed record Activity
{
    public required string Type { get; init; }

    public required string Id { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    public required string ChannelId { get; init; }

    public required ChannelAccount From { get; init; }

    public required ChannelAccount Recipient { get; init; }

    public required ConversationAccount Conversation { get; init; }

    public string? Text { get; init; }

    public string Locale { get; init; } = "vi-VN";

    public string? ReplyToId { get; init; }

    public IReadOnlyList<Attachment> Attachments { get; init; } = [];

    public IReadOnlyList<CardAction> SuggestedActions { get; init; } = [];

    /// <summary>Structured payload (a quick-reply or postback value).</summary>
    public string? Value { get; init; }
}

public sealed record ChannelAccount(string Id, string? Name = null);

public sealed record ConversationAccount(string Id);

public sealed record Attachment(string ContentType, string ContentUrl, string? Name = null);

/// <summary>A quick reply / button: <c>imBack</c>, <c>postBack</c>, <c>openUrl</c> or <c>call</c>.</summary>
public sealed record CardAction(string Type, string Title, string Value);

public static class ActivityTypes
{
    public const string Message = "message";
    public const string Event = "event";
    public const string ConversationUpdate = "conversationUpdate";
    public const string EndOfConversation = "endOfConversation";
}

public static class Conversations
{
    /// <summary>
    /// A conversation id stable for both parties and unique across channels and accounts:
    /// <c>{channel}:{account}:{user}</c> (e.g. <c>zalo:{oaId}:{userId}</c>). Parts are escaped so an id
    /// containing ':' cannot make two different pairs collide.
    /// </summary>
    public static string IdFor(string channel, string account, string user)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentException.ThrowIfNullOrEmpty(account);
        ArgumentException.ThrowIfNullOrEmpty(user);
        return $"{Escape(channel)}:{Escape(account)}:{Escape(user)}";
    }

    private static string Escape(string part) => part.Replace("%", "%25", StringComparison.Ordinal).Replace(":", "%3A", StringComparison.Ordinal);
}
