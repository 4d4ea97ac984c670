using System.Net;
using System.Text;
using Hub.Core.Envelope;
using Hub.Functions.Channels;
using Hub.Functions.Channels.Web;
using Hub.Functions.Privacy;
using Hub.Functions.Tests.Infrastructure;
using Hub.WebForm;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SkiaSharp;

namespace Hub.Functions.Tests.Channels.Web;

/// <summary>The form's pure parts: field rules, screenshot checks, form tokens, the per-client limiter, the mapping to a submission.</summary>
public sealed class WebFormUnitTests
{
    private static FormInput Input(params (string Name, string Value)[] fields) =>
        FormInput.From(name => fields.Where(f => f.Name == name).Select(f => f.Value).ToList());

    private static readonly (string, string)[] Valid = [("who", "self"), ("what", "OCSEA.SEXTORTION")];

    [Fact]
    public void Validate_MinimalReport_NoErrors() => Input(Valid).Validate().ShouldBeEmpty();

    [Theory]
    [InlineData("who", "", "who")]
    [InlineData("who", "admin", "who")]
    [InlineData("what", "NOT.A.CODE", "what")]
    [InlineData("platform", "myspace", "platform")]
    [InlineData("age", "99", "age")]
    [InlineData("province", "Atlantis", "province")]
    [InlineData("links", "javascript:alert(1)", "links")]
    [InlineData("links", "not a link", "links")]
    [InlineData("links", "http://localhost", "links")]
    public void Validate_BadField_ErrorOnThatField(string field, string value, string expected)
    {
        var fields = Valid.Where(f => f.Item1 != field).Append((field, value)).ToArray();
        var errors = Input(fields).Validate();
        errors.Keys.ShouldBe([expected]);
        errors[expected].ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void Validate_NothingSaidAtAll_AsksForWhatHappened()
    {
        Input(("who", "parent")).Validate().Keys.ShouldBe(["what"]);
        Input(("who", "parent"), ("details", "Con tôi bị nhắn tin quấy rối")).Validate().ShouldBeEmpty();
        Input(("who", "parent"), ("links", "https://zalo.me/g/abc")).Validate().ShouldBeEmpty();
    }

    [Fact]
    public void Validate_DetailsOverTheCap_RefusedWithItsLength()
    {
        var errors = Input([.. Valid, ("details", new string('a', FormInput.MaxDetails + 1))]).Validate();
        errors.Keys.ShouldBe(["details"]);
        errors["details"].ShouldContain((FormInput.MaxDetails + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Validate_ElevenLinks_Refused() =>
        Input([.. Valid, ("links", string.Join('\n', Enumerable.Range(0, 11).Select(i => $"https://example.vn/{i}")))]).Validate().Keys.ShouldBe(["links"]);

    [Theory]
    [InlineData("phone", "0912 345 678", true, null)]
    [InlineData("zalo", "+84912345678", true, null)]
    [InlineData("email", "Me@Example.com", true, null)]
    [InlineData("phone", "", true, "contact")]
    [InlineData("phone", "12ab", true, "contact")]
    [InlineData("email", "not-an-email", true, "contact")]
    [InlineData("phone", "0912345678", false, "consent")]
    [InlineData("carrier-pigeon", "0912345678", true, "contact-kind")]
    public void Validate_Contact_NeedsAValidValueAndConsent(string kind, string contact, bool consent, string? expected)
    {
        var fields = new List<(string, string)>(Valid) { ("contact-mode", "contact"), ("contact-kind", kind), ("contact", contact) };
        if (consent)
        {
            fields.Add(("consent", "1"));
        }

        var errors = Input([.. fields]).Validate();
        if (expected is null)
        {
            errors.ShouldBeEmpty();
        }
        else
        {
            errors.Keys.ShouldContain(expected);
        }
    }

    [Fact]
    public void Validate_AnonymousWithAContactTyped_ContactIgnored()
    {
        var input = Input([.. Valid, ("contact-mode", "anonymous"), ("contact", "0912345678")]);
        input.Validate().ShouldBeEmpty();
        var s = WebReport.Submission(input, [], Token(), "web", new ChannelOptions { Type = "web" });
        s.SenderId.ShouldBeNull();
        Encoding.UTF8.GetString(WebReport.Raw(input, [], Token())).ShouldNotContain("345678"); // nor in the evidence
    }

    [Theory]
    [InlineData("Quảng Nam", "48")]
    [InlineData("quang nam", "48")]
    [InlineData("Thành phố Hồ Chí Minh", "79")]
    [InlineData("Hà Nội", "01")]
    [InlineData("01", "01")]
    public void ProvinceCode_NamesOldAndNew_ResolveLikeTheChatbot(string typed, string code) =>
        Input([.. Valid, ("province", typed)]).ProvinceCode().ShouldBe(code);

    [Fact]
    public void ParseLink_BareDomain_GetsHttps() => FormInput.ParseLink("tiktok.com/@x").ShouldBe("https://tiktok.com/@x");

    [Fact]
    public void Submission_ChildInDanger_ImmediateWithRoleAgeAndProvince()
    {
        var input = Input(("danger", "1"), ("who", "self"), ("what", "OCSEA.SEXTORTION"), ("age", "10-13"), ("province", "Quảng Nam"), ("platform", "zalo"),
            ("contact-mode", "contact"), ("contact-kind", "zalo"), ("contact", "0912 345 678"), ("consent", "1"), ("accounts", "@a\n@b"));
        var s = WebReport.Submission(input, [], Token(), "web", new ChannelOptions { Type = "web", Province = "01" });
        s.Channel.ShouldBe("web");
        s.Urgency.ShouldBe(Urgencies.Immediate);
        s.Reasons.ShouldBe(["web:in-danger"]);
        s.ReporterRole.ShouldBe(ReporterRoles.Child);
        s.Victim.ShouldBe("self");
        (s.AgeBand, s.VictimAgeBand).ShouldBe(("10-13", "10-13"));
        (s.ProvinceCode, s.ProvinceBasis).ShouldBe(("48", "reporter"));
        s.SenderId.ShouldBe("+84912345678");
        s.ReportedAccounts.ShouldBe(["@a", "@b"]);
        s.Text!.ShouldContain("Nơi xảy ra: Zalo");
        s.Text!.ShouldContain("Muốn được liên hệ lại qua: Số Zalo");
        s.Text!.ShouldNotContain("0912");
    }

    [Fact]
    public void Submission_NoProvinceGiven_TheInstancesProvince()
    {
        var s = WebReport.Submission(Input(("who", "teacher"), ("details", "Học sinh lớp tôi bị bắt nạt")), [], Token(), "web", new ChannelOptions { Type = "web", Province = "01" });
        (s.ProvinceCode, s.ProvinceBasis).ShouldBe(("01", "channel-instance"));
        (s.ReporterRole, s.AgeBand, s.Victim).ShouldBe((ReporterRoles.Teacher, "adult", "other"));
    }

    // ---- screenshots ----

    [Fact]
    public void Sniff_ByBytesNotByName()
    {
        Screenshots.Sniff(WebForms.Png()).ShouldBe("image/png");
        Screenshots.Sniff(WebForms.Jpeg()).ShouldBe("image/jpeg");
        Screenshots.Sniff(WebForms.Webp()).ShouldBe("image/webp");
        Screenshots.Sniff("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8).ShouldBeNull();
        Screenshots.Sniff("GIF89a\x01\0\x01\0"u8).ShouldBeNull();
        Screenshots.Sniff("<!doctype html><p>hi"u8).ShouldBeNull();
        Screenshots.Sniff([]).ShouldBeNull();
    }

    [Fact]
    public void Clean_JpegWithExifGps_UprightAndNoMetadataLeft()
    {
        var original = WebForms.JpegWithExifGps(40, 20);
        Contains(original, "Exif"u8.ToArray()).ShouldBeTrue("the test image carries EXIF");
        Contains(original, WebForms.GpsMarker).ShouldBeTrue("and a GPS latitude");

        var (image, problem) = Screenshots.Clean(original, 1);
        problem.ShouldBeNull();
        image!.ContentType.ShouldBe("image/jpeg");
        Contains(image.Bytes, "Exif"u8.ToArray()).ShouldBeFalse();
        Contains(image.Bytes, WebForms.GpsMarker).ShouldBeFalse();
        (image.Width, image.Height).ShouldBe((20, 40)); // orientation 6 applied: 40×20 stored, 20×40 seen
        image.OriginalSha256.ShouldBe(Hub.Functions.Media.EvidenceStore.Sha256Hex(original));
        using var decoded = SKBitmap.Decode(image.Bytes);
        (decoded.Width, decoded.Height).ShouldBe((20, 40));
        // Rotated 90° clockwise, the blue top-left corner of the stored image is now at the top right.
        decoded.GetPixel(18, 2).Blue.ShouldBeGreaterThan((byte)150);
        decoded.GetPixel(1, 38).Blue.ShouldBeLessThan((byte)0xFF);
    }

    [Fact]
    public void Clean_PngAndWebp_KeptInTheirFormat()
    {
        Screenshots.Clean(WebForms.Png(), 1).Image!.ContentType.ShouldBe("image/png");
        Screenshots.Clean(WebForms.Webp(), 1).Image!.ContentType.ShouldBe("image/webp");
    }

    [Fact]
    public void Clean_PngWithScriptAppended_RefusedAsPolyglot()
    {
        var polyglot = WebForms.Png().Concat("<html><script>alert(1)</script></html>"u8.ToArray()).ToArray();
        var (image, problem) = Screenshots.Clean(polyglot, 2);
        image.ShouldBeNull();
        problem!.ShouldStartWith("Ảnh thứ 2");
        Screenshots.Clean(WebForms.Jpeg().Concat("<SVG onload=x>"u8.ToArray()).ToArray(), 1).Image.ShouldBeNull();
    }

    [Fact]
    public void Clean_TruncatedOrForged_Refused()
    {
        var png = WebForms.Png(200, 200);
        Screenshots.Clean(png[..(png.Length / 2)], 1).Image.ShouldBeNull();
        Screenshots.Clean([0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0], 1).Image.ShouldBeNull(); // a JPEG signature and nothing after it
        Screenshots.Clean([.. "RIFF\0\0\0\0WEBPVP8 "u8.ToArray(), .. new byte[64]], 1).Image.ShouldBeNull();
        Screenshots.Clean([], 1).Problem!.ShouldContain("rỗng");
    }

    [Fact]
    public void Clean_DecompressionBomb_RefusedBeforeDecoding()
    {
        var bomb = PngHeaderOnly(20_000, 20_000);
        var (image, problem) = Screenshots.Clean(bomb, 1);
        image.ShouldBeNull();
        problem!.ShouldContain("20000 × 20000");
    }

    [Fact]
    public void CleanAll_CountAndTotalSize_CheckedFirst()
    {
        Screenshots.CleanAll(Enumerable.Range(0, Limits.MaxFiles + 1).Select(_ => WebForms.Png()).ToList()).Problem!.ShouldContain("tối đa 5");
        Screenshots.CleanAll([new byte[Limits.MaxTotalBytes / 2 + 1], new byte[Limits.MaxTotalBytes / 2 + 1]]).Problem!.ShouldContain("10 MB");
        var (images, problem) = Screenshots.CleanAll([WebForms.Png(), WebForms.Jpeg()]);
        problem.ShouldBeNull();
        images.Count.ShouldBe(2);
    }

    // ---- tokens, limiter ----

    [Fact]
    public void FormToken_SignedAndTamperEvident()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        var tokens = new WebFormTokens(Privacy(), time);
        var token = tokens.Issue();
        var verified = tokens.Verify(token.Value);
        verified.ShouldNotBeNull();
        verified.IssuedAt.ShouldBe(time.GetUtcNow());
        verified.MessageId.ShouldBe("web-" + token.Nonce);
        tokens.Issue().Nonce.ShouldNotBe(token.Nonce);

        var parts = token.Value.Split('.');
        tokens.Verify($"v1.{long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) - 3600}.{parts[2]}.{parts[3]}").ShouldBeNull(); // backdated by hand
        tokens.Verify(token.Value[..^1] + (token.Value[^1] == 'A' ? 'B' : 'A')).ShouldBeNull();
        tokens.Verify(null).ShouldBeNull();
        tokens.Verify("v1.1.2.3").ShouldBeNull();
        new WebFormTokens(Privacy(seed: 9), time).Verify(token.Value).ShouldBeNull(); // another hub's key
    }

    [Fact]
    public void Limiter_PerClientPseudonym_OthersUnaffected()
    {
        var options = Options.Create(new WebFormOptions { SubmitsPerWindow = 2, StatusLookupsPerWindow = 1 });
        using var limiter = new WebFormLimiter(options, Privacy(), new ConfigurationBuilder().Build());
        var a = Client("203.0.113.7");
        var b = Client("198.51.100.20");
        limiter.TrySubmit(a).ShouldBeTrue();
        limiter.TrySubmit(a).ShouldBeTrue();
        limiter.TrySubmit(a).ShouldBeFalse();
        limiter.TrySubmit(b).ShouldBeTrue();
        limiter.TryLookup(a).ShouldBeTrue(); // its own budget
        limiter.TryLookup(a).ShouldBeFalse();
        limiter.ClientKey(a).ShouldStartWith("ps1_");
        limiter.ClientKey(a).ShouldNotContain("203");
        limiter.ClientKey(Client("::ffff:203.0.113.7")).ShouldBe(limiter.ClientKey(a));
    }

    [Fact]
    public void Limiter_ForwardedAddress_OnlyTrustedBehindTheFunctionsHost()
    {
        var options = Options.Create(new WebFormOptions());
        var forwarded = Client("127.0.0.1");
        forwarded.Request.Headers["X-Forwarded-For"] = "203.0.113.7, 10.0.0.1";
        using var standalone = new WebFormLimiter(options, Privacy(), new ConfigurationBuilder().Build());
        standalone.ClientKey(forwarded).ShouldBe(standalone.ClientKey(Client("127.0.0.1")));
        using var hosted = new WebFormLimiter(options, Privacy(), new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "5000" }).Build());
        hosted.ClientKey(forwarded).ShouldBe(hosted.ClientKey(Client("203.0.113.7")));
    }

    private static DefaultHttpContext Client(string address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        return context;
    }

    private static FormToken Token() => new WebFormTokens(Privacy(), TimeProvider.System).Issue();

    private static PrivacyServices Privacy(int seed = 3) => new(Options.Create(new PrivacyOptions
    {
        PseudonymKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + seed)).ToArray()),
        ContactKeys = { ["t1"] = TestSecrets.ContactKey },
        ActiveContactKeyId = "t1",
    }));

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>A PNG whose header claims width × height, with one tiny IDAT: a decoder that trusted it would allocate gigabytes.</summary>
    private static byte[] PngHeaderOnly(int width, int height)
    {
        var png = new List<byte>([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        void Chunk(string type, byte[] data)
        {
            png.AddRange(BigEndian(data.Length));
            var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            png.AddRange(typed);
            png.AddRange(BigEndian((int)Crc32(typed)));
        }

        Chunk("IHDR", [.. BigEndian(width), .. BigEndian(height), 8, 2, 0, 0, 0]);
        Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk("IEND", []);
        return [.. png];
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected 0xEDB88320), bit by bit: a test has no need for a table.</summary>
    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
}
