using System.Diagnostics;
using Hub.Functions.Intake;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Hosting;

/// <summary>
/// The one wrapper every inbound provider and platform request goes through (courier's shared handler wrapper): a
/// request timeout, storage outages answered 503 with <c>Retry-After</c>, values too large to store answered 413, any
/// unexpected failure a problem 500 that never claims acceptance, and one redacted log line per request (the label,
/// the status and the time; never a body, a header or a secret). The handlers it wraps only say what to answer.
/// </summary>
public sealed partial class IntakeRequestFilter(string category, Func<HttpContext, string> label, string channel) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(category);
        var intake = services.GetRequiredService<IOptions<HubOptions>>().Value.Intake;
        var started = Stopwatch.GetTimestamp();

        // The handlers read HttpContext.RequestAborted, so the deadline reaches every storage and outbound call they make.
        var aborted = http.RequestAborted;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(intake.RequestTimeout);
        http.RequestAborted = deadline.Token;
        object? result;
        try
        {
            result = await next(context);
        }
        catch (StorageUnavailableException ex)
        {
            LogUnavailable(logger, label(http), ex.InnerException?.GetType().Name ?? ex.GetType().Name);
            result = Problems.Unavailable(intake.RetryAfterSeconds);
        }
        catch (EnvelopeTooLargeException ex)
        {
            LogTooLarge(logger, label(http), $"envelope of {ex.Bytes} bytes");
            result = Problems.TooLargeToStore();
        }
        catch (Azure.RequestFailedException ex) when (HubStorage.IsTooLarge(ex))
        {
            // The request carried more than one stored value can hold; nothing was acknowledged (a 4xx, never a 500).
            LogTooLarge(logger, label(http), ex.ErrorCode ?? "size");
            result = Problems.TooLargeToStore();
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            result = Results.StatusCode(StatusCodes.Status499ClientClosedRequest);
        }
        catch (Exception ex) when ((deadline.IsCancellationRequested && ex is OperationCanceledException) || HubStorage.IsUnavailable(ex) || Cases.Database.CaseDatabase.IsUnavailable(ex))
        {
            // Timed out, or storage (or, for a status read, the case store) failed in a way the handler did not wrap:
            // nothing acknowledged, the provider retries.
            LogUnavailable(logger, label(http), deadline.IsCancellationRequested ? "request timeout" : ex.GetType().Name);
            result = Problems.Unavailable(intake.RetryAfterSeconds);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing was acknowledged; the provider retries. The message is the exception type only, because
            // exception texts can carry request data.
            LogFailed(logger, label(http), ex.GetType().FullName ?? "exception", ex);
            result = Problems.Internal();
        }
        finally
        {
            http.RequestAborted = aborted;
        }

        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : 200;
        var elapsed = Stopwatch.GetElapsedTime(started);
        LogRequest(logger, label(http), status, elapsed.TotalMilliseconds);
        services.GetRequiredService<Telemetry.HubMetrics>().Webhook(channel, status, elapsed);
        Activity.Current?.SetTag("hub.channel", channel);
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Endpoint} answered {Status} in {ElapsedMs:F1} ms")]
    private static partial void LogRequest(ILogger logger, string endpoint, int status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unavailable on {Endpoint} ({Cause}); answered 503, nothing acknowledged")]
    private static partial void LogUnavailable(ILogger logger, string endpoint, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request on {Endpoint} too large to store ({ErrorCode}); answered 413, nothing acknowledged")]
    private static partial void LogTooLarge(ILogger logger, string endpoint, string errorCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} on {Endpoint}; answered 500, nothing acknowledged")]
    private static partial void LogFailed(ILogger logger, string endpoint, string exceptionType, Exception exception);
}

public static class IntakeRequestFilterExtensions
{
    /// <summary>
    /// Puts an inbound endpoint behind <see cref="IntakeRequestFilter"/>; <paramref name="label"/> names it in the log (no
    /// request data), <paramref name="channel"/> in the metrics (a channel type, or <c>platform</c>).
    /// </summary>
    public static TBuilder WithIntakePolicy<TBuilder>(this TBuilder builder, string category, Func<HttpContext, string> label, string channel)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new IntakeRequestFilter(category, label, channel));
}
