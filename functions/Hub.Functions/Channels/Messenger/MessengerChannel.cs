using System.Security.Cryptography;
using System.Text;
using Hub.Bots.Messenger;
using Hub.Core.Signatures;
using Hub.Functions.Chat;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.Messenger;

/// <summary>
/// Facebook Messenger webhook (docs/protocols/messenger.md): <c>GET /api/channels/messenger/{instance}</c> is Meta's
/// verification handshake; <c>POST</c> carries events signed with <c>X-Hub-Signature-256</c>. The POST
/// persists each message as a sealed bot turn and answers 200 well inside Meta's 5 s; the dialog and the
/// Send API calls run from the <c>bot-turns</c> queue.
/// developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks
/// </summary>
public static class MessengerChannel
{
    public const string FunctionName = "Messenger";

    public static IEndpointRouteBuilder MapMessenger(this IEndpointRouteBuilder app)
    {
        app.MapChannelWebhook(MessengerDescriptor.TypeName, FunctionName, HandleAsync);
        app.MapGet($"{ChannelEndpoint.Route}/{MessengerDescriptor.TypeName}/{{instance}}", Verify).WithMetadata(new FunctionMetadata(FunctionName));
        return app;
    }

    /// <summary>§3.1: mode <c>subscribe</c> and our verify token → 200 with the challenge as text; otherwise 403.</summary>
    internal static IResult Verify(string instance, HttpRequest request, IOptions<ChannelsOptions> channels)
    {
        if (!channels.Value.Instances.TryGetValue(instance, out var o) || o.Type != MessengerDescriptor.TypeName)
        {
            return Problems.NotFound($"No {MessengerDescriptor.TypeName} channel named '{instance}' is configured.");
        }

        var mode = request.Query["hub.mode"].ToString();
        var token = request.Query["hub.verify_token"].ToString();
        var challenge = request.Query["hub.challenge"].ToString();
        var matches = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(o.VerifyToken!));
        if (mode != "subscribe" || !matches || challenge.Length is 0 or > 256)
        {
            return Problems.Forbidden("The verification request does not match this channel.");
        }

        return Results.Text(challenge, "text/plain", Encoding.UTF8);
    }

    private static async Task<IResult> HandleAsync(ChannelRequest req, CancellationToken ct)
    {
        // Signature over the raw bytes first: nothing is parsed or stored before it verifies.
        switch (MetaSignature.Verify(req.Options.AppSecret!, req.Body, req.Http.Request.Headers[MetaSignature.Header].ToString()))
        {
            case WebhookSignatureResult.Missing:
                return Problems.Unauthorized($"{MetaSignature.Header} is missing.");
            case not WebhookSignatureResult.Valid:
                return Problems.Forbidden($"{MetaSignature.Header} does not verify.");
        }

        IReadOnlyList<Hub.Bots.Activities.Activity> activities;
        try
        {
            activities = MessengerParser.Parse(req.Body);
        }
        catch (FormatException ex)
        {
            return Problems.BadRequest(ex.Message);
        }

        if (activities.Count > 0)
        {
            var inbox = req.Http.RequestServices.GetRequiredService<BotInbox>();
            await inbox.AcceptAsync(MessengerDescriptor.TypeName, req.Instance, req.Body, activities, ct);
        }

        // Echoes, deliveries and reads are well-formed and irrelevant: 200 so Meta does not retry them.
        return Results.Text("EVENT_RECEIVED", "text/plain");
    }
}
