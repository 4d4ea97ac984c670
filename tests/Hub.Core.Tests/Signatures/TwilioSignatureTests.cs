using Hub.Core.Signatures;

namespace Hub.Core.Tests.Signatures;

// Official vectors: twilio/twilio-csharp test/Twilio.Test/Security/RequestValidatorTest.cs (docs/protocols/twilio.md#signature).
public class TwilioSignatureTests
{
    private const string Token = "12345";

    private static readonly KeyValuePair<string, string>[] Params =
    [
        new("From", "+14158675309"),
        new("CallSid", "CA1234567890ABCDE"),
        new("To", "+18005551212"),
        new("Caller", "+14158675309"),
        new("Digits", "1234"),
    ];

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=")]
    [InlineData("http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=")]
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=")]
    [InlineData("http://username:password@MyCompany.com/myapp.php?foo=1&bar=2", "PJ08CxXr7KLPjEQCTc8LkUSMwSM=")]
    public void Compute_OfficialVector_MatchesTwilio(string url, string expected) =>
        TwilioSignature.Compute(Token, url, Params).ShouldBe(expected);

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")] // port removed
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=")] // :443 added
    [InlineData("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=")] // :80 added
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=")]
    [InlineData("http://username:password@MyCompany.com/myapp.php?foo=1&bar=2", "PJ08CxXr7KLPjEQCTc8LkUSMwSM=")]
    public void IsValid_ConfiguredUrlOrPortVariant_Accepts(string configuredUrl, string header) =>
        TwilioSignature.IsValid(Token, configuredUrl, Params, header).ShouldBeTrue();

    [Theory]
    [InlineData("RSOYDt4T1cUTdK1PDd93/VVr8B9=")] // one character off
    [InlineData("")]
    [InlineData(null)]
    [InlineData("not base64 at all")]
    public void IsValid_WrongOrMissingSignature_Rejects(string? header) =>
        TwilioSignature.IsValid(Token, "https://mycompany.com/myapp.php?foo=1&bar=2", Params, header).ShouldBeFalse();

    [Fact]
    public void IsValid_ParameterTampered_Rejects()
    {
        var tampered = Params.Select(p => p.Key == "Digits" ? new KeyValuePair<string, string>("Digits", "9999") : p).ToArray();
        TwilioSignature.IsValid(Token, "https://mycompany.com/myapp.php?foo=1&bar=2", tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").ShouldBeFalse();
    }

    [Fact]
    public void IsValid_WrongToken_Rejects() =>
        TwilioSignature.IsValid("54321", "https://mycompany.com/myapp.php?foo=1&bar=2", Params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").ShouldBeFalse();

    [Fact]
    public void IsValid_ValueWhitespaceKept_TrimmedValueRejects()
    {
        // Twilio signs values untrimmed; a receiver that trims would compute a different string.
        var p = new[] { new KeyValuePair<string, string>("Body", " hi ") };
        var sig = TwilioSignature.Compute(Token, "https://h/x", p);
        TwilioSignature.IsValid(Token, "https://h/x", [new("Body", "hi")], sig).ShouldBeFalse();
        TwilioSignature.IsValid(Token, "https://h/x", p, sig).ShouldBeTrue();
    }

    [Theory]
    [InlineData("https://a.vn/x", "https://a.vn:443/x")]
    [InlineData("https://a.vn:8443/x?q=1", "https://a.vn/x?q=1")]
    [InlineData("http://u:p@A.vn/x", "http://u:p@A.vn:80/x")]
    [InlineData("https://[::1]/x", "https://[::1]:443/x")]
    [InlineData("https://[::1]:7071/x", "https://[::1]/x")]
    public void PortVariant_TogglesPortKeepingCase(string url, string expected) =>
        TwilioSignature.PortVariant(url).ShouldBe(expected);

    [Fact]
    public void IsValidWithBody_OfficialJsonVectors_Accept()
    {
        var body = "{\"property\": \"value\", \"boolean\": true}"u8.ToArray();
        const string hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        TwilioSignature.IsValidWithBody(Token, $"https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256={hash}", body, "a9nBmqA0ju/hNViExpshrM61xv4=").ShouldBeTrue();
        TwilioSignature.IsValidWithBody(Token, $"https://mycompany.com/myapp.php?bodySHA256={hash}", body, "y77kIzt2vzLz71DgmJGsen2scGs=").ShouldBeTrue();
    }

    [Fact]
    public void IsValidWithBody_BodyChanged_Rejects()
    {
        var body = "{\"property\": \"value\", \"boolean\": false}"u8.ToArray();
        const string hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        TwilioSignature.IsValidWithBody(Token, $"https://mycompany.com/myapp.php?bodySHA256={hash}", body, "y77kIzt2vzLz71DgmJGsen2scGs=").ShouldBeFalse();
    }
}
