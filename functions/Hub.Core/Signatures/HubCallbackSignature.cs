using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Hub.Core.Signatures;

/// <summary>A public key as a JWK (RFC 7517/7518): what platforms fetch from <c>GET /api/platform/v1/signing-keys</c>.</summary>
public sealed record Jwk(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("use")] string Use);

public sealed record JwkSet([property: JsonPropertyName("keys")] IReadOnlyList<Jwk> Keys);

[JsonSerializable(typeof(JwkSet))]
public sealed partial class JwkJsonContext : JsonSerializerContext;

/// <summary>
/// How the hub signs what it sends to platforms (takedown requests): ECDSA P-256 with SHA-256 (ES256) over
/// <c>timestamp + "." + raw body</c>, the same string the platforms sign with HMAC. Headers:
/// <c>X-Hub-Key-Id</c>, <c>X-Hub-Timestamp</c>, <c>X-Hub-Signature: es256=base64url(r‖s)</c>.
/// An asymmetric key, not the platform's shared secret, because a takedown request must be provably the
/// hub's: whoever holds a platform secret (the platform itself) cannot forge one, and platforms verify with a
/// published public key they never have to keep secret.
/// </summary>
public static class HubCallbackSignature
{
    public const string KeyIdHeader = "X-Hub-Key-Id";
    public const string Scheme = "es256=";

    public static string Sign(ECDsa key, string timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(timestamp);
        var signature = key.SignData(Payload(timestamp, body), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return Scheme + Base64Url(signature);
    }

    public static HubSignatureResult Verify(
        ECDsa publicKey,
        string? timestampHeader,
        string? signatureHeader,
        ReadOnlySpan<byte> body,
        DateTimeOffset now,
        TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (HubSignature.CheckHeaders(timestampHeader, signatureHeader, now, window, out var timestamp) is { } early)
        {
            return early;
        }

        var value = signatureHeader!.Trim();
        if (!value.StartsWith(Scheme, StringComparison.Ordinal) || !TryFromBase64Url(value[Scheme.Length..], out var signature) || signature.Length != 64)
        {
            return HubSignatureResult.Malformed;
        }

        return publicKey.VerifyData(Payload(timestamp, body), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            ? HubSignatureResult.Valid
            : HubSignatureResult.Invalid;
    }

    public static Jwk ToJwk(ECDsa key, string keyId)
    {
        ArgumentNullException.ThrowIfNull(key);
        var p = key.ExportParameters(includePrivateParameters: false);
        if (p.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new ArgumentException("The hub's signing key must be on P-256.", nameof(key));
        }

        return new Jwk("EC", "P-256", Base64Url(p.Q.X!), Base64Url(p.Q.Y!), keyId, "ES256", "sig");
    }

    public static ECDsa FromJwk(Jwk jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        TryFromBase64Url(jwk.X, out var x);
        TryFromBase64Url(jwk.Y, out var y);
        return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
    }

    private static byte[] Payload(string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var payload = new byte[prefix.Length + body.Length];
        prefix.CopyTo(payload, 0);
        body.CopyTo(payload.AsSpan(prefix.Length));
        return payload;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryFromBase64Url(string s, out byte[] bytes)
    {
        var b64 = s.Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        try
        {
            bytes = Convert.FromBase64String(b64);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
