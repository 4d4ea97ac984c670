using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Privacy;

/// <summary>
/// AES-256-GCM with a key ring: everything is encrypted with the active key and records its key id, so
/// keys rotate by adding a new active key while old ciphertexts stay readable. The purpose string is
/// bound as associated data: a contact ciphertext cannot be replayed as another blob's content.
/// </summary>
public sealed class ContactCipher
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] BlobMagic = "HUBE1"u8.ToArray();
    private readonly IReadOnlyDictionary<string, byte[]> _keys;

    public ContactCipher(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(activeKeyId);
        foreach (var (id, key) in keys)
        {
            if (key.Length != 32)
            {
                throw new ArgumentException($"Contact key '{id}' must be 32 bytes (AES-256).", nameof(keys));
            }

            if (id.Length is 0 or > 64 || id.Contains('.', StringComparison.Ordinal))
            {
                throw new ArgumentException("Key ids are 1-64 characters without '.'.", nameof(keys));
            }
        }

        if (!keys.ContainsKey(activeKeyId))
        {
            throw new ArgumentException($"The active key '{activeKeyId}' is not in the key ring.", nameof(activeKeyId));
        }

        _keys = keys;
        ActiveKeyId = activeKeyId;
    }

    public string ActiveKeyId { get; }

    /// <summary>Encrypts a short string (a phone number) to <c>v1.{keyId}.{base64url(nonce|tag|ciphertext)}</c>.</summary>
    public string Protect(string plaintext, string purpose)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var sealedBytes = Seal(_keys[ActiveKeyId], Encoding.UTF8.GetBytes(plaintext), purpose);
        return $"v1.{ActiveKeyId}.{Base64Url(sealedBytes)}";
    }

    public string Unprotect(string protectedValue, string purpose)
    {
        ArgumentNullException.ThrowIfNull(protectedValue);
        var parts = protectedValue.Split('.');
        if (parts.Length != 3 || parts[0] != "v1" || !_keys.TryGetValue(parts[1], out var key))
        {
            throw new CryptographicException("Unknown protected-value format or key id.");
        }

        return Encoding.UTF8.GetString(Open(key, FromBase64Url(parts[2]), purpose));
    }

    /// <summary>Self-describing binary form for blobs: <c>HUBE1 | len | keyId | nonce | tag | ciphertext</c>.</summary>
    public byte[] EncryptBlob(ReadOnlySpan<byte> plaintext, string purpose)
    {
        var id = Encoding.UTF8.GetBytes(ActiveKeyId);
        var sealedBytes = Seal(_keys[ActiveKeyId], plaintext, purpose);
        var output = new byte[BlobMagic.Length + 1 + id.Length + sealedBytes.Length];
        BlobMagic.CopyTo(output, 0);
        output[BlobMagic.Length] = (byte)id.Length;
        id.CopyTo(output, BlobMagic.Length + 1);
        sealedBytes.CopyTo(output, BlobMagic.Length + 1 + id.Length);
        return output;
    }

    public byte[] DecryptBlob(ReadOnlySpan<byte> blob, string purpose)
    {
        if (blob.Length < BlobMagic.Length + 1 || !blob[..BlobMagic.Length].SequenceEqual(BlobMagic))
        {
            throw new CryptographicException("Not an encrypted hub blob.");
        }

        int idLength = blob[BlobMagic.Length];
        var idStart = BlobMagic.Length + 1;
        if (blob.Length < idStart + idLength + NonceSize + TagSize)
        {
            throw new CryptographicException("Truncated encrypted blob.");
        }

        var id = Encoding.UTF8.GetString(blob.Slice(idStart, idLength));
        if (!_keys.TryGetValue(id, out var key))
        {
            throw new CryptographicException($"Unknown key id '{id}'.");
        }

        return Open(key, blob[(idStart + idLength)..], purpose);
    }

    private static byte[] Seal(byte[] key, ReadOnlySpan<byte> plaintext, string purpose)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Aad(purpose));
        return output;
    }

    private static byte[] Open(byte[] key, ReadOnlySpan<byte> sealedBytes, string purpose)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Truncated ciphertext.");
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedBytes[..NonceSize], sealedBytes[(NonceSize + TagSize)..], sealedBytes.Slice(NonceSize, TagSize), plaintext, Aad(purpose));
        return plaintext;
    }

    private static byte[] Aad(string purpose)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        var bytes = Encoding.UTF8.GetBytes(purpose);
        var aad = new byte[4 + bytes.Length];
        BinaryPrimitives.WriteInt32BigEndian(aad, bytes.Length);
        bytes.CopyTo(aad, 4);
        return aad;
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + ((4 - (b.Length % 4)) % 4), '='));
    }
}
