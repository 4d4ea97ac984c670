using Hub.Core.Envelope;

namespace Hub.Core.Tests.Envelope;

/// <summary>The envelope's rules, without storage: what a channel said, what the text adds, what the intake stamped.</summary>
public sealed class EnvelopeBuilderTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private static IntakeSubmission Submission(string? text, string? sender = "+84912345678") => new()
    {
        Channel = ReportChannels.Sms,
        ChannelInstance = "hn-sms",
        Provider = "twilio",
        ProviderMessageId = "SM1",
        SenderId = sender,
        Text = text,
        RawBody = new byte[] { 1 },
    };

    private static EnvelopeStamp Stamp(string? pseudonym = "ps-1") => new(
        "01KB0000000000000000000000",
        At,
        "7K2Q-9XHM",
        pseudonym,
        pseudonym is null ? null : "v1.k.sealed",
        [new Hub.Core.Envelope.Evidence { Kind = "image", Blob = "evidence/x", Sha256 = new string('a', 64) }],
        new RawReference { Blob = "raw/x", Sha256 = new string('b', 64), KeyId = "k" },
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

    [Fact]
    public void Build_CopiesWhatTheIntakeStamped()
    {
        var e = EnvelopeBuilder.Build(Submission("xin chào"), Stamp());

        e.Schema.ShouldBe(ReportEnvelope.SchemaV1);
        e.Id.ShouldBe("01KB0000000000000000000000");
        e.ReceivedAt.ShouldBe(At);
        e.ReferenceCode.ShouldBe("7K2Q-9XHM");
        e.Source.ProviderMessageId.ShouldBe("SM1");
        e.Reporter.Pseudonym.ShouldBe("ps-1");
        e.Reporter.ContactRef.ShouldBe("v1.k.sealed");
        e.Reporter.Anonymous.ShouldBeFalse();
        e.Evidence.ShouldHaveSingleItem().Blob.ShouldBe("evidence/x");
        e.Raw.ShouldNotBeNull().Blob.ShouldBe("raw/x");
        e.Trace.ShouldNotBeNull().Traceparent.ShouldStartWith("00-0af7");
    }

    [Fact]
    public void Build_NoSender_IsAnonymousWithUnknownRoleAndAge()
    {
        var e = EnvelopeBuilder.Build(Submission("xin chào", sender: null), Stamp(pseudonym: null));

        e.Reporter.Anonymous.ShouldBeTrue();
        e.Reporter.Pseudonym.ShouldBeNull();
        e.Reporter.Role.ShouldBe(ReporterRoles.Unknown);
        e.Reporter.AgeBand.ShouldBe("unknown");
    }

    [Fact]
    public void Build_TextTriage_AddsToWhatTheConversationEstablished()
    {
        var s = Submission("nó dọa tung ảnh của em") with { Categories = ["ONLINE.BULLYING"], Reasons = ["chat:idle"] };

        var e = EnvelopeBuilder.Build(s, Stamp());

        e.Incident.Categories.ShouldBe(["ONLINE.BULLYING", "OCSEA.SEXTORTION"]);
        e.Signals.Urgency.ShouldBe(Urgencies.High);
        e.Signals.Reasons.ShouldBe(["chat:idle", "keyword:sextortion"]);
    }

    [Fact]
    public void Build_AnUrgencyTheChannelSet_IsNeverLoweredByCalmText()
    {
        var e = EnvelopeBuilder.Build(Submission("cảm ơn") with { Urgency = Urgencies.Immediate }, Stamp());
        e.Signals.Urgency.ShouldBe(Urgencies.Immediate);
    }

    [Theory]
    [InlineData("01", "em ở Quảng Nam", "01", "channel-instance")] // the instance's province wins over the text
    [InlineData(null, "em ở Quảng Nam", "48", "text")]              // a pre-2025 name resolves to today's unit
    [InlineData("99", "không nói ở đâu", null, null)]               // not a province code, nothing in the text
    public void Build_Province_FromTheChannelElseTheText(string? code, string text, string? expected, string? basis)
    {
        var e = EnvelopeBuilder.Build(Submission(text) with { ProvinceCode = code }, Stamp());

        e.Location?.ProvinceCode.ShouldBe(expected);
        e.Location?.Basis.ShouldBe(basis);
        (e.Location is null).ShouldBe(expected is null);
    }

    [Fact]
    public void Build_Links_FromTheChannelAndTheText_DistinctAndCapped()
    {
        var s = Submission("xem https://tiktok.com/@x/video/1 và https://fb.com/p/2") with
        {
            Urls = ["https://fb.com/p/2", .. Enumerable.Range(0, 25).Select(i => $"https://a.vn/{i}")],
        };

        var urls = EnvelopeBuilder.Build(s, Stamp()).Incident.Urls;

        urls.Count.ShouldBe(20);
        urls[0].ShouldBe("https://fb.com/p/2");
        urls.Distinct(StringComparer.Ordinal).Count().ShouldBe(urls.Count);
    }
}
