using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels;

/// <summary>What a channel handler receives: its instance, the raw body bytes, and the request.</summary>
public sealed record ChannelRequest(string Instance, ChannelOptions Options, byte[] Body, HttpContext Http)
{
    /// <summary>The URL the provider called, as configured publicly (Twilio signs this, not our internal URL).</summary>
    public string PublicUrl(HubOptions hub)
    {
        ArgumentNullException.ThrowIfNull(hub);
        return Options.WebhookUrl ?? hub.PublicBaseUrl.TrimEnd('/') + Http.Request.PathBase + Http.Request.Path + Http.Request.QueryString;
    }
}

public delegate Task<IResult> ChannelHandler(ChannelRequest request, CancellationToken ct);

/// <summary>
/// Every inbound webhook's route (<c>/api/channels/{type}/{instance}[suffix]</c>): the channel lookup (404), the raw
/// body buffered under the instance's size cap (413), then the channel's handler, all behind the shared
/// <see cref="IntakeRequestFilter"/> (timeout, storage outage → 503, one redacted log line).
/// </summary>
public static class ChannelEndpoint
{
    public const string Route = "/api/channels";

    public static RouteHandlerBuilder MapChannelWebhook(this IEndpointRouteBuilder app, string type, string functionName, ChannelHandler handler, string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapPost($"{Route}/{type}/{{instance}}{suffix}", (HttpContext http, string instance, IOptions<ChannelsOptions> channels) =>
                HandleAsync(http, type, instance, channels.Value, handler))
            .WithIntakePolicy("Hub.Channels." + type, http => $"{type}/{http.GetRouteValue("instance")}", type)
            .WithName(functionName)
            .WithMetadata(new FunctionMetadata(functionName));
    }

    private static async Task<IResult> HandleAsync(HttpContext http, string type, string instance, ChannelsOptions channels, ChannelHandler handler)
    {
        if (!channels.Instances.TryGetValue(instance, out var options) || !string.Equals(options.Type, type, StringComparison.Ordinal))
        {
            return Problems.NotFound($"No {type} channel named '{instance}' is configured.");
        }

        var ct = http.RequestAborted;
        if (await RequestBody.ReadCappedAsync(http, options.MaxBodyBytes, ct) is not { } body)
        {
            return Problems.TooLarge(options.MaxBodyBytes);
        }

        return await handler(new ChannelRequest(instance, options, body, http), ct);
    }
}
