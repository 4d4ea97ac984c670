using Hub.Bots.Zalo;
using Hub.Core.Signatures;
using Hub.Functions.Chat;
using Hub.Functions.Hosting;

namespace Hub.Functions.Channels.Zalo;

/// <summary>
/// Zalo OA webhook, <c>POST /api/channels/zalo/{instance}</c> (docs/protocols/zalo.md): <c>X-ZEvent-Signature</c>
/// verified with the instance's formula (default: chatwoot's app-id form), events for another app or OA
/// refused with the same 401 as a bad MAC, signed events older than <see cref="ChannelOptions.MaxEventAge"/>
/// refused as replays. User messages become sealed bot turns and the answer is 200 inside Zalo's 2 s.
/// A GET or an unsigned empty body (a registration probe) gets 200 and nothing is stored.
/// developers.zalo.me/docs/official-account/webhook/tong-quan
/// </summary>
public static class ZaloChannel
{
    public const string FunctionName = "Zalo";

    public static IEndpointRouteBuilder MapZalo(this IEndpointRouteBuilder app)
    {
        app.MapChannelWebhook(ZaloDescriptor.TypeName, FunctionName, HandleAsync);
        app.MapGet($"{ChannelEndpoint.Route}/{ZaloDescriptor.TypeName}/{{instance}}", () => Results.Text("ok")).WithMetadata(new FunctionMetadata(FunctionName));
        return app;
    }

    private static async Task<IResult> HandleAsync(ChannelRequest req, CancellationToken ct)
    {
        var header = req.Http.Request.Headers[ZaloSignature.Header].ToString();
        if (string.IsNullOrEmpty(header))
        {
            return IsProbe(req.Body) ? Results.Text("ok") : Problems.Unauthorized($"{ZaloSignature.Header} is missing.");
        }

        // Zalo's MAC covers the raw bytes plus ids and a timestamp that live inside them: read those (nothing
        // is stored or acted on) and verify before anything else.
        ZaloWebhook hook;
        try
        {
            hook = ZaloParser.Read(req.Body);
        }
        catch (FormatException ex)
        {
            return Problems.BadRequest(ex.Message);
        }

        var o = req.Options;
        var oaId = ZaloParser.OaIdOf(hook);
        var firstId = o.SignatureVariant == ZaloSignatureVariant.OaId ? o.OaId! : o.AppId!;
        var sameApp = string.Equals(hook.AppId, o.AppId, StringComparison.Ordinal);
        var sameOa = o.OaId is null || string.Equals(oaId, o.OaId, StringComparison.Ordinal);
        var verdict = ZaloSignature.Verify(firstId, req.Body, hook.Timestamp ?? string.Empty, o.OaSecretKey!, header);
        if (verdict != WebhookSignatureResult.Valid || !sameApp || !sameOa)
        {
            return Problems.Unauthorized($"{ZaloSignature.Header} does not verify for this OA.");
        }

        var now = req.Http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        if (ZaloParser.TimestampOf(hook) is not { } at || now - at > o.MaxEventAge || at - now > TimeSpan.FromMinutes(10))
        {
            return Problems.Unauthorized("The event's timestamp is outside the accepted window (a replay?).");
        }

        if (ZaloParser.KindOf(hook) == ZaloEventKind.Ignored)
        {
            return Results.Text("ok"); // OA echoes, deliveries, seen, follow: acknowledged, not a turn
        }

        if (ZaloParser.ToActivity(hook) is not { } activity)
        {
            return Problems.BadRequest("The user event lacks sender.id, recipient.id or message.msg_id.");
        }

        await req.Http.RequestServices.GetRequiredService<BotInbox>().AcceptAsync(ZaloDescriptor.TypeName, req.Instance, req.Body, [activity], ct);
        return Results.Text("ok");
    }

    private static bool IsProbe(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body).Trim();
        return text.Length == 0 || text == "{}";
    }
}
