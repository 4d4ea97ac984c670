using System.Collections.Concurrent;
using Hub.Core.Platform;
using Hub.Core.Signatures;

namespace Hub.Simulators;

/// <summary>
/// What a party receiving the hub's signed POSTs (a platform's takedown endpoint, an agency's referral webhook) does
/// first: read the exact body and verify its ES256 signature against the hub's published keys (by <c>X-Hub-Key-Id</c>)
/// within the timestamp window.
/// </summary>
internal sealed record HubSignedRequest(byte[] Body, string KeyId, string Timestamp, string Signature, bool Valid)
{
    public static async Task<HubSignedRequest> ReadAsync(HttpContext http, ConcurrentDictionary<string, Jwk> hubKeys)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var kid = http.Request.Headers[HubCallbackSignature.KeyIdHeader].ToString();
        var timestamp = http.Request.Headers[HubSignature.TimestampHeader].ToString();
        var signature = http.Request.Headers[HubSignature.SignatureHeader].ToString();
        var valid = false;
        if (hubKeys.TryGetValue(kid, out var jwk))
        {
            using var key = HubCallbackSignature.FromJwk(jwk);
            valid = HubCallbackSignature.Verify(key, timestamp, signature, body, TimeProvider.System.GetUtcNow(), HubSignature.DefaultWindow) == HubSignatureResult.Valid;
        }

        return new HubSignedRequest(body, kid, timestamp, signature, valid);
    }

    /// <summary>Answers the next queued fault (a status and an optional Retry-After), if any.</summary>
    public static IResult? Fault(HttpContext http, ConcurrentQueue<(int Status, int? RetryAfter)> faults)
    {
        if (!faults.TryDequeue(out var fault))
        {
            return null;
        }

        if (fault.RetryAfter is { } s)
        {
            http.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Results.StatusCode(fault.Status);
    }
}
