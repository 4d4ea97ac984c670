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
            var caseStore = CheckCasesAsync(cases, timeout.Token);
            var storageOk = true;
            try
            {
                await storage.EnsureCreatedAsync(timeout.Token);
                await Task.WhenAll(storage.Reports.GetPropertiesAsync(timeout.Token), storage.Raw.GetPropertiesAsync(cancellationToken: timeout.Token));
            }
            catch (Exception ex) when (HubStorage.IsUnavailable(ex) || ex is OperationCanceledException)
            {
                storageOk = false;
            }

            // Intake needs storage only; with the case store down reports wait in the queue, which is degraded too.
            var casesOk = await caseStore;
            var report = new HealthReport(storageOk && casesOk ? "ok" : "degraded", storageOk ? "ok" : "unavailable", spooled, casesOk ? "ok" : "unavailable");
            return Results.Json(report, HealthJsonContext.Default.HealthReport, statusCode: storageOk && casesOk ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception ex) when (HubStorage.IsUnavailable(ex) || ex is OperationCanceledException)
        {
            return Results.Json(new HealthReport("degraded", "unavailable", spooled, null), HealthJsonContext.Default.HealthReport, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<bool> CheckCasesAsync(Cases.ICaseStore cases, CancellationToken ct)
    {
        try
        {
            await cases.CheckAsync(ct);
            return true;
        }
        catch (Exception ex) when (Cases.Database.CaseDatabase.IsUnavailable(ex) || ex is OperationCanceledException || ex is InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary><c>GET /api/health</c>: storage (what intake needs), the spool, and the case store (what processing needs).</summary>
public sealed record HealthReport(string Status, string Storage, SpoolHealth? Spool, string? Cases);

/// <summary>The standalone spool: records waiting for the relay (<c>pending</c>, bytes) and records held for an operator.</summary>
public sealed record SpoolHealth(bool Pending, long PendingBytes, int Held);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class HealthJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
