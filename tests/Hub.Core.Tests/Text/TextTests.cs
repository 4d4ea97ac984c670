using Hub.Core.Text;

namespace Hub.Core.Tests.Text;

public class TextTests
{
    // Found by the fuzz suite: a lone surrogate (JSON "\ud800") or a noncharacter made normalisation throw, and the
    // webhook answer 500. (A Fact, not InlineData: xunit's serialisation of theory data mangles lone surrogates.)
    [Fact]
    public void Normalize_InvalidCodePoints_BecomeReplacementCharacter()
    {
        var cases = new (string Input, string Expected)[]
        {
            ("a\ud800b", "a\uFFFDb"),
            ("\udfff", "\uFFFD"),
            ("cứu em \ud83d", "cứu em \uFFFD"),
            ("\uFFFF\uFFFE\uFDD0", "\uFFFD\uFFFD\uFFFD"),
            ("x\U0001FFFF", "x\uFFFD\uFFFD"),
            ("ok \ud83d\ude00", "ok \ud83d\ude00"),
        };
        foreach (var (input, expected) in cases)
        {
            VietnameseText.Normalize(input).ShouldBe(expected);
            Should.NotThrow(() => VietnameseText.Fold(input));
        }
    }

    [Fact]
    public void NormalizationWorks_OnThisRuntime() => VietnameseText.NormalizationWorks().ShouldBeTrue();

    [Fact]
    public void Normalize_NfdBecomesNfc()
    {
        const string nfd = "Tie\u0302\u0301ng Vie\u0323\u0302t";
        var nfc = VietnameseText.Normalize(nfd);
        nfc.ShouldBe("Tiếng Việt");
        nfc.Length.ShouldBeLessThan(nfd.Length);
    }

    [Fact]
    public void Normalize_DropsControlCharactersButKeepsNewlines() =>
        VietnameseText.Normalize("a\u0000b\u0007c\nd\te").ShouldBe("abc\nd\te");

    [Theory]
    [InlineData("Tôi bị dọa", "toi bi doa")]
    [InlineData("To\u0302i bi\u0323 do\u0323a", "toi bi doa")]
    [InlineData("ĐẶNG", "dang")]
    [InlineData("đường", "duong")]
    public void Fold_StripsAccentsAndMapsD(string input, string expected) => VietnameseText.Fold(input).ShouldBe(expected);

    [Theory]
    [InlineData("Hello", 1)]
    [InlineData("Cảm ơn bạn. Mã báo cáo: 7K2Q-9XHM. Gọi 111 nếu cần giúp ngay.", 1)]
    [InlineData("Tiếng Việt có dấu", 1)]
    public void Segments_Counts(string text, int expected) => SmsText.Segments(text).ShouldBe(expected);

    [Fact]
    public void Segments_Ucs2BoundaryAt70()
    {
        SmsText.Segments(new string('ế', 70)).ShouldBe(1);
        SmsText.Segments(new string('ế', 71)).ShouldBe(2);
        SmsText.Segments(new string('ế', 134)).ShouldBe(2);
        SmsText.Segments(new string('ế', 135)).ShouldBe(3);
    }

    [Fact]
    public void Segments_Gsm7BoundaryAt160()
    {
        SmsText.IsGsm7("abc àèé").ShouldBeTrue();
        SmsText.Segments(new string('a', 160)).ShouldBe(1);
        SmsText.Segments(new string('a', 161)).ShouldBe(2);
        SmsText.Segments(new string('a', 159) + "€").ShouldBe(2); // € costs two septets
    }

    [Theory]
    [InlineData("xem https://tiktok.com/@abc/video/1. nhanh", new[] { "https://tiktok.com/@abc/video/1" })]
    [InlineData("link:https://a.vn/x, (http://b.vn/y)", new[] { "https://a.vn/x", "http://b.vn/y" })]
    [InlineData("HTTPS://FB.COM/p/1 và https://FB.COM/p/1 lần nữa", new[] { "HTTPS://FB.COM/p/1", "https://FB.COM/p/1" })]
    [InlineData("https://a.vn/x https://a.vn/x", new[] { "https://a.vn/x" })]
    [InlineData("ftp://x.vn/a www.x.vn http:// https://", new string[0])]
    [InlineData(null, new string[0])]
    public void Urls_Extract_FindsLinksAnywhereTrimmedAndDistinct(string? text, string[] expected) =>
        Urls.Extract(text).ShouldBe(expected);

    [Fact]
    public void Urls_Extract_AtMostTwentyPerReport() =>
        Urls.Extract(string.Join(' ', Enumerable.Range(0, 30).Select(i => $"https://x.vn/{i}"))).Count.ShouldBe(Urls.MaxPerReport);
}
