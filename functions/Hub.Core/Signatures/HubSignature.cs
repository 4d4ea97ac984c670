using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Signatures;

public enum HubSignatureResult
{
    Valid,
    Missing,
    Malformed,
    Stale,
    Invalid,
}

/// <summary>
/// The hub's own signing scheme, used by the SMS-gateway contract and the platform API:
/// <c>X-Hub-Timestamp: unix seconds</c> and <c>X-Hub-Signature: v1=hex(HMAC-SHA256(secret, timestamp + "." + raw body))</c>.
/// Several <c>v1=</c> values may be sent comma-separated, and two secrets are accepted at once, so
/// either side can rotate without downtime. The timestamp bounds replay to the window.
/// </summary>
public static class HubSignature
{
    public const string TimestampHeader = "X-Hub-Timestamp";
    public const string SignatureHeader = "X-Hub-Signature";
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    public static string Compute(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(timestamp);
        Span<byte> mac = stackalloc byte[32];
        Mac(Encoding.UTF8.GetBytes(secret), timestamp, body, mac);
        return "v1=" + Convert.ToHexStringLower(mac);
    }

    public static HubSignatureResult Verify(
        IReadOnlyList<string> secrets,
        string? timestampHeader,
        string? signatureHeader,
        ReadOnlySpan<byte> body,
        DateTimeOffset now,
        TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (CheckHeaders(timestampHeader, signatureHeader, now, window, out var timestamp) is { } early)
        {
            return early;
        }

        var provided = new List<byte[]>(2);
        foreach (var part in signatureHeader!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("v1=", StringComparison.Ordinal) && part.Length == 67)
            {
                try
                {
                    provided.Add(Convert.FromHexString(part.AsSpan(3)));
                }
                catch (FormatException)
                {
                    // not hex: ignored like an unknown scheme version
                }
            }
        }

        if (provided.Count == 0)
        {
            return HubSignatureResult.Malformed;
        }

        Span<byte> expected = stackalloc byte[32];
        var match = false;
        foreach (var secret in secrets)
        {
            if (string.IsNullOrEmpty(secret))
            {
                continue;
            }

            Mac(Encoding.UTF8.GetBytes(secret), timestamp, body, expected);
            foreach (var p in provided)
            {
                // No early exit: every candidate is compared, each in constant time.
                match |= CryptographicOperations.FixedTimeEquals(expected, p);
            }
        }

        return match ? HubSignatureResult.Valid : HubSignatureResult.Invalid;
    }

    /// <summary>
    /// The checks both hub schemes (HMAC in, ES256 out) make before any cryptography: both headers present, the
    /// timestamp unix seconds and inside the window. Null when they pass (with the trimmed timestamp).
    /// </summary>
    internal static HubSignatureResult? CheckHeaders(string? timestampHeader, string? signatureHeader, DateTimeOffset now, TimeSpan window, out string timestamp)
    {
        timestamp = string.Empty;
        if (string.IsNullOrWhiteSpace(timestampHeader) || string.IsNullOrWhiteSpace(signatureHeader))
        {
            return HubSignatureResult.Missing;
        }

        timestamp = timestampHeader.Trim();
        if (timestamp.Length > 12 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return HubSignatureResult.Malformed;
        }

        return Math.Abs(now.ToUnixTimeSeconds() - seconds) > (long)window.TotalSeconds ? HubSignatureResult.Stale : null;
    }

    private static void Mac(byte[] key, string timestamp, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        using var h = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        h.AppendData(Encoding.UTF8.GetBytes(timestamp + "."));
        h.AppendData(body);
        h.GetHashAndReset(destination);
    }
}
