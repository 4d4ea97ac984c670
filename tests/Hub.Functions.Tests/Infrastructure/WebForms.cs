using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hub.Functions.Channels.Web;
using SkiaSharp;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The web form as a browser uses it, without a browser: open the page (its antiforgery cookie and token, its signed
/// form token), post the fields as multipart with files, read the receipt. Also the test images (made here, in code).
/// </summary>
public static partial class WebForms
{
    /// <summary>A served form: its antiforgery field's value and its form token.</summary>
    public sealed record Served(string Antiforgery, string FormToken, string Html);

    public static async Task<Served> OpenAsync(HttpClient client, string path = "/bao-cao")
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await response.Content.ReadAsStringAsync();
        return new Served(Field(html, "__RequestVerificationToken") ?? string.Empty, Field(html, "ft") ?? string.Empty, html);
    }

    /// <summary>A form token issued a minute ago (past the minimum fill time), signed by the hub under test.</summary>
    public static string Backdated(IServiceProvider services, TimeSpan? age = null) =>
        services.GetRequiredService<WebFormTokens>().Issue(TimeProvider.System.GetUtcNow() - (age ?? TimeSpan.FromMinutes(1))).Value;

    /// <summary>A complete, valid set of fields (a child reporting sextortion on TikTok, in Đà Nẵng, anonymously).</summary>
    public static List<KeyValuePair<string, string>> Fields(string antiforgery, string token, string details = "Có người lạ dọa tung ảnh của em nếu em không gửi thêm ảnh.") =>
    [
        new("__RequestVerificationToken", antiforgery),
        new("ft", token),
        new("who", "self"),
        new("what", "OCSEA.SEXTORTION"),
        new("what", "OCSEA.GROOMING"),
        new("details", details),
        new("platform", "tiktok"),
        new("links", "https://www.tiktok.com/@ke.xau\nfacebook.com/groups/12345"),
        new("accounts", "@ke.xau"),
        new("age", "14-15"),
        new("province", "Đà Nẵng"),
        new("contact-mode", "anonymous"),
        new("contact-kind", "phone"),
        new("contact", string.Empty),
        new("website", string.Empty),
    ];

    public static List<KeyValuePair<string, string>> With(this List<KeyValuePair<string, string>> fields, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.RemoveAll(f => f.Key == name);
        fields.Add(new(name, value));
        return fields;
    }

    public static List<KeyValuePair<string, string>> Without(this List<KeyValuePair<string, string>> fields, string name)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.RemoveAll(f => f.Key == name);
        return fields;
    }

    /// <summary>The fields as a browser posts them: multipart, each file part with its name and declared type, and the empty part of an unused file input.</summary>
    public static MultipartFormDataContent Multipart(IEnumerable<KeyValuePair<string, string>> fields, params (byte[] Bytes, string Name, string Type)[] files)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var content = new MultipartFormDataContent("----hubtestboundary" + Guid.NewGuid().ToString("N"));
        foreach (var (k, v) in fields)
        {
            content.Add(new StringContent(v, Encoding.UTF8), k);
        }

        if (files.Length == 0)
        {
            var empty = new ByteArrayContent([]);
            empty.Headers.ContentType = new("application/octet-stream");
            empty.Headers.TryAddWithoutValidation("Content-Disposition", "form-data; name=\"screenshots\"; filename=\"\"");
            content.Add(empty);
        }

        foreach (var (bytes, name, type) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new(type);
            content.Add(part, "screenshots", name);
        }

        return content;
    }

    public static async Task<(HttpStatusCode Status, string Html)> PostAsync(HttpClient client, HttpContent content, string path = "/bao-cao")
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.PostAsync(path, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The receipt's reference code and secret, or null if the page is not a receipt.</summary>
    /// <summary>A child's report with one PNG screenshot, posted through the form as a browser does; answers its case once processed.</summary>
    public static async Task<Hub.Functions.Cases.CaseRecord> ReportWithScreenshotAsync(HubFixture hub, byte[] png, string details)
    {
        var form = await OpenAsync(hub.Client);
        var token = Backdated(hub.Services);
        var fields = Fields(form.Antiforgery, token, details).With("what", "ONLINE.BULLYING");
        var (status, html) = await PostAsync(hub.Client, Multipart(fields, (png, "anh.png", "image/png")));
        status.ShouldBe(HttpStatusCode.OK, html[..Math.Min(500, html.Length)]);
        return (await hub.WaitForCaseAsync("web", "web-" + token.Split('.')[2])).ShouldNotBeNull();
    }

    public static (string Code, string Secret)? Receipt(string html)
    {
        var code = ReceiptCode().Match(html);
        var secret = ReceiptSecret().Match(html);
        return code.Success && secret.Success ? (code.Groups[1].Value, secret.Groups[1].Value) : null;
    }

    /// <summary>A hidden or text input's value (HTML-decoded).</summary>
    public static string? Field(string html, string name)
    {
        ArgumentNullException.ThrowIfNull(html);
        var m = Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"");
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
    }

    /// <summary>A textarea's content (HTML-decoded).</summary>
    public static string? TextArea(string html, string id)
    {
        ArgumentNullException.ThrowIfNull(html);
        var m = Regex.Match(html, $"<textarea id=\"{Regex.Escape(id)}\"[^>]*>([^<]*)</textarea>");
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
    }

    // ---- images ----

    public static byte[] Png(int width = 64, int height = 40) => Encode(SKEncodedImageFormat.Png, width, height, 100);

    public static byte[] Jpeg(int width = 64, int height = 40) => Encode(SKEncodedImageFormat.Jpeg, width, height, 90);

    public static byte[] Webp(int width = 64, int height = 40) => Encode(SKEncodedImageFormat.Webp, width, height, 90);

    /// <summary>The GPS latitude the EXIF test block carries (a rational 21/1: Hà Nội's latitude), as its bytes.</summary>
    public static readonly byte[] GpsMarker = [0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x01];

    /// <summary>
    /// A JPEG as a phone camera writes it: an EXIF APP1 block right after SOI with Orientation = 6 (rotate 90° to
    /// view) and a GPS IFD holding a latitude; hand-built big-endian TIFF (EXIF 2.3 §4.6).
    /// </summary>
    public static byte[] JpegWithExifGps(int width = 40, int height = 20)
    {
        var jpeg = Jpeg(width, height);
        var tiff = new List<byte>();
        void U16(int v) { tiff.Add((byte)(v >> 8)); tiff.Add((byte)v); }
        void U32(long v) { U16((int)(v >> 16)); U16((int)(v & 0xFFFF)); }
        tiff.AddRange("MM"u8.ToArray()); U16(42); U32(8);
        U16(2); // IFD0: Orientation, GPS pointer
        U16(0x0112); U16(3); U32(1); U16(6); U16(0);
        U16(0x8825); U16(4); U32(1); U32(38);
        U32(0);
        U16(2); // GPS IFD at 38: GPSLatitudeRef "N", GPSLatitude 21/1 1/1 0/1 at 68
        U16(0x0001); U16(2); U32(2); tiff.AddRange("N\0\0\0"u8.ToArray());
        U16(0x0002); U16(5); U32(3); U32(68);
        U32(0);
        tiff.AddRange(GpsMarker); U32(1); U32(1); U32(0); U32(1);
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var app1 = new byte[] { 0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2) }.Concat(payload);
        return jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray();
    }

    private static byte[] Encode(SKEncodedImageFormat format, int width, int height, int quality)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0xF3, 0xF5, 0xF8));
            using var paint = new SKPaint { Color = new SKColor(0x0B, 0x5C, 0xAD) };
            canvas.DrawRect(0, 0, width / 2f, height / 3f, paint); // a "message bubble": the top-left corner is blue
        }

        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    [GeneratedRegex("<output id=\"reference-code\">([0-9A-Z]{4}-[0-9A-Z]{4})</output>")]
    private static partial Regex ReceiptCode();

    [GeneratedRegex("<output id=\"status-secret\">([0-9A-Z]{5}-[0-9A-Z]{5})</output>")]
    private static partial Regex ReceiptSecret();
}
