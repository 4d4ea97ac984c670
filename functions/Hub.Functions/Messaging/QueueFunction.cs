using System.Text.Json;
using System.Text.Json.Serialization;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Messaging;

/// <summary>
/// A custom-handler queue trigger, <c>POST /{FunctionName}</c> in payload mode (docs/hosting.md): the host sends
/// <c>{Data, Metadata}</c> and expects <c>{Outputs, Logs, ReturnValue}</c>; a non-2xx answer fails the invocation
/// and the host retries. Poisoning is done here, with the error, exactly as the standalone <see cref="QueueWorker"/>
/// does, so operators see one format; if that write fails the host's own poisoning is the fallback.
/// </summary>
public static class QueueFunction
{
    /// <summary>Maps one function per registered <see cref="QueueConsumer"/>.</summary>
    public static IEndpointRouteBuilder MapQueueFunctions(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var consumer in app.ServiceProvider.GetServices<QueueConsumer>())
        {
            app.MapPost("/" + consumer.FunctionName, (HttpContext http, PoisonMessages poison, Storage.HubStorage storage, IOptions<HubOptions> options, CancellationToken ct) =>
                {
                    var queue = consumer.Queue(storage);
                    return HandleAsync(http, consumer, (IQueueHandler)http.RequestServices.GetRequiredService(consumer.Handler), (queue, storage.PoisonQueue(queue.Name)), poison, options, ct);
                })
                .WithName(consumer.FunctionName)
                .WithMetadata(new FunctionMetadata(consumer.FunctionName));
        }

        return app;
    }

    private static async Task<IResult> HandleAsync(
        HttpContext http,
        QueueConsumer consumer,
        IQueueHandler handler,
        (Azure.Storage.Queues.QueueClient Source, Azure.Storage.Queues.QueueClient Poison) queues,
        PoisonMessages poison,
        IOptions<HubOptions> options,
        CancellationToken ct)
    {
        var functionName = consumer.FunctionName;
        var bindingName = consumer.BindingName;
        InvocationRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(http.Request.Body, InvocationJsonContext.Default.InvocationRequest, ct);
        }
        catch (JsonException)
        {
            return Problems.BadRequest("Expected a Functions custom-handler invocation {Data, Metadata}.");
        }

        string? message;
        try
        {
            message = request?.Data is not null && request.Data.TryGetValue(bindingName, out var data) ? ExtractMessage(data) : null;
        }
        catch (InvalidOperationException)
        {
            message = null; // a string the JSON reader cannot turn into UTF-16 (invalid UTF-8): not a queue message
        }

        if (message is null)
        {
            return Problems.BadRequest($"Data.{bindingName} is missing.");
        }

        var dequeueCount = request!.Metadata is { } md && md.TryGetValue("DequeueCount", out var dc) && dc.ValueKind == JsonValueKind.Number && dc.TryGetInt64(out var n) ? n : 1;
        var logs = new List<string>();
        try
        {
            var outcome = await Telemetry.QueueTelemetry.HandleAsync(handler, queues.Source.Name, message, http.RequestServices.GetRequiredService<Telemetry.HubMetrics>(), ct);
            logs.Add($"{functionName}: {outcome}");
            return Ok(logs);
        }
        catch (PoisonMessageException ex)
        {
            await poison.SendAsync(queues.Source, queues.Poison, message, ex.Message, dequeueCount, ct);
            logs.Add($"{functionName}: moved to poison: {ex.Message}");
            return Ok(logs);
        }
        catch (DependencyUnavailableException ex)
        {
            // The host counts every delivery toward poisoning, and a failed answer is a delivery: instead, put a fresh copy
            // back (attempts reset, hidden for the back-off) and answer success so the host deletes this one. If the copy
            // cannot be written, fail: the host retries the original (docs/reliability.md#case-store-outages).
            await QueueWorker.HoldBackAsync(queues.Source, message, ex.RetryAfter, ct);
            logs.Add($"{functionName}: {ex.Dependency} unavailable; held back {ex.RetryAfter.TotalSeconds:F0} s (not an attempt)");
            return Ok(logs);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logs.Add($"{functionName}: attempt {dequeueCount} failed: {ex.GetType().Name}");
            if (dequeueCount >= options.Value.Processor.MaxDequeueCount)
            {
                await poison.SendAsync(queues.Source, queues.Poison, message, $"{ex.GetType().Name}: {ex.Message}", dequeueCount, ct);
                logs.Add($"{functionName}: moved to poison");
                return Ok(logs);
            }

            return Results.Json(new InvocationResponse(new Dictionary<string, JsonElement>(), logs, null), InvocationJsonContext.Default.InvocationResponse, statusCode: 500);
        }
    }

    /// <summary>
    /// The host may JSON-encode a trigger string once or twice (docs/hosting.md, "queue trigger payloads"), or hand over an
    /// object when the message is JSON: take a string's value, unwrap a second quoted layer, keep objects raw.
    /// </summary>
    internal static string? ExtractMessage(JsonElement data)
    {
        switch (data.ValueKind)
        {
            case JsonValueKind.String:
                var s = data.GetString();
                if (s is { Length: > 1 } && s[0] == '"')
                {
                    try
                    {
                        return JsonSerializer.Deserialize(s, InvocationJsonContext.Default.String) ?? s;
                    }
                    catch (JsonException)
                    {
                        return s;
                    }
                }

                return s;
            case JsonValueKind.Object:
                return data.GetRawText();
            default:
                return null;
        }
    }

    private static IResult Ok(List<string> logs) =>
        Results.Json(new InvocationResponse(new Dictionary<string, JsonElement>(), logs, null), InvocationJsonContext.Default.InvocationResponse);
}

public sealed record InvocationRequest(Dictionary<string, JsonElement>? Data, Dictionary<string, JsonElement>? Metadata);

public sealed record InvocationResponse(Dictionary<string, JsonElement> Outputs, List<string> Logs, JsonElement? ReturnValue);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(InvocationRequest))]
[JsonSerializable(typeof(InvocationResponse))]
[JsonSerializable(typeof(string))]
internal sealed partial class InvocationJsonContext : JsonSerializerContext;
