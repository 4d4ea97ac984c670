using System.Text.Json;
using System.Text.Json.Serialization;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Processing;

/// <summary>
/// The custom-handler queue trigger, <c>POST /ProcessReport</c> in payload mode (azure.md §1.5): the host
/// sends <c>{Data, Metadata}</c> and expects <c>{Outputs, Logs, ReturnValue}</c>; a non-2xx answer fails the
/// invocation and the host retries. Poisoning is done here, with the error, exactly as the standalone poller
/// does, so operators see one format; if that write fails the host's own poisoning is the fallback.
/// </summary>
public static class ProcessReportFunction
{
    public const string FunctionName = "ProcessReport";
    public const string BindingName = "report";

    public static IEndpointRouteBuilder MapProcessReport(this IEndpointRouteBuilder app) =>
        app.MapQueueFunction(
            FunctionName,
            BindingName,
            async (sp, message, ct) => (await sp.GetRequiredService<ReportProcessor>().ProcessAsync(message, ct)).ToString(),
            storage => (storage.Reports, storage.ReportsPoison));

    /// <summary>Maps a custom-handler queue-trigger function: <c>POST /{name}</c> in payload mode.</summary>
    public static IEndpointRouteBuilder MapQueueFunction(
        this IEndpointRouteBuilder app,
        string functionName,
        string bindingName,
        Func<IServiceProvider, string, CancellationToken, Task<string>> process,
        Func<Storage.HubStorage, (Azure.Storage.Queues.QueueClient Source, Azure.Storage.Queues.QueueClient Poison)> queues)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/" + functionName, (HttpContext http, PoisonMessages poison, Storage.HubStorage storage, IOptions<HubOptions> options, CancellationToken ct) =>
                HandleAsync(http, functionName, bindingName, process, queues(storage), poison, options, ct))
            .WithName(functionName)
            .WithMetadata(new FunctionMetadata(functionName));
        return app;
    }

    private static async Task<IResult> HandleAsync(
        HttpContext http,
        string functionName,
        string bindingName,
        Func<IServiceProvider, string, CancellationToken, Task<string>> process,
        (Azure.Storage.Queues.QueueClient Source, Azure.Storage.Queues.QueueClient Poison) queues,
        PoisonMessages poison,
        IOptions<HubOptions> options,
        CancellationToken ct)
    {
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
            var outcome = await process(http.RequestServices, message, ct);
            logs.Add($"{functionName}: {outcome}");
            return Ok(logs);
        }
        catch (PoisonMessageException ex)
        {
            await poison.SendAsync(queues.Source, queues.Poison, message, ex.Message, dequeueCount, ct);
            logs.Add($"{functionName}: moved to poison: {ex.Message}");
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
    /// The host may JSON-encode a trigger string once or twice (azure.md §1.6 quirk 1), or hand over an
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
