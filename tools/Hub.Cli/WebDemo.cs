using System.Net;
using System.Text.RegularExpressions;
using Hub.Functions.Channels;
using Hub.Functions.Channels.Web;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace Hub.Cli;

/// <summary>
/// <c>demo web</c>: what a browser does with the public form, over plain HTTP: open <c>/bao-cao</c> (its cookie and
/// tokens), take the time a person takes, send a report with a screenshot as multipart, read the receipt, look the
/// status up, then show the case. Open the same address in a browser to do it by hand.
/// </summary>
internal static partial class WebDemo
{
    public static async Task<int> RunAsync(IServiceProvider sp, TextWriter output)
    {
        var sent = await SendAsync(sp, output,
        [
            ("who", "other-child"), ("what", "ONLINE.BULLYING"),
            ("details", "Bạn cùng lớp em bị một nhóm trên Facebook đăng ảnh chế giễu và nhắn tin dọa đánh. Bạn ấy ở Quảng Nam."),
            ("platform", "facebook"), ("links", "https://www.facebook.com/groups/nhom-che-gieu"), ("age", "10-13"), ("province", "Quảng Nam"),
        ]);
        if (sent is not { } s)
        {
            return 1;
        }

        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        var statusPage = await s.Http.GetStringAsync("/bao-cao/trang-thai");
        using var lookup = new FormUrlEncodedContent([new("__RequestVerificationToken", Value(statusPage, "__RequestVerificationToken")), new("code", s.Code), new("secret", s.Secret)]);
        using var status = await s.Http.PostAsync("/bao-cao/trang-thai", lookup);
        var statusHtml = await status.Content.ReadAsStringAsync();
        output.WriteLine($"Status page -> {(int)status.StatusCode}: {ResultPattern().Match(statusHtml).Groups[1].Value.Trim()}");
        output.WriteLine($"Open {hub.PublicBaseUrl.TrimEnd('/')}/bao-cao in a browser to send one yourself (it works with JavaScript off too).");
        var shown = await Demos.ShowCaseAsync(sp, s.Instance, s.MessageId, output);
        s.Http.Dispose();
        return shown;
    }

    /// <summary>A form sent as a browser sends it: the receipt's code and status secret, the instance and the report's message id; null when it was refused (printed).</summary>
    internal sealed record Sent(HttpClient Http, string Instance, string MessageId, string Code, string Secret);

    /// <summary>
    /// Opens the form, waits the form's minimum fill time, posts <paramref name="fields"/> (anonymous, with a made-up
    /// screenshot) as multipart and reads the receipt. Answers null, said on <paramref name="output"/>, when no web
    /// channel is configured or the form refused the report.
    /// </summary>
    internal static async Task<Sent?> SendAsync(IServiceProvider sp, TextWriter output, IEnumerable<(string Name, string Value)> fields)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        var form = sp.GetRequiredService<IOptions<WebFormOptions>>().Value;
        var instance = form.Instance is { Length: > 0 } named ? named
            : sp.GetRequiredService<IOptions<ChannelsOptions>>().Value.Instances.FirstOrDefault(i => i.Value.Type == WebDescriptor.TypeName).Key;
        if (instance is null)
        {
            output.WriteLine("No web channel is configured (Hub:Channels:{name}:Type = web; Development has demo-web).");
            return null;
        }

        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        var page = await http.GetStringAsync("/bao-cao");
        var antiforgery = Value(page, "__RequestVerificationToken");
        var token = Value(page, "ft");
        output.WriteLine($"GET {hub.PublicBaseUrl.TrimEnd('/')}/bao-cao -> the form ({page.Length} bytes)");

        // The form refuses a submission faster than a person could write one; wait as long as that, like a person.
        output.WriteLine($"Filling in the form ({form.MinFillTime.TotalSeconds:0} s, the form's minimum)…");
        await Task.Delay(form.MinFillTime + TimeSpan.FromMilliseconds(200));

        using var content = new MultipartFormDataContent();
        foreach (var (k, v) in new[] { ("__RequestVerificationToken", antiforgery), ("ft", token), ("contact-mode", "anonymous"), ("website", string.Empty) }.Concat(fields))
        {
            content.Add(new StringContent(v), k);
        }

        var shot = new ByteArrayContent(Screenshot());
        shot.Headers.ContentType = new("image/png");
        content.Add(shot, "screenshots", "anh-chup-man-hinh.png");
        using var response = await http.PostAsync("/bao-cao", content);
        var receipt = await response.Content.ReadAsStringAsync();
        var code = Output(receipt, "reference-code");
        var secret = Output(receipt, "status-secret");
        output.WriteLine($"POST /bao-cao (multipart, 1 screenshot) -> {(int)response.StatusCode}");
        if (response.StatusCode != HttpStatusCode.OK || code is null || secret is null)
        {
            output.WriteLine(Regex.Replace(receipt, "<[^>]+>", " "));
            http.Dispose();
            return null;
        }

        output.WriteLine($"Receipt: reference code {code}, status secret {secret}");
        return new Sent(http, instance, "web-" + token.Split('.')[2], code, secret);
    }

    private static string Value(string html, string name) =>
        WebUtility.HtmlDecode(Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"").Groups[1].Value);

    private static string? Output(string html, string id) => Regex.Match(html, $"<output id=\"{id}\">([^<]+)</output>") is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>A made-up screenshot of a chat (grey page, two message bubbles), drawn here: the demo sends no real image.</summary>
    private static byte[] Screenshot()
    {
        using var bitmap = new SKBitmap(360, 640);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0xF0, 0xF2, 0xF5));
            using var them = new SKPaint { Color = new SKColor(0xE4, 0xE6, 0xEB) };
            using var me = new SKPaint { Color = new SKColor(0x00, 0x84, 0xFF) };
            canvas.DrawRoundRect(16, 80, 220, 48, 18, 18, them);
            canvas.DrawRoundRect(124, 150, 220, 48, 18, 18, me);
            canvas.DrawRoundRect(16, 220, 260, 72, 18, 18, them);
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [GeneratedRegex("<div class=\"result\" role=\"status\">.*?<p>([^<]*)</p>", RegexOptions.Singleline)]
    private static partial Regex ResultPattern();
}
