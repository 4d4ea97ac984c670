using System.Security.Cryptography;
using Hub.Core.Envelope;

namespace Hub.Functions.Hashing;

/// <summary>
/// The digests every stored evidence item carries (docs/hash-bank.md): SHA-256 (integrity, already there), MD5 and
/// SHA-1 (what NCMEC's and most hash lists carry) and, for an image, its PDQ hash and quality — computed once, from
/// the bytes as stored, before the report is acknowledged, so every later match reads them from the envelope.
/// </summary>
public static class EvidenceDigests
{
    public static Evidence With(Evidence evidence, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(evidence);
#pragma warning disable CA5350, CA5351 // MD5 and SHA-1 are recorded to match other parties' hash lists, never for security.
        var withExact = evidence with
        {
            Md5 = Convert.ToHexStringLower(MD5.HashData(bytes)),
            Sha1 = Convert.ToHexStringLower(SHA1.HashData(bytes)),
        };
#pragma warning restore CA5350, CA5351
        if (evidence.Kind != "image")
        {
            return withExact;
        }

        var (pdq, _) = ImageHashes.Pdq(bytes);
        return pdq is { } r ? withExact with { Pdq = r.Hash.ToString(), PdqQuality = r.Quality } : withExact;
    }
}
