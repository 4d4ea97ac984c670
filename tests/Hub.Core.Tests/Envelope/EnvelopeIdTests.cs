using Hub.Core.Envelope;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Core.Tests.Envelope;

public class EnvelopeIdTests
{
    [Fact]
    public void ReportId_IsUlidOfCurrentTime_AndSortsByTime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var a = ReportId.New(time);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var b = ReportId.New(time);
        a.Length.ShouldBe(26);
        ReportId.TimeOf(a).ShouldBe(DateTimeOffset.Parse("2026-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        string.CompareOrdinal(a, b).ShouldBeLessThan(0);
        ReportId.New(time).ShouldNotBe(b);
    }

    [Fact]
    public void ReferenceCode_IsDeterministicPerKeyAndReadable()
    {
        var key = new byte[32];
        var code = ReferenceCode.For(key, "hn-sms|SM1");
        code.ShouldBe(ReferenceCode.For(key, "hn-sms|SM1"));
        code.ShouldNotBe(ReferenceCode.For(key, "hn-sms|SM2"));
        code.ShouldMatch("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$");
    }

    [Theory]
    [InlineData("7k2q9xhm", "7K2Q-9XHM")]
    [InlineData(" 7K2Q-9XHM ", "7K2Q-9XHM")]
    [InlineData("7K2Q 9XHO", "7K2Q-9XH0")]
    [InlineData("7K2Q", null)]
    [InlineData("7K2Q-9XH!", null)]
    public void ReferenceCode_Parse_ToleratesTyping(string typed, string? expected) => ReferenceCode.Parse(typed).ShouldBe(expected);
}
