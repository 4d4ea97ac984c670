using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hub.Functions.Channels.Web;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Hub.Functions.Tests.Infrastructure;
using Hub.WebForm;

namespace Hub.Functions.Tests.Channels.Web;

/// <summary>The form's test hub: the limits out of the way (one test class checks them with its own hub).</summary>
public sealed class WebFormFixture : HubFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Hub:WebForm:SubmitsPerWindow"] = "100000",
        ["Hub:WebForm:StatusLookupsPerWindow"] = "100000",
        ["Hub:Channels:web:Province"] = "01",
    };
}

/// <summary>
/// The web form over HTTP, as a browser posts it (multipart, its cookie and tokens): a report with a screenshot becomes
/// one case with clean evidence; every refusal is a Vietnamese page that keeps what was typed and writes nothing.
/// </summary>
public sealed partial class WebFormTests(WebFormFixture hub) : IClassFixture<WebFormFixture>
{
    [Theory]
    [InlineData("/bao-cao")]
    [InlineData("/report")]
    public async Task Get_Form_VietnameseDangerFirstStrictCspNothingFromElsewhere(string path)
    {
        using var response = await hub.Client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain("<html lang=\"vi\">");
        var body = html[html.IndexOf("<body", StringComparison.Ordinal)..];
        Regex.Match(body, "<a [^>]*href=\"([^\"]+)\"").Groups[1].Value.ShouldBe("#main"); // the skip link, then…
        Regex.Matches(body, "<a [^>]*href=\"([^\"]+)\"")[1].Groups[1].Value.ShouldBe("tel:111"); // …the call to 111 before anything else
        body.ShouldContain("Bạn đang gặp nguy hiểm?");
        body.ShouldContain("Gọi 111 ngay");
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        html.ShouldNotContain("<script>"); // no inline script
        html.ShouldNotContain(" style=");
        // Every URL the page loads is the hub's own (relative); the only absolute ones are tel: and the example in a hint.
        foreach (Match m in Regex.Matches(html, "(?:src|href|action)=\"([^\"]*)\""))
        {
            var url = m.Groups[1].Value;
            (url.StartsWith('/') || url.StartsWith('#') || url == "tel:111").ShouldBeTrue(url);
        }

        WebForms.Field(html, "ft").ShouldStartWith("v1.");
        WebForms.Field(html, "__RequestVerificationToken").ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task PageWeight_HtmlCssAndScript_Under60KB()
    {
        var html = await hub.Client.GetByteArrayAsync("/bao-cao");
        var text = Encoding.UTF8.GetString(html);
        long total = html.Length;
        foreach (Match m in Regex.Matches(text, "(?:src|href)=\"(/bao-cao/assets/[^\"]+)\""))
        {
            using var asset = await hub.Client.GetAsync(m.Groups[1].Value);
            asset.StatusCode.ShouldBe(HttpStatusCode.OK);
            asset.Headers.CacheControl!.MaxAge.ShouldBe(TimeSpan.FromDays(365));
            total += (await asset.Content.ReadAsByteArrayAsync()).Length;
        }

        Console.WriteLine($"web form page weight: HTML {html.Length} B + assets {WebAssets.TotalBytes} B = {total} B");
        total.ShouldBeLessThan(60 * 1024);
        Regex.Count(text, "/bao-cao/assets/").ShouldBe(2);
    }

    [Fact]
    public async Task Submit_WithScreenshot_ReceiptThenOneCaseWithCleanEvidence()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var jpeg = WebForms.JpegWithExifGps();
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token), (jpeg, "IMG_2041.jpg", "image/jpeg")));
        status.ShouldBe(HttpStatusCode.OK, html[..Math.Min(html.Length, 2000)]);
        var (code, secret) = WebForms.Receipt(html) ?? throw new ShouldAssertException("no receipt: " + html);
        html.ShouldContain("Đã nhận 1 ảnh");

        var messageId = "web-" + token.Split('.')[2];
        var found = await hub.WaitForCaseAsync("web", messageId);
        found.ShouldNotBeNull();
        found.ReferenceCode.ShouldBe(code);
        found.TeamId.ShouldBe("province-48"); // the reporter said Đà Nẵng; the instance's own province (01) is only the default
        SchemaValidator.Errors(found.Envelope).ShouldBeEmpty();
        using var doc = JsonDocument.Parse(found.Envelope);
        var root = doc.RootElement;
        root.GetProperty("channel").GetString().ShouldBe("web");
        root.GetProperty("reporter").GetProperty("anonymous").GetBoolean().ShouldBeTrue();
        root.GetProperty("reporter").GetProperty("role").GetString().ShouldBe("child");
        root.GetProperty("incident").GetProperty("categories").EnumerateArray().Select(c => c.GetString()).ShouldContain("OCSEA.SEXTORTION");
        var shot = root.GetProperty("evidence").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "image");
        shot.GetProperty("md5").GetString()!.Length.ShouldBe(32);
        shot.GetProperty("sha1").GetString()!.Length.ShouldBe(40);
        Hub.Core.Hashing.PdqHash.TryParse(shot.GetProperty("pdq").GetString(), out _).ShouldBeTrue("every stored image carries its PDQ hash");
        shot.GetProperty("pdqQuality").GetInt32().ShouldBeInRange(0, 100);
        root.GetProperty("incident").GetProperty("urls").EnumerateArray().Select(c => c.GetString()).ShouldBe(["https://www.tiktok.com/@ke.xau", "https://facebook.com/groups/12345"]);
        root.GetProperty("incident").GetProperty("reportedAccounts").EnumerateArray().Select(c => c.GetString()).ShouldBe(["@ke.xau"]);
        var evidence = root.GetProperty("evidence").EnumerateArray().Single();
        evidence.GetProperty("kind").GetString().ShouldBe("image");
        evidence.GetProperty("contentType").GetString().ShouldBe("image/jpeg");

        // The stored screenshot: encrypted, its SHA-256 the one the envelope names, upright, and without EXIF or GPS.
        var blob = evidence.GetProperty("blob").GetString()!;
        var stored = await DecryptAsync(blob);
        Hub.Functions.Media.EvidenceStore.Sha256Hex(stored).ShouldBe(evidence.GetProperty("sha256").GetString());
        stored.AsSpan().IndexOf("Exif"u8).ShouldBe(-1);
        stored.AsSpan().IndexOf(WebForms.GpsMarker).ShouldBe(-1);
        Screenshots.Sniff(stored).ShouldBe("image/jpeg");

        // The raw request as evidence: the fields, and the uploaded file's own SHA-256 (not its bytes).
        var raw = Encoding.UTF8.GetString(await DecryptAsync(root.GetProperty("raw").GetProperty("blob").GetString()!));
        raw.ShouldContain(Hub.Functions.Media.EvidenceStore.Sha256Hex(jpeg));
        raw.ShouldContain("dọa tung ảnh");

        // The status page: the right pair shows a coarse status; nothing personal.
        var lookup = await LookupAsync(code, secret);
        lookup.Status.ShouldBe(HttpStatusCode.OK);
        lookup.Html.ShouldContain("Đã nhận");
        lookup.Html.ShouldNotContain("dọa tung ảnh");
        lookup.Html.ShouldNotContain("tiktok");
    }

    [Fact]
    public async Task Status_WrongSecretAndUnknownCode_AnswerAlike()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var (_, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, WebForms.Backdated(hub.Services))));
        var (code, secret) = WebForms.Receipt(html)!.Value;

        var wrong = await LookupAsync(code, secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A'));
        var unknown = await LookupAsync("ZZZZ-ZZZZ", secret);
        var garbage = await LookupAsync("<script>", "x");
        wrong.Status.ShouldBe(HttpStatusCode.NotFound);
        unknown.Status.ShouldBe(HttpStatusCode.NotFound);
        garbage.Status.ShouldBe(HttpStatusCode.NotFound);
        Problem(wrong.Html).ShouldContain("Không tìm thấy báo cáo");
        Problem(wrong.Html).ShouldBe(Problem(unknown.Html));
        Problem(wrong.Html).ShouldBe(Problem(garbage.Html));
        garbage.Html.ShouldNotContain("<script>");

        // Once the case exists, the right pair, typed loosely, still finds it.
        await WaitForCodeAsync(code);
        var ok = await LookupAsync(code.ToLowerInvariant().Replace("-", string.Empty, StringComparison.Ordinal), secret.ToLowerInvariant());
        ok.Status.ShouldBe(HttpStatusCode.OK);
        ok.Html.ShouldContain("Đã nhận");
    }

    [Fact]
    public async Task Submit_Twice_SameReceiptOneCase()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var first = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token), (WebForms.Png(), "a.png", "image/png")));
        var second = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token), (WebForms.Png(), "a.png", "image/png")));
        first.Status.ShouldBe(HttpStatusCode.OK);
        second.Status.ShouldBe(HttpStatusCode.OK);
        WebForms.Receipt(second.Html).ShouldBe(WebForms.Receipt(first.Html));
        var messageId = "web-" + token.Split('.')[2];
        (await hub.WaitForCaseAsync("web", messageId)).ShouldNotBeNull();
        var date = TimeProvider.System.GetUtcNow().ToString("yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture);
        (await hub.CountBlobsAsync(HubStorage.RawContainer, $"web/{date}/")).ShouldBeGreaterThan(0);
        var found = await hub.Cases.FindAsync("web", messageId, CancellationToken.None);
        using var doc = JsonDocument.Parse(found!.Envelope);
        var id = doc.RootElement.GetProperty("id").GetString()!;
        (await hub.CountBlobsAsync(HubStorage.EvidenceContainer, $"web/{date}/{id}/")).ShouldBe(1); // the duplicate stored no second copy
        var raws = 0;
        await foreach (var b in hub.Storage.Raw.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"web/{date}/{id}", CancellationToken.None))
        {
            raws++;
        }

        raws.ShouldBe(1);
    }

    [Fact]
    public async Task Submit_WithContactAndConsent_SealedAndPseudonymised()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var fields = WebForms.Fields(form.Antiforgery, token).With("contact-mode", "contact").With("contact-kind", "phone").With("contact", "0987 654 321").With("consent", "1");
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(fields));
        status.ShouldBe(HttpStatusCode.OK, html);
        var found = await hub.WaitForCaseAsync("web", "web-" + token.Split('.')[2]);
        found!.Envelope.ShouldNotContain("987");
        using var doc = JsonDocument.Parse(found.Envelope);
        var reporter = doc.RootElement.GetProperty("reporter");
        reporter.GetProperty("anonymous").GetBoolean().ShouldBeFalse();
        reporter.GetProperty("pseudonym").GetString()!.ShouldStartWith("ps1_");
        var cipher = hub.Services.GetRequiredService<PrivacyServices>().Cipher;
        cipher.Unprotect(reporter.GetProperty("contactRef").GetString()!, PrivacyServices.ContactPurpose).ShouldBe("+84987654321");
        // The same number texting the SMS line is the same person.
        reporter.GetProperty("pseudonym").GetString().ShouldBe(hub.Services.GetRequiredService<PrivacyServices>().Pseudonymizer.For(Hub.Core.Privacy.Pseudonymizer.PhoneKind, "+84987654321"));
    }

    [Fact]
    public async Task Submit_InvalidFields_ShownBackWithEverythingTypedAndNothingWritten()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var details = "Em bị bắt nạt <b>trong nhóm</b> \"lớp 8A\" & bị dọa";
        var fields = WebForms.Fields(form.Antiforgery, token, details).Without("who").With("links", "https://ok.example.vn/a\nkhông phải link").With("province", "Atlantis")
            .With("contact-mode", "contact").With("contact", "0912345678");
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(fields, (WebForms.Png(), "a.png", "image/png")));
        status.ShouldBe(HttpStatusCode.BadRequest);
        html.ShouldContain("Còn 4 chỗ cần sửa");
        WebForms.TextArea(html, "f-details").ShouldBe(details);
        WebForms.TextArea(html, "f-links").ShouldBe("https://ok.example.vn/a\nkhông phải link");
        WebForms.Field(html, "province").ShouldBe("Atlantis");
        WebForms.Field(html, "contact").ShouldBe("0912345678");
        WebForms.Field(html, "ft").ShouldBe(token); // the same form: a corrected send is still one report
        html.ShouldContain("<input type=\"radio\" id=\"f-age-14-15\" name=\"age\" value=\"14-15\" checked");
        html.ShouldContain("value=\"OCSEA.GROOMING\" checked");
        html.ShouldContain("<option value=\"tiktok\" selected");
        // Each error is tied to its field, and listed at the top with a link to it.
        html.ShouldContain("id=\"f-links-error\"");
        html.ShouldContain("aria-describedby=\"f-links-hint f-links-error\" aria-invalid=\"true\"");
        html.ShouldContain("<a href=\"#f-who\">");
        html.ShouldContain("<a href=\"#f-consent\">");
        html.ShouldContain("chọn lại ảnh"); // the file input cannot be refilled: the page says so
        await NothingWrittenAsync("web-" + token.Split('.')[2]);
    }

    public static TheoryData<string, string, string> SpoofedFiles => new()
    {
        { "html named .png", "screenshot.png", "<!doctype html><html><script>alert(1)</script></html>" },
        { "svg", "image.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>" },
        { "svg named .jpg", "photo.jpg", "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>" },
        { "gif", "a.png", "GIF89a\u0001\0\u0001\0\0\0\0;" },
        { "pdf", "a.jpg", "%PDF-1.4\n1 0 obj<<>>endobj" },
        { "png polyglot", "a.png", "POLYGLOT" },
        { "truncated png", "a.png", "TRUNCATED" },
    };

    [Theory]
    [MemberData(nameof(SpoofedFiles))]
    public async Task Submit_SpoofedFile_RefusedByItsBytesWithInputKept(string label, string name, string content)
    {
        var bytes = content switch
        {
            "POLYGLOT" => [.. WebForms.Png(), .. "<html><body><script>fetch('/x')</script>"u8.ToArray()],
            "TRUNCATED" => WebForms.Png(300, 300)[..200],
            _ => Encoding.UTF8.GetBytes(content),
        };
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token), (bytes, name, "image/png")));
        status.ShouldBe(HttpStatusCode.BadRequest, label);
        html.ShouldContain("id=\"f-screenshots-error\"", customMessage: label);
        html.ShouldContain("Ảnh thứ 1", customMessage: label);
        WebForms.TextArea(html, "f-details")!.ShouldContain("dọa tung ảnh");
        await NothingWrittenAsync("web-" + token.Split('.')[2]);
    }

    [Fact]
    public async Task Submit_SixScreenshots_Refused()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var files = Enumerable.Range(0, 6).Select(i => (WebForms.Png(), $"{i}.png", "image/png")).ToArray();
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token), files));
        status.ShouldBe(HttpStatusCode.BadRequest);
        html.ShouldContain("tối đa 5 ảnh");
        await NothingWrittenAsync("web-" + token.Split('.')[2]);
    }

    [Fact]
    public async Task Submit_FasterThanAPerson_ShownBackToSendAgain()
    {
        var form = await WebForms.OpenAsync(hub.Client); // its own token: issued just now, under the 3 s minimum
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, form.FormToken)));
        status.ShouldBe(HttpStatusCode.BadRequest);
        html.ShouldContain("Em gửi nhanh quá");
        WebForms.TextArea(html, "f-details")!.ShouldContain("dọa tung ảnh");
        WebForms.Field(html, "ft").ShouldBe(form.FormToken); // the same token: pressing send again after a moment works
        await NothingWrittenAsync("web-" + form.FormToken.Split('.')[2]);
    }

    [Fact]
    public async Task Submit_HoneypotFilled_NotAccepted()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token).With("website", "http://spam.example")));
        status.ShouldBe(HttpStatusCode.BadRequest);
        WebForms.Receipt(html).ShouldBeNull();
        WebForms.Field(html, "website").ShouldBeNull(); // never echoed back filled
        await NothingWrittenAsync("web-" + token.Split('.')[2]);
    }

    [Theory]
    [InlineData("no antiforgery token")]
    [InlineData("forged form token")]
    [InlineData("expired form token")]
    [InlineData("no form token")]
    public async Task Submit_BadTokens_ShownBackWithInputAndAFreshToken(string how)
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = how switch
        {
            "forged form token" => "v1.1796000000.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
            "expired form token" => WebForms.Backdated(hub.Services, TimeSpan.FromHours(25)),
            "no form token" => string.Empty,
            _ => WebForms.Backdated(hub.Services),
        };
        var fields = WebForms.Fields(how == "no antiforgery token" ? string.Empty : form.Antiforgery, token);
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(fields));
        status.ShouldBe(HttpStatusCode.BadRequest, how);
        html.ShouldContain("Trang đã mở quá lâu");
        WebForms.TextArea(html, "f-details")!.ShouldContain("dọa tung ảnh");
        WebForms.Field(html, "ft").ShouldStartWith("v1.");
        if (how == "no antiforgery token")
        {
            WebForms.Field(html, "ft").ShouldBe(token); // the form token was fine: keep it, so the resend is the same report
        }

        if (token.Length > 0)
        {
            await NothingWrittenAsync("web-" + token.Split('.')[2]);
        }
    }

    [Fact]
    public async Task Submit_TooLargeOrNotAForm_FriendlyPages()
    {
        using var big = new ByteArrayContent(new byte[Limits.MaxRequestBytes + 1]);
        big.Headers.ContentType = new("multipart/form-data") { Parameters = { new("boundary", "x") } };
        var tooLarge = await WebForms.PostAsync(hub.Client, big);
        tooLarge.Status.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        tooLarge.Html.ShouldContain("<html lang=\"vi\">");
        tooLarge.Html.ShouldContain("Báo cáo quá lớn");
        tooLarge.Html.ShouldContain("tel:111");

        using var json = new StringContent("{\"who\":\"self\"}", Encoding.UTF8, "application/json");
        var notForm = await WebForms.PostAsync(hub.Client, json);
        notForm.Status.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        notForm.Html.ShouldContain("Chưa gửi được");

        using var broken = new StringContent("--x\r\nContent-Disposition: form-data; name=\"who\"\r\n\r\nself\r\n--x", Encoding.UTF8);
        broken.Headers.ContentType = new("multipart/form-data") { Parameters = { new("boundary", "x") } };
        var unreadable = await WebForms.PostAsync(hub.Client, broken);
        unreadable.Status.ShouldBe(HttpStatusCode.BadRequest);
        unreadable.Html.ShouldContain("<html lang=\"vi\">");
    }

    [Fact]
    public async Task Logs_NeverHoldWhatWasTypedNorTheSecret()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var details = "Bí mật riêng của em về chú Tư ở xóm Đông";
        var fields = WebForms.Fields(form.Antiforgery, token, details).With("contact-mode", "contact").With("contact", "0976111222").With("consent", "1").With("accounts", "@chu.tu.xom.dong");
        var (_, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(fields));
        var (code, secret) = WebForms.Receipt(html)!.Value;
        await LookupAsync(code, secret);
        await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, WebForms.Backdated(hub.Services), details).With("contact-mode", "contact").With("contact", "0976111222"))); // refused: no consent
        (await hub.WaitForCaseAsync("web", "web-" + token.Split('.')[2])).ShouldNotBeNull();
        var logs = hub.Logs.AllText;
        logs.ShouldContain("Web form report");
        foreach (var secretThing in new[] { "Bí mật riêng", "xóm Đông", "0976111222", "976111222", "chu.tu", secret, token.Split('.')[3] })
        {
            logs.ShouldNotContain(secretThing);
        }
    }

    [Fact]
    public async Task Poster_PrintableWithTheAddressAnd111()
    {
        using var response = await hub.Client.GetAsync("/bao-cao/in");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain(HubFixture.PublicBaseUrl + "/bao-cao");
        html.ShouldContain("href=\"tel:111\"");
        (await hub.Client.GetAsync("/bao-cao/assets/form.000000000000.css")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    // ---- helpers ----

    private async Task<(HttpStatusCode Status, string Html)> LookupAsync(string code, string secret)
    {
        using var page = await hub.Client.GetAsync("/bao-cao/trang-thai");
        var html = await page.Content.ReadAsStringAsync();
        using var content = new FormUrlEncodedContent([new("__RequestVerificationToken", WebForms.Field(html, "__RequestVerificationToken")!), new("code", code), new("secret", secret)]);
        return await WebForms.PostAsync(hub.Client, content, "/bao-cao/trang-thai");
    }

    private static string Problem(string html) => Regex.Match(html, "<div class=\"problem\" role=\"alert\">\\s*<p>([^<]*)</p>").Groups[1].Value;

    private async Task<string> WaitForCodeAsync(string code)
    {
        for (var i = 0; i < 400; i++)
        {
            if (await hub.Cases.FindByReferenceCodeAsync(code, CancellationToken.None) is { } c)
            {
                return JsonDocument.Parse(c.Envelope).RootElement.GetProperty("source").GetProperty("providerMessageId").GetString()!;
            }

            await Task.Delay(50);
        }

        throw new ShouldAssertException($"no case for {code}");
    }

    /// <summary>Nothing of a refused submission exists: no dedup row, no case, and (after the processor had time) still no case.</summary>
    private async Task NothingWrittenAsync(string messageId)
    {
        var row = await hub.Storage.Table(Hub.Functions.Intake.IntakeService.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("web", messageId);
        row.HasValue.ShouldBeFalse();
        (await hub.Cases.FindAsync("web", messageId, CancellationToken.None)).ShouldBeNull();
    }

    private async Task<byte[]> DecryptAsync(string blob)
    {
        var slash = blob.IndexOf('/', StringComparison.Ordinal);
        var (container, name) = (blob[..slash], blob[(slash + 1)..]);
        var download = await hub.Storage.Container(container).GetBlobClient(name).DownloadContentAsync();
        return hub.Services.GetRequiredService<PrivacyServices>().Cipher.DecryptBlob(download.Value.Content.ToMemory().Span, blob);
    }
}
