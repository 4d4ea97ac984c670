using System.Text;
using Hub.Core.Signatures;

namespace Hub.Core.Tests.Signatures;

public class HubSignatureTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600); // 2026-01-01T00:00:00Z
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"messageId\":\"vt-1\",\"text\":\"Cứu em\"}");

    [Fact]
    public void Compute_WorkedExample_MatchesPublishedVector() =>
        // The worked example in docs/sms-gateway.md, computed independently (Python hmac) for this project.
        HubSignature.Compute("gw_test_secret", "1767225600", Encoding.UTF8.GetBytes("{\"messageId\":\"vt-1\"}"))
            .ShouldBe("v1=72c0e6da3022fca5e9849213123b66bd798b12b997f9eabb882c71b6c7159d62");

    [Fact]
    public void Verify_Valid_Accepts() =>
        HubSignature.Verify(["s1"], "1767225600", HubSignature.Compute("s1", "1767225600", Body), Body, Now, HubSignature.DefaultWindow)
            .ShouldBe(HubSignatureResult.Valid);

    [Fact]
    public void Verify_SecondarySecret_Accepts() =>
        HubSignature.Verify(["new", "old"], "1767225600", HubSignature.Compute("old", "1767225600", Body), Body, Now, HubSignature.DefaultWindow)
            .ShouldBe(HubSignatureResult.Valid);

    [Fact]
    public void Verify_TwoSignaturesOneValid_Accepts()
    {
        var header = HubSignature.Compute("other", "1767225600", Body) + "," + HubSignature.Compute("s1", "1767225600", Body);
        HubSignature.Verify(["s1"], "1767225600", header, Body, Now, HubSignature.DefaultWindow).ShouldBe(HubSignatureResult.Valid);
    }

    [Theory]
    [InlineData(-301, HubSignatureResult.Stale)]
    [InlineData(301, HubSignatureResult.Stale)]
    [InlineData(-300, HubSignatureResult.Valid)]
    [InlineData(299, HubSignatureResult.Valid)]
    public void Verify_Window_IsFiveMinutesEitherSide(int offsetSeconds, HubSignatureResult expected)
    {
        var ts = (Now.ToUnixTimeSeconds() + offsetSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        HubSignature.Verify(["s1"], ts, HubSignature.Compute("s1", ts, Body), Body, Now, HubSignature.DefaultWindow).ShouldBe(expected);
    }

    [Fact]
    public void Verify_BodyTampered_Rejects()
    {
        var sig = HubSignature.Compute("s1", "1767225600", Body);
        var tampered = Encoding.UTF8.GetBytes("{\"messageId\":\"vt-1\",\"text\":\"Cuu em\"}");
        HubSignature.Verify(["s1"], "1767225600", sig, tampered, Now, HubSignature.DefaultWindow).ShouldBe(HubSignatureResult.Invalid);
    }

    [Fact]
    public void Verify_TimestampChanged_Rejects()
    {
        var sig = HubSignature.Compute("s1", "1767225600", Body);
        HubSignature.Verify(["s1"], "1767225601", sig, Body, Now, HubSignature.DefaultWindow).ShouldBe(HubSignatureResult.Invalid);
    }

    [Theory]
    [InlineData(null, "v1=00", HubSignatureResult.Missing)]
    [InlineData("1767225600", null, HubSignatureResult.Missing)]
    [InlineData("yesterday", "v1=00", HubSignatureResult.Malformed)]
    [InlineData("1767225600", "sha256=abc", HubSignatureResult.Malformed)]
    [InlineData("1767225600", "v1=zz", HubSignatureResult.Malformed)]
    public void Verify_MissingOrMalformedHeaders_AreNamed(string? ts, string? sig, HubSignatureResult expected) =>
        HubSignature.Verify(["s1"], ts, sig, Body, Now, HubSignature.DefaultWindow).ShouldBe(expected);

    [Fact]
    public void Verify_WrongSecret_Rejects() =>
        HubSignature.Verify(["s2"], "1767225600", HubSignature.Compute("s1", "1767225600", Body), Body, Now, HubSignature.DefaultWindow)
            .ShouldBe(HubSignatureResult.Invalid);
}
