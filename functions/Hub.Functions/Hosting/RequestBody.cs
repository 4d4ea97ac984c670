using Microsoft.AspNetCore.Http.Features;

namespace Hub.Functions.Hosting;

/// <summary>The raw request body, buffered under a cap: what every signature check needs (the exact bytes).</summary>
public static class RequestBody
{
    /// <summary>The body, or null when it exceeds <paramref name="maxBytes"/> (by Content-Length or as read).</summary>
    public static async Task<byte[]?> ReadCappedAsync(HttpContext http, int maxBytes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Request.ContentLength > maxBytes)
        {
            return null;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBytes + 1L;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // the server's own limit tripped first
        }

        return buffer.ToArray();
    }
}
