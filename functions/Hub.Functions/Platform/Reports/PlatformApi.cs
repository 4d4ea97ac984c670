using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Hub.Core.Platform;
using Hub.Core.Signatures;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Platform;

/// <summary>An authenticated platform request: who, and the exact bytes it signed.</summary>
public sealed record PlatformRequest(RegisteredPlatform Platform, byte[] Body, HttpContext Http);

/// <summary>
/// The platform auto-report API, <c>/api/platform/v1</c> (docs/platform-api.md). Every call goes through one
/// wrapper, like the channel webhooks: body read under a cap (413), platform lookup and <c>X-Hub-Signature</c>
/// verification before anything is parsed (401, same scheme and code as the SMS-gateway contract), storage
/// outage → 503 with Retry-After, anything unexpected → 500 that never claims acceptance, one redacted log line.
/// </summary>
public static class PlatformApi
{
    public const string BasePath = "/api/platform/v1";
    public const string PlatformHeader = "X-Hub-Platform";
    private static readonly string[] NotAField = ["is not a field of this object (misspelt?)"];

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        Map(app.MapPost(BasePath + "/reports", (Func<HttpContext, Task<IResult>>)(http => Authenticated(http, o => o.MaxReportBytes, SubmitAsync))).WithIntakePolicy(LogCategory, Label("report"), "platform"), "PlatformReport");
        Map(app.MapPost(BasePath + "/reports/batch", (Func<HttpContext, Task<IResult>>)(http => Authenticated(http, o => o.MaxBatchBytes, SubmitBatchAsync))).WithIntakePolicy(LogCategory, Label("batch"), "platform"), "PlatformReportBatch");
        Map(app.MapGet(BasePath + "/reports/{id}", (HttpContext http, string id) => Authenticated(http, _ => 0, (r, ct) => StatusAsync(r, id, ct))).WithIntakePolicy(LogCategory, Label("status"), "platform"), "PlatformReportStatus");
        Map(app.MapPost(BasePath + "/takedowns/{id}/confirm", (HttpContext http, string id) => Authenticated(http, _ => 16 * 1024, (r, ct) => ConfirmAsync(r, id, ct))).WithIntakePolicy(LogCategory, Label("confirm"), "platform"), "PlatformTakedownConfirm");
        Map(app.MapPost(BasePath + "/hashes/match", (Func<HttpContext, Task<IResult>>)(http => Authenticated(http, o => o.MaxHashBytes, PlatformHashApi.MatchAsync))).WithIntakePolicy(LogCategory, Label("hash match"), "platform"), "PlatformHashMatch");
        Map(app.MapPost(BasePath + "/hashes", (Func<HttpContext, Task<IResult>>)(http => Authenticated(http, o => o.MaxHashBytes, PlatformHashApi.ContributeAsync))).WithIntakePolicy(LogCategory, Label("hash contribute"), "platform"), "PlatformHashContribute");
        Map(app.MapPost(BasePath + "/hashes/votes", (Func<HttpContext, Task<IResult>>)(http => Authenticated(http, o => o.MaxHashBytes, PlatformHashApi.VoteAsync))).WithIntakePolicy(LogCategory, Label("hash vote"), "platform"), "PlatformHashVote");
        Map(app.MapGet(BasePath + "/openapi.json", () => Results.Text(PlatformDocs.OpenApiJson, "application/json", Encoding.UTF8)), "PlatformOpenApi");
        Map(app.MapGet(BasePath + "/docs", () => Results.Text(PlatformDocs.Html, "text/html", Encoding.UTF8)), "PlatformDocs");
        Map(app.MapGet(BasePath + "/signing-keys", (HubSigningKeys keys) => Results.Json(keys.Published(), JwkJsonContext.Default.JwkSet)), "PlatformSigningKeys");
        return app;
    }

    private static void Map(RouteHandlerBuilder builder, string functionName) =>
        builder.WithName(functionName).WithMetadata(new FunctionMetadata(functionName));

    private const string LogCategory = "Hub.Platform";

    /// <summary>The log line's label: the platform id only once it has the shape of one (never arbitrary header text).</summary>
    private static Func<HttpContext, string> Label(string operation) => http =>
    {
        var platformId = http.Request.Headers[PlatformHeader].ToString();
        return $"platform {(PlatformIds.IsValid(platformId) ? platformId : "(unknown)")} {operation}";
    };

    private static async Task<IResult> Authenticated(HttpContext http, Func<PlatformApiOptions, int> maxBytes, Func<PlatformRequest, CancellationToken, Task<IResult>> handler)
    {
        var services = http.RequestServices;
        var ct = http.RequestAborted;
        var platformId = http.Request.Headers[PlatformHeader].ToString();
        var limit = maxBytes(services.GetRequiredService<IOptions<PlatformApiOptions>>().Value);
        var body = await RequestBody.ReadCappedAsync(http, limit, ct);
        if (body is null)
        {
            return Problems.TooLarge(limit);
        }

        var platform = await services.GetRequiredService<PlatformRegistry>().FindAsync(platformId, ct);
        var verdict = platform is null
            ? HubSignatureResult.Invalid
            : HubSignature.Verify(
                platform.Options.Secrets(),
                http.Request.Headers[HubSignature.TimestampHeader].ToString(),
                http.Request.Headers[HubSignature.SignatureHeader].ToString(),
                body,
                services.GetRequiredService<TimeProvider>().GetUtcNow(),
                HubSignature.DefaultWindow);
        switch (verdict)
        {
            case HubSignatureResult.Valid:
                break;
            case HubSignatureResult.Missing:
                return Problems.Unauthorized("X-Hub-Platform, X-Hub-Timestamp and X-Hub-Signature are required.");
            case HubSignatureResult.Stale:
                return Problems.Unauthorized("X-Hub-Timestamp is more than 5 minutes from the hub's clock.");
            default:
                // Unknown platform and wrong signature look the same: the answer must not reveal which ids exist.
                return Problems.Unauthorized("The platform is unknown or X-Hub-Signature does not verify.");
        }

        return await handler(new PlatformRequest(platform!, body, http), ct);
    }

    private static IResult? RateLimited(PlatformRequest r, int permits) =>
        Limited(r, r.Platform.Id, r.Platform.Options.RatePerMinute, PlatformBatch.MaxItems, permits, "reports");

    /// <summary>Takes <paramref name="permits"/> from the platform's bucket <paramref name="key"/>, or answers 429 with Retry-After.</summary>
    internal static IResult? Limited(PlatformRequest r, string key, int ratePerMinute, int burst, int permits, string what)
    {
        var limiter = r.Http.RequestServices.GetRequiredService<PlatformRateLimiter>();
        if (limiter.TryAcquire(key, ratePerMinute, burst, permits, out var wait))
        {
            return null;
        }

        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        r.Http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Results.Problem(
            title: "Too many requests",
            detail: $"Over this platform's limit of {ratePerMinute} {what} per minute. Retry after {seconds} s.",
            statusCode: StatusCodes.Status429TooManyRequests);
    }

    private static async Task<IResult> SubmitAsync(PlatformRequest r, CancellationToken ct)
    {
        if (!Problems.IsJson(r.Http.Request))
        {
            return Problems.UnsupportedMediaType("application/json");
        }

        if (RateLimited(r, 1) is { } limited)
        {
            return limited;
        }

        var reports = r.Http.RequestServices.GetRequiredService<PlatformReports>();
        var parsed = reports.Parse(r.Body, "$");
        if (parsed.Errors is { } errors)
        {
            return Problems.BadRequest("The report does not match the platform report schema (v1); every invalid field is listed under errors by JSON path.", errors);
        }

        try
        {
            var receipt = await reports.AcceptAsync(r.Platform, parsed.Report!, r.Body, ct);
            return Results.Json(receipt, PlatformJsonContext.Default.PlatformReceipt, statusCode: StatusCodes.Status202Accepted);
        }
        catch (EnvelopeTooLargeException ex)
        {
            return Results.Problem(title: "Payload too large", detail: ex.Message + " Send fewer URLs or files in one report.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
    }

    private static async Task<IResult> SubmitBatchAsync(PlatformRequest r, CancellationToken ct)
    {
        if (!Problems.IsJson(r.Http.Request))
        {
            return Problems.UnsupportedMediaType("application/json");
        }

        if (!System.Text.Unicode.Utf8.IsValid(r.Body))
        {
            return Problems.BadRequest("The body is not UTF-8."); // JsonDocument checks names and strings only when read
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(r.Body);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest($"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}).");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("reports", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                return Problems.BadRequest("A batch is an object with a 'reports' array.", new Dictionary<string, string[]> { ["$.reports"] = ["is required and must be an array"] });
            }

            var extra = root.EnumerateObject().Where(p => p.Name != "reports").Select(p => "$." + p.Name).ToList();
            if (extra.Count > 0)
            {
                return Problems.BadRequest("A batch has only a 'reports' array.", extra.ToDictionary(p => p, _ => NotAField));
            }

            var count = items.GetArrayLength();
            if (count is 0 or > PlatformBatch.MaxItems)
            {
                return Problems.BadRequest($"A batch holds 1 to {PlatformBatch.MaxItems} reports.", new Dictionary<string, string[]> { ["$.reports"] = [$"must have 1 to {PlatformBatch.MaxItems} items (has {count})"] });
            }

            if (RateLimited(r, count) is { } limited)
            {
                return limited;
            }

            // The items' exact bytes (GetRawText would transcode, and throw on invalid UTF-8: found by the fuzz suite).
            var raws = items.EnumerateArray().Select(e => System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e).ToArray()).ToArray();
            var result = await r.Http.RequestServices.GetRequiredService<PlatformReports>().AcceptBatchAsync(r.Platform, r.Body, raws, ct);
            if (result.Items.FirstOrDefault(i => i.RetryAfter is not null) is { RetryAfter: { } retryAfter })
            {
                // Some items were not stored: the answer says which (each 503 with retryAfter), and so does the header.
                r.Http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (result.Accepted > 0)
            {
                return Results.Json(result, PlatformJsonContext.Default.PlatformBatchResult, statusCode: StatusCodes.Status202Accepted);
            }

            if (result.Items.Any(i => i.Status == StatusCodes.Status503ServiceUnavailable))
            {
                return Results.Problem(
                    title: "Service unavailable",
                    detail: "Storage failed part-way and no report in the batch was stored; the items not stored are answered 503 under items: send them again after Retry-After.",
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    extensions: new Dictionary<string, object?> { ["items"] = result.Items });
            }

            var all = result.Items.Where(i => i.Errors is not null).SelectMany(i => i.Errors!).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            return Results.Problem(
                title: "Invalid request",
                detail: "No report in the batch was accepted; every invalid field is listed under errors by JSON path, and each item under items.",
                statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = all, ["items"] = result.Items });
        }
    }

    private static async Task<IResult> StatusAsync(PlatformRequest r, string id, CancellationToken ct)
    {
        var status = await r.Http.RequestServices.GetRequiredService<PlatformReports>().StatusAsync(r.Platform.Id, id, ct);
        return status is null
            ? Problems.NotFound($"This platform has no report '{id}'.")
            : Results.Json(status, PlatformJsonContext.Default.PlatformReportStatus);
    }

    private static async Task<IResult> ConfirmAsync(PlatformRequest r, string id, CancellationToken ct)
    {
        if (!Problems.IsJson(r.Http.Request))
        {
            return Problems.UnsupportedMediaType("application/json");
        }

        TakedownConfirmation? confirmation;
        try
        {
            confirmation = JsonSerializer.Deserialize(r.Body, PlatformJsonContext.Default.TakedownConfirmation);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest($"The body is not a takedown confirmation ({ex.Path ?? "$"}).");
        }

        var takedowns = r.Http.RequestServices.GetRequiredService<Takedowns>();
        var errors = takedowns.Validate(confirmation);
        if (errors.Count > 0)
        {
            return Problems.BadRequest("The confirmation is invalid.", errors);
        }

        var (outcome, record) = await takedowns.ConfirmAsync(r.Platform.Id, id, confirmation!, ct);
        return outcome switch
        {
            ConfirmOutcome.NotFound => Problems.NotFound($"This platform has no takedown request '{id}'."),
            ConfirmOutcome.Conflict => Results.Problem(title: "Conflict", detail: $"The takedown was already confirmed as '{record!.Outcome}'.", statusCode: StatusCodes.Status409Conflict),
            _ => Results.Json(record!, PlatformJsonContext.Default.TakedownRecord),
        };
    }
}
