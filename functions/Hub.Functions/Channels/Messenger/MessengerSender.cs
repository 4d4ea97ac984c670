using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hub.Bots.Dialog;
using Hub.Functions.Chat;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using Polly;

namespace Hub.Functions.Channels.Messenger;

/// <summary>
/// Messenger Send API (docs/protocols/messenger.md#send): <c>POST {graph}/me/messages?access_token=…</c> with
/// <c>messaging_type: RESPONSE</c> and up to 13 text quick replies (titles ≤ 20 characters).
/// developers.facebook.com/docs/messenger-platform/reference/send-api
/// </summary>
public sealed class MessengerSender(Polly.Registry.ResiliencePipelineProvider<string> pipelines, IHttpClientFactory http) : IChatSender
{
    public const string HttpClientName = "messenger";
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = pipelines.GetPipeline<HttpResponseMessage>(Resilience.ChatSend);

    public string ChannelType => MessengerDescriptor.TypeName;

    /// <summary>The standard messaging window (§3.6); HUMAN_AGENT is for people, not this bot.</summary>
    public TimeSpan ReplyWindow => TimeSpan.FromHours(24);

    /// <summary>A human agent may answer for 7 days with the <c>HUMAN_AGENT</c> tag (§3.6; the page needs Meta's approval for it).</summary>
    public TimeSpan HumanReplyWindow => TimeSpan.FromDays(7);

    public async Task SendAsync(ChatRecipient recipient, BotReply reply, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(reply);
        var url = $"{recipient.Options.GraphApiBaseUrl.TrimEnd('/')}/me/messages?access_token={Uri.EscapeDataString(recipient.Options.PageAccessToken!)}";
        var body = Body(recipient.UserId, reply, recipient.HumanAgent);
        var client = http.CreateClient(HttpClientName);
        using var response = await _pipeline.ExecuteAsync(
            async token =>
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                return await client.PostAsync(new Uri(url), content, token);
            },
            ct);
        if (!response.IsSuccessStatusCode)
        {
            // The error body names the cause (code, subcode); it never contains our token.
            var error = await response.Content.ReadAsStringAsync(ct);
            throw new ChatSendException($"Messenger Send API answered {(int)response.StatusCode}: {Truncate(error)}");
        }
    }

    internal static byte[] Body(string psid, BotReply reply, bool humanAgentTag = false)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("recipient");
            w.WriteString("id", psid);
            w.WriteEndObject();
            if (humanAgentTag)
            {
                // Past the 24-hour window only a person may answer, and only tagged so (up to 7 days).
                w.WriteString("messaging_type", "MESSAGE_TAG");
                w.WriteString("tag", "HUMAN_AGENT");
            }
            else
            {
                w.WriteString("messaging_type", "RESPONSE");
            }
            w.WriteStartObject("message");
            w.WriteString("text", reply.Text.Length <= 2000 ? reply.Text : reply.Text[..2000]);
            if (reply.Choices.Count > 0)
            {
                w.WriteStartArray("quick_replies");
                foreach (var c in reply.Choices.Take(13))
                {
                    w.WriteStartObject();
                    w.WriteString("content_type", "text");
                    w.WriteString("title", c.Title.Length <= 20 ? c.Title : c.Title[..20]);
                    w.WriteString("payload", c.Payload);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300];
}
