using System.Text;
using Hub.Core.Envelope;

namespace Hub.Core.Tests.Envelope;

public sealed class StatusSecretTests
{
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("status-secret-test-key-0123456789abcdef");

    [Fact]
    public void For_SameCode_SameSecretInCrockfordGroups()
    {
        var secret = StatusSecret.For(Key, "7K2Q-9XMD");
        secret.ShouldMatch("^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$");
        StatusSecret.For(Key, "7K2Q-9XMD").ShouldBe(secret);
        StatusSecret.For(Key, "7K2Q-9XME").ShouldNotBe(secret);
        StatusSecret.For(Encoding.ASCII.GetBytes("another-key-entirely-0123456789abcdefgh"), "7K2Q-9XMD").ShouldNotBe(secret);
    }

    /// <summary>
    /// Codes already given to reporters must never change: both pinned to values computed independently
    /// (Python's hmac: HMAC-SHA256, the first 5 or 7 bytes, their low 40 or 50 bits in Crockford base32).
    /// </summary>
    [Fact]
    public void For_PinnedVectors_Unchanged()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        ReferenceCode.For(key, "hn-sms|SM1").ShouldBe("HCQ3-KM98");
        StatusSecret.For(key, "7K2Q-9XMD").ShouldBe("BRWTE-Z6HZJ");
    }

    [Fact]
    public void Matches_TypedLoosely_AcceptsOnlyTheRightSecret()
    {
        var secret = StatusSecret.For(Key, "7K2Q-9XMD");
        StatusSecret.Matches(Key, "7K2Q-9XMD", secret).ShouldBeTrue();
        StatusSecret.Matches(Key, "7K2Q-9XMD", " " + secret.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal) + " ").ShouldBeTrue();
        StatusSecret.Matches(Key, "7K2Q-9XMD", secret.Replace('0', 'O').Replace('1', 'I')).ShouldBeTrue();
        StatusSecret.Matches(Key, "7K2Q-9XME", secret).ShouldBeFalse();
        StatusSecret.Matches(Key, "7K2Q-9XMD", secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A')).ShouldBeFalse();
        StatusSecret.Matches(Key, "7K2Q-9XMD", null).ShouldBeFalse();
        StatusSecret.Matches(Key, "7K2Q-9XMD", "").ShouldBeFalse();
        StatusSecret.Matches(Key, "7K2Q-9XMD", secret + "0").ShouldBeFalse();
        StatusSecret.Matches(Key, "7K2Q-9XMD", "<script>").ShouldBeFalse();
    }
}
