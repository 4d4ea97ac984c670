using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hub.Bots.Activities;

namespace Hub.Bots.Zalo;

// Zalo OA webhook payload (docs/protocols/zalo.md#payload): developers.zalo.me/docs/official-account/webhook/tong-quan
// Every id is a string; timestamp is a string of epoch milliseconds.

public sealed record ZaloWebhook(
    [property: JsonPropertyName("app_id")] string? AppId,
    [property: JsonPropertyName("user_id_by_app")] string? UserIdByApp,
    [property: JsonPropertyName("event_name")] string? EventName,
    [property: JsonPropertyName("timestamp")] string? Timestamp,
    [property: JsonPropertyName("sender")] ZaloParty? Sender,
    [property: JsonPropertyName("recipient")] ZaloParty? Recipient,
    [property: JsonPropertyName("oa_id")] string? OaId,
    [property: JsonPropertyName("message")] ZaloMessage? Message);

public sealed record ZaloParty([property: JsonPropertyName("id")] string? Id);

public sealed record ZaloMessage(
    [property: JsonPropertyName("msg_id")] string? MsgId,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("attachments")] IReadOnlyList<ZaloAttachment>? Attachments);

public sealed record ZaloAttachment(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("payload")] ZaloAttachmentPayload? Payload);

public sealed record ZaloAttachmentPayload(
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("thumbnail")] string? Thumbnail,
    [property: JsonPropertyName("name")] string? Name);

/// <summary>What a verified Zalo body means to the hub.</summary>
public enum ZaloEventKind
{
    /// <summary>A user (or anonymous user) wrote to the OA: a dialog turn.</summary>
    UserMessage,

    /// <summary>OA echoes, deliveries, seen, follow/unfollow and unknown events: acknowledged, not a turn.</summary>
    Ignored,
}

public static class ZaloParser
{
    public const string ChannelId = "zalo";

    /// <summary>Reads the body (already buffered as received) without touching the bytes the signature covers.</summary>
    /// <exception cref="FormatException">Not Zalo webhook JSON.</exception>
    public static ZaloWebhook Read(ReadOnlySpan<byte> body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, BotsJsonContext.Default.ZaloWebhook) ?? throw new FormatException("The body is empty JSON.");
        }
        catch (JsonException ex)
        {
            throw new FormatException("The body is not valid Zalo webhook JSON.", ex);
        }
    }

    /// <summary>The OA the event concerns: the recipient of user events, the sender of OA echoes (docs/protocols/zalo.md#signature, step 4).</summary>
    public static string? OaIdOf(ZaloWebhook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return hook.EventName switch
        {
            { } n when n.StartsWith("oa_", StringComparison.Ordinal) => hook.Sender?.Id,
            "follow" or "unfollow" => hook.OaId ?? hook.Recipient?.Id,
            _ => hook.Recipient?.Id,
        };
    }

    public static ZaloEventKind KindOf(ZaloWebhook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var name = hook.EventName ?? string.Empty;
        return (name.StartsWith("user_send_", StringComparison.Ordinal) || name.StartsWith("anonymous_send_", StringComparison.Ordinal))
            ? ZaloEventKind.UserMessage
            : ZaloEventKind.Ignored;
    }

    public static DateTimeOffset? TimestampOf(ZaloWebhook hook) =>
        long.TryParse(hook?.Timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is > 0 and < 253_402_300_799_000
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    /// <summary>A user event as an activity; null when it lacks the ids a conversation needs.</summary>
    public static Activity? ToActivity(ZaloWebhook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var user = hook.Sender?.Id;
        var oa = hook.Recipient?.Id;
        var id = hook.Message?.MsgId;
        if (KindOf(hook) != ZaloEventKind.UserMessage || string.IsNullOrEmpty(user) || string.IsNullOrEmpty(oa) || string.IsNullOrEmpty(id))
        {
            return null;
        }

        var text = hook.Message!.Text;
        var attachments = new List<Attachment>();
        foreach (var a in (hook.Message.Attachments ?? []).Where(a => a is not null))
        {
            var url = a.Payload?.Url;
            if (string.IsNullOrEmpty(url))
            {
                continue;
            }

            if (a.Type is "link")
            {
                text = string.IsNullOrEmpty(text) ? url : text + "\n" + url;
                continue;
            }

            if (a.Type is "image" or "file" or "audio" or "video" or "gif")
            {
                attachments.Add(new Attachment(a.Type switch { "image" or "gif" => "image/*", "audio" => "audio/*", "video" => "video/*", _ => "application/octet-stream" }, url, a.Payload?.Name));
            }
        }

        if (hook.EventName == "user_send_sticker")
        {
            attachments.Clear(); // a sticker is not evidence
        }

        return new Activity
        {
            Type = ActivityTypes.Message,
            Id = id,
            Timestamp = TimestampOf(hook) ?? DateTimeOffset.UnixEpoch,
            ChannelId = ChannelId,
            From = new ChannelAccount(user),
            Recipient = new ChannelAccount(oa),
            Conversation = new ConversationAccount(Conversations.IdFor(ChannelId, oa, user)),
            Text = text,
            Attachments = attachments,
        };
    }
}
