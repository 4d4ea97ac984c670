using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Hub.Functions.Messaging;

namespace Hub.Functions.Telemetry;

/// <summary>
/// A queue message handled under its own consumer span, in both hosting modes. A message that carries a W3C
/// <c>trace</c> (the report envelope's <c>trace.traceparent</c>, docs/envelope.md) continues the trace of the request
/// that queued it, so one report is one trace from the provider's webhook to its case; the span that delivered the
/// message here (the Functions host's invocation) is kept as a link. Outcomes and failures are counted.
/// </summary>
public static class QueueTelemetry
{
    public static async Task<string> HandleAsync(IQueueHandler handler, string queue, string message, HubMetrics metrics, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(metrics);
        var started = Stopwatch.GetTimestamp();
        using var span = StartConsumer(queue, message);
        var queueTag = new KeyValuePair<string, object?>("queue", queue);
        try
        {
            var outcome = await handler.HandleAsync(message, ct);
            span?.SetTag("hub.outcome", outcome);
            metrics.Processed.Add(1, queueTag, new KeyValuePair<string, object?>("outcome", "succeeded"));
            return outcome;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var outcome = ex switch
            {
                PoisonMessageException => "poisoned",
                DependencyUnavailableException => "held_back",
                _ => "failed",
            };
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name); // the type only: messages can quote the report
            span?.SetTag("hub.outcome", outcome);
            metrics.Processed.Add(1, queueTag, new KeyValuePair<string, object?>("outcome", outcome));
            if (outcome == "failed")
            {
                metrics.ProcessorFailures.Add(1, queueTag, new KeyValuePair<string, object?>("kind", ex.GetType().Name));
            }

            throw;
        }
        finally
        {
            metrics.ProcessorDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, queueTag);
        }
    }

    /// <summary>The consumer span: parented on the message's trace when it has one, linked to the delivering span.</summary>
    public static Activity? StartConsumer(string queue, string message)
    {
        if (!HubTelemetry.Source.HasListeners())
        {
            return null;
        }

        var delivering = Activity.Current;
        var parent = TraceOf(message) is { } traceparent && ActivityContext.TryParse(traceparent, null, out var context) ? context : delivering?.Context ?? default;
        IEnumerable<ActivityLink>? links = delivering is not null && delivering.Context != parent ? [new ActivityLink(delivering.Context)] : null;
        var span = HubTelemetry.Source.StartActivity(ActivityKind.Consumer, parent, links: links, name: "process " + queue);
        span?.SetTag("messaging.system", "azure_queue_storage");
        span?.SetTag("messaging.destination.name", queue);
        span?.SetTag("messaging.operation.type", "process");
        return span;
    }

    private static string? TraceparentIn(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isParent = reader.ValueTextEquals("traceparent"u8);
            reader.Read();
            if (isParent)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            reader.Skip();
        }

        return null;
    }

    /// <summary>The W3C traceparent in a JSON message's top-level <c>trace</c> (<c>{"traceparent": …}</c> or a string), without reading the rest into objects.</summary>
    public static string? TraceOf(string message)
    {
        if (string.IsNullOrEmpty(message) || message[0] != '{')
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(message));
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTrace = reader.ValueTextEquals("trace"u8);
                reader.Read();
                if (isTrace)
                {
                    return reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.StartObject => TraceparentIn(ref reader),
                        _ => null,
                    };
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON: the handler says so (poison); tracing just has no parent.
        }

        return null;
    }
}

/// <summary>Counts a public page's submissions like a webhook's (<see cref="HubMetrics.Webhook"/>): the web form has no provider, but it is a channel.</summary>
public sealed class RequestMetricsFilter(string channel) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var started = Stopwatch.GetTimestamp();
        Activity.Current?.SetTag("hub.channel", channel);
        var result = await next(context);
        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : 200;
        context.HttpContext.RequestServices.GetRequiredService<HubMetrics>().Webhook(channel, status, Stopwatch.GetElapsedTime(started));
        return result;
    }
}
