using System.Text.Json;
using System.Text.Json.Serialization;
using Hub.Bots.Activities;

namespace Hub.Bots.Messenger;

// Payload types of the Messenger Platform webhook (docs/protocols/messenger.md#payload):
// developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks

public sealed record MessengerWebhook(
    [property: JsonPropertyName("object")] string? ObjectType,
    [property: JsonPropertyName("entry")] IReadOnlyList<MessengerEntry>? Entry);

public sealed record MessengerEntry(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("time")] long? Time,
    [property: JsonPropertyName("messaging")] IReadOnlyList<MessengerEvent>? Messaging);

public sealed record MessengerEvent(
    [property: JsonPropertyName("sender")] MessengerParty? Sender,
    [property: JsonPropertyName("recipient")] MessengerParty? Recipient,
    [property: JsonPropertyName("timestamp")] long? Timestamp,
    [property: JsonPropertyName("message")] MessengerMessage? Message,
    [property: JsonPropertyName("postback")] MessengerPostback? Postback,
    [property: JsonPropertyName("delivery")] JsonElement? Delivery,
    [property: JsonPropertyName("read")] JsonElement? Read);

public sealed record MessengerParty([property: JsonPropertyName("id")] string? Id);

public sealed record MessengerMessage(
    [property: JsonPropertyName("mid")] string? Mid,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("quick_reply")] MessengerQuickReply? QuickReply,
    [property: JsonPropertyName("reply_to")] MessengerReplyTo? ReplyTo,
    [property: JsonPropertyName("attachments")] IReadOnlyList<MessengerAttachment>? Attachments,
    [property: JsonPropertyName("is_echo")] bool? IsEcho,
    [property: JsonPropertyName("is_deleted")] bool? IsDeleted);

public sealed record MessengerQuickReply([property: JsonPropertyName("payload")] string? Payload);

public sealed record MessengerReplyTo([property: JsonPropertyName("mid")] string? Mid);

public sealed record MessengerAttachment(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("payload")] MessengerAttachmentPayload? Payload);

public sealed record MessengerAttachmentPayload([property: JsonPropertyName("url")] string? Url);

public sealed record MessengerPostback(
    [property: JsonPropertyName("mid")] string? Mid,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("payload")] string? Payload);

/// <summary>
/// Turns a verified webhook body into activities: every entry and every event, sorted by timestamp (order
/// is not guaranteed after delivery failures); echoes, deliveries, reads and other notifications are skipped.
/// </summary>
public static class MessengerParser
{
    public const string ChannelId = "messenger";

    /// <exception cref="FormatException">The body is not a Messenger page webhook.</exception>
    public static IReadOnlyList<Activity> Parse(ReadOnlySpan<byte> body)
    {
        MessengerWebhook? hook;
        try
        {
            hook = JsonSerializer.Deserialize(body, BotsJsonContext.Default.MessengerWebhook);
        }
        catch (JsonException ex)
        {
            throw new FormatException("The body is not valid Messenger webhook JSON.", ex);
        }

        if (hook is null || !string.Equals(hook.ObjectType, "page", StringComparison.Ordinal) || hook.Entry is null)
        {
            throw new FormatException("The body is not a Messenger page webhook (object must be \"page\" with entries).");
        }

        var activities = new List<Activity>();
        // JSON arrays may hold nulls ("entry":[null]): skipped, never dereferenced (found by the fuzz suite).
        foreach (var entry in hook.Entry.OfType<MessengerEntry>())
        {
            foreach (var e in (entry.Messaging ?? []).OfType<MessengerEvent>())
            {
                if (ToActivity(e, entry.Id) is { } a)
                {
                    activities.Add(a);
                }
            }
        }

        activities.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return activities;
    }

    private static Activity? ToActivity(MessengerEvent e, string? pageId)
    {
        var user = e.Sender?.Id;
        var page = e.Recipient?.Id ?? pageId;
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(page))
        {
            return null;
        }

        var at = Timestamp(e.Timestamp);
        if (e.Message is { IsEcho: not true, IsDeleted: not true, Mid: { Length: > 0 } mid } m)
        {
            var attachments = new List<Attachment>();
            var text = m.Text;
            foreach (var a in (m.Attachments ?? []).Where(a => a is not null))
            {
                var url = a.Payload?.Url ?? a.Url;
                if (string.IsNullOrEmpty(url))
                {
                    continue; // stickers, locations: nothing to keep as evidence
                }

                if (a.Type is "fallback" or "template")
                {
                    text = string.IsNullOrEmpty(text) ? url : text + "\n" + url; // a shared link
                    continue;
                }

                attachments.Add(new Attachment(ContentTypeFor(a.Type), url, a.Title));
            }

            return New(mid, at, user, page, text, m.QuickReply?.Payload, attachments, m.ReplyTo?.Mid);
        }

        if (e.Postback is { } p)
        {
            // Older postbacks carry no mid: derive a stable id from who and when, so a retry still deduplicates.
            var id = p.Mid is { Length: > 0 } pm ? pm : $"postback:{user}:{e.Timestamp}";
            return New(id, at, user, page, p.Title, p.Payload, [], null);
        }

        return null; // echo, delivery, read, reaction, optin…: acknowledged, not a turn
    }

    private static Activity New(string id, DateTimeOffset at, string user, string page, string? text, string? value, IReadOnlyList<Attachment> attachments, string? replyTo) => new()
    {
        Type = ActivityTypes.Message,
        Id = id,
        Timestamp = at,
        ChannelId = ChannelId,
        From = new ChannelAccount(user),
        Recipient = new ChannelAccount(page),
        Conversation = new ConversationAccount(Conversations.IdFor(ChannelId, page, user)),
        Text = text,
        Value = value,
        Attachments = attachments,
        ReplyToId = replyTo,
    };

    /// <summary>Milliseconds normally; courier also accepts seconds.</summary>
    private static DateTimeOffset Timestamp(long? value) => value switch
    {
        null or <= 0 => DateTimeOffset.UnixEpoch,
        < 100_000_000_000 => DateTimeOffset.FromUnixTimeSeconds(value.Value),
        _ => DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(value.Value, 253_402_300_799_000)),
    };

    private static string ContentTypeFor(string? type) => type switch
    {
        "image" => "image/*",
        "audio" => "audio/*",
        "video" => "video/*",
        _ => "application/octet-stream",
    };
}
