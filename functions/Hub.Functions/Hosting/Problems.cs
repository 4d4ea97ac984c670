namespace Hub.Functions.Hosting;

/// <summary>RFC 9457 problem details for every error the hub answers; never a hint of an expected secret.</summary>
public static class Problems
{
    public static IResult NotFound(string detail) =>
        Results.Problem(title: "Not found", detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static IResult BadRequest(string detail, IDictionary<string, string[]>? errors = null) =>
        errors is { Count: > 0 }
            ? Results.ValidationProblem(errors, detail: detail, title: "Invalid request")
            : Results.Problem(title: "Invalid request", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    public static IResult Unauthorized(string detail) =>
        Results.Problem(title: "Unauthorized", detail: detail, statusCode: StatusCodes.Status401Unauthorized);

    public static IResult Forbidden(string detail) =>
        Results.Problem(title: "Forbidden", detail: detail, statusCode: StatusCodes.Status403Forbidden);

    /// <summary>True when the request says its body is <c>application/json</c> (any parameters, any case).</summary>
    public static bool IsJson(HttpRequest request) =>
        request?.ContentType is { } header
        && System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(header, out var mt)
        && string.Equals(mt.MediaType, "application/json", StringComparison.OrdinalIgnoreCase);

    public static IResult UnsupportedMediaType(string expected) =>
        Results.Problem(title: "Unsupported media type", detail: $"Expected {expected}.", statusCode: StatusCodes.Status415UnsupportedMediaType);

    public static IResult TooLarge(long maxBytes) =>
        Results.Problem(title: "Payload too large", detail: $"The body exceeds {maxBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);

    public static IResult TooLargeToStore() =>
        Results.Problem(title: "Payload too large", detail: "A value in the request is too large to store; nothing was accepted.", statusCode: StatusCodes.Status413PayloadTooLarge);

    public static IResult Unavailable(int retryAfterSeconds) => new RetryAfterResult(
        Results.Problem(
            title: "Storage unavailable",
            detail: "The report could not be stored durably and was not accepted. Retry later.",
            statusCode: StatusCodes.Status503ServiceUnavailable),
        retryAfterSeconds);

    public static IResult Internal() =>
        Results.Problem(title: "Internal error", detail: "The request was not accepted. Retry later.", statusCode: StatusCodes.Status500InternalServerError);

    private sealed class RetryAfterResult(IResult inner, int seconds) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => StatusCodes.Status503ServiceUnavailable;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
