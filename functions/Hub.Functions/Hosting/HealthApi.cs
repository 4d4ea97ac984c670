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

    private static async Task<IResult> CheckAsync(HubStorage storage, Cases.ICaseStore cases, Spool.LocalSpool spool, CancellationToken ct)
    {
        // What an operator needs during an outage: is anything waiting in the local spool, or held for them?
        var spooled = spool.Enabled ? new SpoolHealth(spool.HasPending(), spool.PendingBytes, spool.HeldCount()) : null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await storage.EnsureCreatedAsync(timeout.Token);
            await Task.WhenAll(
                storage.Reports.GetPropertiesAsync(timeout.Token),
                cases.CheckAsync(timeout.Token),
                storage.Raw.GetPropertiesAsync(cancellationToken: timeout.Token));
            return Results.Json(new HealthReport("ok", "ok", spooled), HealthJsonContext.Default.HealthReport);
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) || ex is OperationCanceledException)
        {
            return Results.Json(new HealthReport("degraded", "unavailable", spooled), HealthJsonContext.Default.HealthReport, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}

public sealed record HealthReport(string Status, string Storage, SpoolHealth? Spool);

/// <summary>The standalone spool: records waiting for the relay (<c>pending</c>, bytes) and records held for an operator.</summary>
public sealed record SpoolHealth(bool Pending, long PendingBytes, int Held);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class HealthJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
