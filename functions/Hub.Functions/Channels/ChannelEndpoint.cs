using System.Diagnostics;
using Hub.Functions.Hosting;
using Hub.Functions.Storage;
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
/// The one wrapper every inbound webhook goes through (courier's pattern): channel lookup (404), raw body
/// buffered under a size cap (413), storage outage → 503 with Retry-After, any unexpected failure → a
/// problem 500 that never claims acceptance, and one redacted log line (no body, no headers, no secrets).
/// </summary>
public static partial class ChannelEndpoint
{
    public const string Route = "/api/channels";

    public static RouteHandlerBuilder MapChannelWebhook(this IEndpointRouteBuilder app, string type, string functionName, ChannelHandler handler, string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapPost($"{Route}/{type}/{{instance}}{suffix}", (HttpContext http, string instance, IOptions<ChannelsOptions> channels, IOptions<HubOptions> hub, ILoggerFactory logs) =>
                HandleAsync(http, type, instance, channels.Value, hub.Value, logs.CreateLogger("Hub.Channels." + type), handler))
            .WithName(functionName)
            .WithMetadata(new FunctionMetadata(functionName));
    }

    private static async Task<IResult> HandleAsync(HttpContext http, string type, string instance, ChannelsOptions channels, HubOptions hub, ILogger logger, ChannelHandler handler)
    {
        var started = Stopwatch.GetTimestamp();
        IResult result;
        if (!channels.Instances.TryGetValue(instance, out var options) || !string.Equals(options.Type, type, StringComparison.Ordinal))
        {
            result = Problems.NotFound($"No {type} channel named '{instance}' is configured.");
        }
        else
        {
            result = await ReadAndHandleAsync(http, instance, options, hub, logger, handler);
        }

        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : 200;
        LogRequest(logger, type, instance, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    private static async Task<IResult> ReadAndHandleAsync(HttpContext http, string instance, ChannelOptions options, HubOptions hub, ILogger logger, ChannelHandler handler)
    {
        var ct = http.RequestAborted;
        if (await RequestBody.ReadCappedAsync(http, options.MaxBodyBytes, ct) is not { } body)
        {
            return Problems.TooLarge(options.MaxBodyBytes);
        }

        try
        {
            return await handler(new ChannelRequest(instance, options, body, http), ct);
        }
        catch (StorageUnavailableException ex)
        {
            LogUnavailable(logger, instance, ex.InnerException?.GetType().Name ?? ex.GetType().Name);
            return Problems.Unavailable(hub.Intake.RetryAfterSeconds);
        }
        catch (Intake.EnvelopeTooLargeException ex)
        {
            LogTooLarge(logger, instance, $"envelope of {ex.Bytes} bytes");
            return Problems.TooLargeToStore();
        }
        catch (Azure.RequestFailedException ex) when (HubStorage.IsTooLarge(ex))
        {
            // The request carried more than one stored value can hold; nothing was acknowledged (a 4xx, never a 500).
            LogTooLarge(logger, instance, ex.ErrorCode ?? "size");
            return Problems.TooLargeToStore();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Results.StatusCode(StatusCodes.Status499ClientClosedRequest);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing was acknowledged; the provider retries. The message is the exception type only,
            // because exception texts can carry request data.
            LogFailed(logger, instance, ex.GetType().FullName ?? "exception", ex);
            return Problems.Internal();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{ChannelType}/{Instance} answered {Status} in {ElapsedMs:F1} ms")]
    private static partial void LogRequest(ILogger logger, string channelType, string instance, int status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unavailable on {Instance} ({Cause}); answered 503, nothing acknowledged")]
    private static partial void LogUnavailable(ILogger logger, string instance, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request on {Instance} too large to store ({ErrorCode}); answered 413, nothing acknowledged")]
    private static partial void LogTooLarge(ILogger logger, string instance, string errorCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} on {Instance}; answered 500, nothing acknowledged")]
    private static partial void LogFailed(ILogger logger, string instance, string exceptionType, Exception exception);
}
