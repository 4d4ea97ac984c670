using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hub.Bots.Dialog;
using Hub.Functions.Chat;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using Polly;

namespace Hub.Functions.Channels.Zalo;

/// <summary>
/// Zalo OA customer-service message ("tin tư vấn", docs/protocols/zalo.md#send): <c>POST {api}/v3.0/oa/message/cs</c>
/// with the token in an <c>access_token</c> header. Zalo answers HTTP 200 with <c>{"error": code}</c>; the
/// token errors -216 (invalid) and -220 (expired) trigger one refresh-and-retry. Quick replies become a
/// numbered list the child can answer with a digit (the dialog accepts numbers as well as titles).
/// developers.zalo.me/docs/official-account/tin-nhan/tin-tu-van/gui-tin-tu-van
/// </summary>
public sealed class ZaloSender(Polly.Registry.ResiliencePipelineProvider<string> pipelines, IHttpClientFactory http, ZaloTokens tokens) : IChatSender
{
    public const string HttpClientName = "zalo";
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = pipelines.GetPipeline<HttpResponseMessage>(Resilience.ChatSend);

    public string ChannelType => ZaloDescriptor.TypeName;

    /// <summary>CS messages only within 7 days of the user's last interaction (§4.7).</summary>
    public TimeSpan ReplyWindow => TimeSpan.FromDays(7);

    /// <summary>The same for a person: Zalo has no separate human-agent window (charged after the first 48 h, §4.7).</summary>
    public TimeSpan HumanReplyWindow => TimeSpan.FromDays(7);

    public async Task SendAsync(ChatRecipient recipient, BotReply reply, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(reply);
        var token = await tokens.GetAccessTokenAsync(recipient.Instance, recipient.Options, ct);
        var code = await SendOnceAsync(recipient, reply, token, ct);
        if (code is -216 or -220)
        {
            token = await tokens.RefreshAsync(recipient.Instance, recipient.Options, token, ct);
            code = await SendOnceAsync(recipient, reply, token, ct);
        }

        if (code != 0)
        {
            throw new ChatSendException($"Zalo CS message refused (error {code.ToString(CultureInfo.InvariantCulture)}).");
        }
    }

    private async Task<int> SendOnceAsync(ChatRecipient to, BotReply reply, string token, CancellationToken ct)
    {
        var body = Body(to.UserId, reply);
        var client = http.CreateClient(HttpClientName);
        var url = new Uri($"{to.Options.ZaloApiBaseUrl.TrimEnd('/')}/v3.0/oa/message/cs");
        using var response = await _pipeline.ExecuteAsync(
            async t =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation("access_token", token);
                return await client.SendAsync(request, t);
            },
            ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new ChatSendException($"Zalo CS message API answered HTTP {(int)response.StatusCode}.");
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.TryGetProperty("error", out var e) && e.TryGetInt32(out var code) ? code : -1;
        }
        catch (JsonException ex)
        {
            throw new ChatSendException("Zalo CS message API answered something that is not JSON.", ex);
        }
    }

    internal static string Render(BotReply reply)
    {
        if (reply.Choices.Count == 0)
        {
            return reply.Text;
        }

        var text = new StringBuilder(reply.Text);
        for (var i = 0; i < reply.Choices.Count; i++)
        {
            text.Append('\n').Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(". ").Append(reply.Choices[i].Title);
        }

        return text.Append("\n(Bạn trả lời bằng số hoặc bằng lời nhé)").ToString();
    }

    internal static byte[] Body(string userId, BotReply reply)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("recipient");
            w.WriteString("user_id", userId);
            w.WriteEndObject();
            w.WriteStartObject("message");
            w.WriteString("text", Render(reply));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
