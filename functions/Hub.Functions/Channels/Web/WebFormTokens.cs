using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hub.Functions.Privacy;

namespace Hub.Functions.Channels.Web;

/// <summary>A verified form token: when the form was served, and the nonce that names the report it becomes.</summary>
public sealed record FormToken(string Value, DateTimeOffset IssuedAt, string Nonce)
{
    /// <summary>The report's provider message id: a double submit or a browser's retry of one form is one report.</summary>
    public string MessageId => "web-" + Nonce;
}

/// <summary>
/// The signed form token each served form carries: <c>v1.{unix seconds}.{nonce}.{mac}</c>, HMAC-SHA256 under a key
/// derived from the pseudonym key (nothing more to configure, the same on every instance). It proves the form came
/// from the hub, says how long the person had it open (the minimum fill time), and its nonce makes the submission
/// idempotent. The status secrets' key is derived here too, once.
/// </summary>
public sealed class WebFormTokens(PrivacyServices privacy, TimeProvider time)
{
    private readonly byte[] _key = privacy.Pseudonymizer.DeriveKey("web-form-token");
    private readonly byte[] _statusKey = privacy.Pseudonymizer.DeriveKey("web-status-secret");

    /// <summary>The one-time status secret shown with a receipt (<see cref="Hub.Core.Envelope.StatusSecret"/>), under its own derived key.</summary>
    public string StatusSecretFor(string referenceCode) => Hub.Core.Envelope.StatusSecret.For(_statusKey, referenceCode);

    /// <summary>Whether a typed secret is <paramref name="referenceCode"/>'s (constant time).</summary>
    public bool StatusSecretMatches(string referenceCode, string? typed) => Hub.Core.Envelope.StatusSecret.Matches(_statusKey, referenceCode, typed);

    public FormToken Issue() => Issue(time.GetUtcNow());

    public FormToken Issue(DateTimeOffset at)
    {
        var nonce = Base64Url(RandomNumberGenerator.GetBytes(16));
        var body = $"v1.{at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.{nonce}";
        return new FormToken(body + "." + Mac(body), DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds()), nonce);
    }

    /// <summary>The token, if it is one this hub signed; its age is the caller's to judge.</summary>
    public FormToken? Verify(string? value)
    {
        if (value is not { Length: > 10 and < 200 })
        {
            return null;
        }

        var parts = value.Split('.');
        if (parts is not ["v1", var seconds, var nonce, var mac] || nonce.Length != 22
            || !long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var unix) || unix > 32503680000)
        {
            return null;
        }

        var expected = Encoding.ASCII.GetBytes(Mac($"v1.{seconds}.{nonce}"));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(mac))
            ? new FormToken(value, DateTimeOffset.FromUnixTimeSeconds(unix), nonce)
            : null;
    }

    private string Mac(string body) => Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(body)).AsSpan(0, 16));

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
