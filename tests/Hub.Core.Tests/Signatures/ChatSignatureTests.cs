using System.Text;
using Hub.Core.Signatures;

namespace Hub.Core.Tests.Signatures;

/// <summary>Meta and Zalo webhook signatures against the vectors in docs/protocols/messenger.md#signature and zalo.md#signature.</summary>
public sealed class ChatSignatureTests
{
    private const string MetaBody = """{"object":"page","entry":[{"id":"1234567890","time":1459991487970,"messaging":[{"sender":{"id":"5678"},"recipient":{"id":"1234567890"},"timestamp":1459991487970,"message":{"mid":"m_1","text":"Xin ch\u00e0o"}}]}]}""";
    private const string MetaVector = "sha256=f65dcac49914b1337df7c60de0f2d755c7e74ce0b3efd73ef33b32abd56a0115";

    private const string ZaloBody = """{"app_id":"360846524940903967","sender":{"id":"246845883529197922"},"user_id_by_app":"552177279717587730","recipient":{"id":"388613280878808645"},"event_name":"user_send_text","message":{"text":"message","msg_id":"96d3cdf3af150460909"},"timestamp":"154390853474"}""";
    private const string ZaloAppIdVector = "mac=c3c879dfa7bcd21837419ceab4275ca87a0d605536b7a8907f1714c8d7a4b6bd";
    private const string ZaloOaIdVector = "88b9adb33f4bc0fc8ac051e098ec18a2bfc4ea989e81e1749312ada89449c683";

    [Fact]
    public void Meta_Compute_MatchesTheReferenceVector() =>
        MetaSignature.Compute("TEST_APP_SECRET", Encoding.UTF8.GetBytes(MetaBody)).ShouldBe(MetaVector);

    [Fact]
    public void Meta_Verify_AcceptsTheVector() =>
        MetaSignature.Verify("TEST_APP_SECRET", Encoding.UTF8.GetBytes(MetaBody), MetaVector).ShouldBe(WebhookSignatureResult.Valid);

    [Theory]
    [InlineData(null, WebhookSignatureResult.Missing)]
    [InlineData("", WebhookSignatureResult.Missing)]
    [InlineData("f65dcac49914b1337df7c60de0f2d755c7e74ce0b3efd73ef33b32abd56a0115", WebhookSignatureResult.Malformed)]
    [InlineData("sha1=f65dcac49914b1337df7c60de0f2d755c7e74ce0", WebhookSignatureResult.Malformed)]
    [InlineData("sha256=zz5dcac49914b1337df7c60de0f2d755c7e74ce0b3efd73ef33b32abd56a0115", WebhookSignatureResult.Malformed)]
    [InlineData("sha256=f65dcac49914b1337df7c60de0f2d755c7e74ce0b3efd73ef33b32abd56a0116", WebhookSignatureResult.Invalid)]
    public void Meta_Verify_RejectsBadHeaders(string? header, WebhookSignatureResult expected) =>
        MetaSignature.Verify("TEST_APP_SECRET", Encoding.UTF8.GetBytes(MetaBody), header).ShouldBe(expected);

    [Fact]
    public void Meta_Verify_FailsForTheSamePayloadReSerialised()
    {
        // Meta signs the escaped form "\u00e0"; a parser that re-serialises to "à" changes the bytes.
        var reserialised = MetaBody.Replace("\\u00e0", "à", StringComparison.Ordinal);
        MetaSignature.Verify("TEST_APP_SECRET", Encoding.UTF8.GetBytes(reserialised), MetaVector).ShouldBe(WebhookSignatureResult.Invalid);
    }

    [Fact]
    public void Meta_Verify_FailsWithAnotherSecret() =>
        MetaSignature.Verify("OTHER_SECRET", Encoding.UTF8.GetBytes(MetaBody), MetaVector).ShouldBe(WebhookSignatureResult.Invalid);

    [Fact]
    public void Zalo_AppIdVariant_MatchesTheReferenceVector() =>
        ZaloSignature.Compute("360846524940903967", Encoding.UTF8.GetBytes(ZaloBody), "154390853474", "TEST_OA_SECRET").ShouldBe(ZaloAppIdVector);

    [Fact]
    public void Zalo_OaIdVariant_MatchesTheReferenceVector() =>
        ZaloSignature.Compute("388613280878808645", Encoding.UTF8.GetBytes(ZaloBody), "154390853474", "TEST_OA_SECRET").ShouldBe("mac=" + ZaloOaIdVector);

    [Theory]
    [InlineData(ZaloAppIdVector)]
    [InlineData("c3c879dfa7bcd21837419ceab4275ca87a0d605536b7a8907f1714c8d7a4b6bd")]
    [InlineData("MAC=C3C879DFA7BCD21837419CEAB4275CA87A0D605536B7A8907F1714C8D7A4B6BD")]
    public void Zalo_Verify_AcceptsWithOrWithoutPrefix(string header) =>
        ZaloSignature.Verify("360846524940903967", Encoding.UTF8.GetBytes(ZaloBody), "154390853474", "TEST_OA_SECRET", header).ShouldBe(WebhookSignatureResult.Valid);

    [Theory]
    [InlineData(null, WebhookSignatureResult.Missing)]
    [InlineData("mac=abc", WebhookSignatureResult.Malformed)]
    [InlineData("mac=" + ZaloOaIdVector, WebhookSignatureResult.Invalid)]
    public void Zalo_Verify_RejectsBadHeaders(string? header, WebhookSignatureResult expected) =>
        ZaloSignature.Verify("360846524940903967", Encoding.UTF8.GetBytes(ZaloBody), "154390853474", "TEST_OA_SECRET", header).ShouldBe(expected);

    [Fact]
    public void Zalo_Verify_FailsWhenTheTimestampIsChanged() =>
        ZaloSignature.Verify("360846524940903967", Encoding.UTF8.GetBytes(ZaloBody), "154390853475", "TEST_OA_SECRET", ZaloAppIdVector).ShouldBe(WebhookSignatureResult.Invalid);

    [Fact]
    public void Zalo_Verify_FailsForReSerialisedBody() =>
        ZaloSignature.Verify("360846524940903967", Encoding.UTF8.GetBytes(ZaloBody.Replace(",", ", ", StringComparison.Ordinal)), "154390853474", "TEST_OA_SECRET", ZaloAppIdVector).ShouldBe(WebhookSignatureResult.Invalid);
}
