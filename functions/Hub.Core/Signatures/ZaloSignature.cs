using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Signatures;

/// <summary>Which of the published <c>X-ZEvent-Signature</c> formulas an OA uses (docs/protocols/zalo.md#signature: public sources disagree).</summary>
public enum ZaloSignatureVariant
{
    /// <summary><c>sha256(appId + body + timestamp + OA secret)</c>, timestamp from the body: chatwoot's production form. The default.</summary>
    AppId,

    /// <summary>The same with the OA id first (a 2026 integration guide).</summary>
    OaId,
}

/// <summary>
/// Zalo OA's <c>X-ZEvent-Signature: mac=&lt;hex&gt;</c> = lowercase hex SHA-256 of
/// UTF-8(first id) ‖ raw body bytes ‖ UTF-8(timestamp) ‖ UTF-8(OA secret key) (docs/protocols/zalo.md#signature).
/// The body is hashed as received; only its <c>timestamp</c> and ids are read to build the input.
/// </summary>
public static class ZaloSignature
{
    public const string Header = "X-ZEvent-Signature";
    private const string Prefix = "mac=";

    public static string Compute(string firstId, ReadOnlySpan<byte> body, string timestamp, string oaSecret)
    {
        Span<byte> mac = stackalloc byte[32];
        Hash(firstId, body, timestamp, oaSecret, mac);
        return Prefix + Convert.ToHexStringLower(mac);
    }

    public static WebhookSignatureResult Verify(string firstId, ReadOnlySpan<byte> body, string timestamp, string oaSecret, string? header)
    {
        ArgumentException.ThrowIfNullOrEmpty(oaSecret);
        if (string.IsNullOrEmpty(header))
        {
            return WebhookSignatureResult.Missing;
        }

        var hex = header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? header.AsSpan(Prefix.Length) : header.AsSpan();
        Span<byte> received = stackalloc byte[32];
        if (hex.Length != 64 || Convert.FromHexString(hex, received, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return WebhookSignatureResult.Malformed;
        }

        Span<byte> expected = stackalloc byte[32];
        Hash(firstId, body, timestamp, oaSecret, expected);
        return CryptographicOperations.FixedTimeEquals(expected, received) ? WebhookSignatureResult.Valid : WebhookSignatureResult.Invalid;
    }

    private static void Hash(string firstId, ReadOnlySpan<byte> body, string timestamp, string oaSecret, Span<byte> destination)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(firstId));
        sha.AppendData(body);
        sha.AppendData(Encoding.UTF8.GetBytes(timestamp));
        sha.AppendData(Encoding.UTF8.GetBytes(oaSecret));
        sha.GetHashAndReset(destination);
    }
}
