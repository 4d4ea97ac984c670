using Hub.Functions.Storage;

namespace Hub.Functions.Hosting;

/// <summary><c>GET /api/health</c>: liveness and storage readiness (200 when queues, tables and blobs answer; 503 otherwise).</summary>
public static class HealthApi
{
    public const string FunctionName = "Health";

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", CheckAsync).WithName(FunctionName).WithMetadata(new FunctionMetadata(FunctionName));
        return app;
    }

    private static async Task<IResult> CheckAsync(HubStorage storage, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await storage.EnsureCreatedAsync(timeout.Token);
            await Task.WhenAll(
                storage.Reports.GetPropertiesAsync(timeout.Token),
                storage.Cases.QueryAsync<Azure.Data.Tables.TableEntity>(maxPerPage: 1, cancellationToken: timeout.Token).AsPages().GetAsyncEnumerator(timeout.Token).MoveNextAsync().AsTask(),
                storage.Raw.GetPropertiesAsync(cancellationToken: timeout.Token));
            return Results.Json(new HealthReport("ok", "ok"), HealthJsonContext.Default.HealthReport);
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) || ex is OperationCanceledException)
        {
            return Results.Json(new HealthReport("degraded", "unavailable"), HealthJsonContext.Default.HealthReport, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}

public sealed record HealthReport(string Status, string Storage);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
internal sealed partial class HealthJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
