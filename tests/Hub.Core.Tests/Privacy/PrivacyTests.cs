using System.Security.Cryptography;
using System.Text;
using Hub.Core.Privacy;

namespace Hub.Core.Tests.Privacy;

public class PrivacyTests
{
    private static readonly byte[] KeyA = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] KeyB = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Pseudonym_SamePersonSameKey_IsStableAndHidesNumber()
    {
        var p = new Pseudonymizer(KeyA);
        var a = p.For(Pseudonymizer.PhoneKind, "+84912345678");
        a.ShouldBe(p.For(Pseudonymizer.PhoneKind, "+84912345678"));
        a.ShouldStartWith("ps1_");
        a.ShouldNotContain("912345678");
        a.ShouldNotBe(p.For(Pseudonymizer.PhoneKind, "+84912345679"));
    }

    [Fact]
    public void Pseudonym_DifferentKey_Differs() =>
        new Pseudonymizer(KeyA).For("msisdn", "+84912345678").ShouldNotBe(new Pseudonymizer(KeyB).For("msisdn", "+84912345678"));

    [Fact]
    public void Pseudonymizer_ShortKey_Refused() =>
        Should.Throw<ArgumentException>(() => new Pseudonymizer(new byte[16]));

    [Fact]
    public void Contact_RoundTrips_AndRecordsKeyId()
    {
        var c = new ContactCipher(new Dictionary<string, byte[]> { ["k1"] = KeyA }, "k1");
        var sealedValue = c.Protect("+84912345678", "contact");
        sealedValue.ShouldStartWith("v1.k1.");
        sealedValue.ShouldNotContain("912345678");
        c.Unprotect(sealedValue, "contact").ShouldBe("+84912345678");
    }

    [Fact]
    public void Contact_EncryptsFreshEachTime() =>
        new ContactCipher(new Dictionary<string, byte[]> { ["k1"] = KeyA }, "k1").Protect("x", "contact")
            .ShouldNotBe(new ContactCipher(new Dictionary<string, byte[]> { ["k1"] = KeyA }, "k1").Protect("x", "contact"));

    [Fact]
    public void Contact_RotatedKeys_OldCiphertextStillReadable()
    {
        var old = new ContactCipher(new Dictionary<string, byte[]> { ["k1"] = KeyA }, "k1").Protect("+84900000001", "contact");
        var rotated = new ContactCipher(new Dictionary<string, byte[]> { ["k1"] = KeyA, ["k2"] = KeyB }, "k2");
        rotated.Unprotect(old, "contact").ShouldBe("+84900000001");
        rotated.Protect("+84900000001", "contact").ShouldStartWith("v1.k2.");
    }

    [Fact]
    public void Contact_WrongPurposeOrTampered_Fails()
    {
        var c = new ContactCipher(new Dictionary<string, byte[]> { ["k1"] = KeyA }, "k1");
        var sealedValue = c.Protect("+84912345678", "contact");
        Should.Throw<CryptographicException>(() => c.Unprotect(sealedValue, "raw"));
        var chars = sealedValue.ToCharArray();
        chars[^3] = chars[^3] == 'A' ? 'B' : 'A';
        Should.Throw<CryptographicException>(() => c.Unprotect(new string(chars), "contact"));
    }

    [Fact]
    public void Blob_RoundTrips_WithKeyIdInHeader()
    {
        var ring = new Dictionary<string, byte[]> { ["k1"] = KeyA, ["k2"] = KeyB };
        var plain = Encoding.UTF8.GetBytes("From=%2B84912345678&Body=hello");
        var blob = new ContactCipher(ring, "k1").EncryptBlob(plain, "raw/abc");
        Encoding.UTF8.GetString(blob).ShouldNotContain("84912345678");
        new ContactCipher(ring, "k2").DecryptBlob(blob, "raw/abc").ShouldBe(plain);
        Should.Throw<CryptographicException>(() => new ContactCipher(ring, "k2").DecryptBlob(blob, "raw/other"));
    }

    [Theory]
    [InlineData("0912345678", "+84912345678")]
    [InlineData("84912345678", "+84912345678")]
    [InlineData("+84 912 345 678", "+84912345678")]
    [InlineData("(+84) 91-234-5678", "+84912345678")]
    [InlineData("0084912345678", "+84912345678")]
    [InlineData("+14133881111", "+14133881111")]
    [InlineData("111", "111")]
    [InlineData("whatsapp:+84912345678", "whatsapp:+84912345678")]
    [InlineData("", "")]
    public void Msisdn_Normalize_ToE164(string input, string expected) => Msisdn.Normalize(input).ShouldBe(expected);
}
