using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Privacy;

/// <summary>
/// Keyed pseudonyms for children's identifiers: HMAC-SHA256(key, kind + ":" + id). The same person
/// always maps to the same pseudonym (reports can be linked), and without the key the number cannot be
/// recovered by enumerating the ~10^9 Vietnamese mobile numbers, as a plain hash could be.
/// </summary>
public sealed class Pseudonymizer
{
    public const string PhoneKind = "msisdn";
    private readonly byte[] _key;

    public Pseudonymizer(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32)
        {
            throw new ArgumentException("The pseudonym key must be at least 32 bytes.", nameof(key));
        }

        _key = key;
    }

    /// <summary><c>ps1_</c> + 128 bits hex. <paramref name="kind"/> namespaces ids (a phone number is the
    /// same person whichever SMS channel it came through; a Zalo id is scoped to its app).</summary>
    public string For(string kind, string id)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(id);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(kind + ":" + id), mac);
        return "ps1_" + Convert.ToHexStringLower(mac[..16]);
    }

    public string ReferenceCodeFor(string dedupKey) => Envelope.ReferenceCode.For(_key, dedupKey);

    /// <summary>
    /// A key for one purpose (the web form's tokens, its status secrets), derived from the pseudonym key with HKDF, so
    /// no extra secret has to be configured and no purpose's key can be turned into another's.
    /// </summary>
    public byte[] DeriveKey(string purpose)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, 32, salt: [], info: Encoding.UTF8.GetBytes("hub-derived-key\n" + purpose));
    }
}
