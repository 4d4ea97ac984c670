using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Signatures;

public enum WebhookSignatureResult
{
    Valid,
    Missing,
    Malformed,
    Invalid,
    Stale,
}

/// <summary>
/// Meta's <c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c>: lowercase hex HMAC-SHA256 of the raw body bytes keyed
/// with the App Secret (docs/protocols/messenger.md#signature). The bytes are hashed as received, never re-serialised.
/// </summary>
public static class MetaSignature
{
    public const string Header = "X-Hub-Signature-256";
    private const string Prefix = "sha256=";

    public static string Compute(string appSecret, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(appSecret);
        return Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));
    }

    public static WebhookSignatureResult Verify(string appSecret, ReadOnlySpan<byte> body, string? header)
    {
        ArgumentException.ThrowIfNullOrEmpty(appSecret);
        if (string.IsNullOrEmpty(header))
        {
            return WebhookSignatureResult.Missing;
        }

        // courier's rule: exactly "sha256=" + 64 hex characters.
        if (header.Length != Prefix.Length + 64 || !header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return WebhookSignatureResult.Malformed;
        }

        Span<byte> received = stackalloc byte[32];
        if (Convert.FromHexString(header.AsSpan(Prefix.Length), received, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return WebhookSignatureResult.Malformed;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, received) ? WebhookSignatureResult.Valid : WebhookSignatureResult.Invalid;
    }
}
