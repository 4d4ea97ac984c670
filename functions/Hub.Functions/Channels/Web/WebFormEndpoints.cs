using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;
using Hub.Functions.Storage;
using Hub.WebForm;
using Hub.WebForm.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.Web;

/// <summary>What the form's handlers use, bound per request.</summary>
public sealed record WebFormServices(
    IntakeService Intake, WebFormTokens Tokens, WebFormLimiter Limiter, IAntiforgery Antiforgery, ICaseStore Cases,
    TimeProvider Time, IOptions<WebFormOptions> Options, IOptions<ChannelsOptions> Channels, IOptions<HubOptions> Hub, ILogger<WebFormLog> Logger)
{
    /// <summary>The configured web instance the form reports through (<c>Hub:WebForm:Instance</c>, else the only one).</summary>
    public (string Name, ChannelOptions Options)? Instance()
    {
        var webs = Channels.Value.Instances.Where(i => i.Value.Type == WebDescriptor.TypeName).ToList();
        var named = Options.Value.Instance is { Length: > 0 } n ? webs.Where(w => w.Key == n).ToList() : webs;
        return named.Count == 1 ? (named[0].Key, named[0].Value) : null;
    }
}

/// <summary>The form's log category (no personal data: no fields, no addresses; counts, codes of refusal, report ids).</summary>
public sealed partial class WebFormLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Web form report {ReportId} accepted on {ChannelInstance} ({Screenshots} screenshots, duplicate {Duplicate})")]
    public static partial void Accepted(ILogger logger, string reportId, string channelInstance, int screenshots, bool duplicate);

    [LoggerMessage(Level = LogLevel.Information, Message = "Web form submission shown back: {Reason}")]
    public static partial void Refused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Web form report not accepted, storage unreachable ({Error}); the form was shown back with what was typed")]
    public static partial void Unavailable(ILogger logger, string error);
}

/// <summary>
/// <c>/bao-cao</c> (alias <c>/report</c>): the public report form, its receipt, the status page and the printable
/// poster. A submission is read under hard caps, checked (rate limit, antiforgery, the signed form token and its
/// minimum fill time, the honeypot, every field, every screenshot), then goes through the one intake every channel
/// shares; the receipt (code and secret) is shown only once the envelope is in the queue or the fsynced spool. Any
/// refusal is a Vietnamese page, and whenever the form can be shown back it is, with everything that was typed.
/// </summary>
public static class WebFormEndpoints
{
    public const string FunctionName = "WebForm";
    public const string AliasFunctionName = "WebFormAlias";

    private const string Unavailable111 = "Nếu em đang gặp nguy hiểm, hãy gọi 111 ngay.";

    public static IEndpointRouteBuilder MapWebForm(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var (prefix, function) in new[] { ("/bao-cao", FunctionName), ("/report", AliasFunctionName) })
        {
            // On Azure one function carries each prefix to the app (FunctionApp/WebForm: bao-cao/{*path}).
            var g = app.MapGroup(prefix).ExcludeFromDescription().WithMetadata(new FunctionMetadata(function)).DisableAntiforgery();
            var name = prefix == "/bao-cao" ? "web" : "web.alias";
            g.MapGet("/", FormAsync).WithName(name + ".form");
            g.MapPost("/", SubmitAsync).WithName(name + ".submit").AddEndpointFilter(new Telemetry.RequestMetricsFilter("web"));
            g.MapGet(prefix == "/bao-cao" ? "/trang-thai" : "/status", StatusFormAsync).WithName(name + ".status");
            g.MapPost(prefix == "/bao-cao" ? "/trang-thai" : "/status", StatusAsync).WithName(name + ".status.lookup");
            g.MapGet(prefix == "/bao-cao" ? "/in" : "/poster", Poster).WithName(name + ".poster");
            g.MapGet("/assets/{file}", (Func<HttpContext, string, IResult>)Asset).WithName(name + ".assets");
        }

        return app;
    }

    public static bool IsWebFormPath(PathString path) => path.StartsWithSegments("/bao-cao") || path.StartsWithSegments("/report");

    /// <summary>
    /// The public pages' headers: a strict CSP (no inline script, nothing from another host), no framing, no referrer
    /// (a school's site linking here learns nothing back), and nothing cached that holds a child's words — only the
    /// content-hashed assets are cacheable.
    /// </summary>
    public static void Headers(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var h = context.Response.Headers;
        h.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        h["Cross-Origin-Opener-Policy"] = "same-origin";
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()";
        if (!context.Request.Path.Value!.Contains("/assets/", StringComparison.Ordinal))
        {
            h.CacheControl = "no-cache, no-store"; // what antiforgery sets too (it would log each override otherwise)
            h.Pragma = "no-cache";
        }
    }

    // ---- the form ----

    private static IResult FormAsync(HttpContext http, [AsParameters] WebFormServices s)
    {
        if (s.Instance() is null)
        {
            return NotConfigured();
        }

        return Form(http, s, FormInput.Empty, Empty, s.Tokens.Issue(), null, 0, StatusCodes.Status200OK);
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, [AsParameters] WebFormServices s)
    {
        if (s.Instance() is not { } instance)
        {
            return NotConfigured();
        }

        if (http.Request.ContentLength > Limits.MaxRequestBytes)
        {
            WebFormLog.Refused(s.Logger, "body too large");
            return Notice(StatusCodes.Status413PayloadTooLarge, "Báo cáo quá lớn",
                $"Báo cáo cùng các ảnh lớn hơn {Limits.MaxTotalMegabytes} MB nên chưa gửi được. Hãy quay lại, bớt ảnh hoặc chọn ảnh nhỏ hơn rồi gửi lại. " + Unavailable111);
        }

        if (!http.Request.HasFormContentType)
        {
            WebFormLog.Refused(s.Logger, "not a form");
            return Notice(StatusCodes.Status415UnsupportedMediaType, "Chưa gửi được", "Trang này chỉ nhận báo cáo gửi từ biểu mẫu. Hãy mở lại biểu mẫu và gửi lại.");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } max)
        {
            max.MaxRequestBodySize = Limits.MaxRequestBytes;
        }

        IFormCollection form;
        List<byte[]> files;
        try
        {
            http.Features.Set<IFormFeature>(new FormFeature(http.Request, FormLimits));
            form = await http.Request.ReadFormAsync(http.RequestAborted);
            files = await ReadFilesAsync(form, http.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException or FormatException or InvalidOperationException && !http.RequestAborted.IsCancellationRequested)
        {
            WebFormLog.Refused(s.Logger, "unreadable body: " + ex.GetType().Name);
            var tooLarge = ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } || ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);
            return tooLarge
                ? Notice(StatusCodes.Status413PayloadTooLarge, "Báo cáo quá lớn", $"Báo cáo hoặc các ảnh lớn hơn mức cho phép ({Limits.MaxTotalMegabytes} MB ảnh, {FormInput.MaxDetails} ký tự phần kể lại). Hãy quay lại, rút gọn rồi gửi lại. " + Unavailable111)
                : Notice(StatusCodes.Status400BadRequest, "Chưa gửi được", "Trình duyệt gửi báo cáo không trọn vẹn nên chúng tôi chưa đọc được. Hãy quay lại và gửi lại. " + Unavailable111);
        }

        var input = FormInput.From(name => form[name].Where(v => v is not null).Select(v => v!).ToList());
        var filesChosen = files.Count;

        if (!s.Limiter.TrySubmit(http))
        {
            WebFormLog.Refused(s.Logger, "rate limit");
            http.Response.Headers.RetryAfter = ((int)s.Options.Value.SubmitWindow.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Form(http, s, input, Empty, ReuseOrIssue(s, form), new Notice("Em đã gửi nhiều lần liền",
                "Từ máy này đã có nhiều báo cáo trong ít phút. Những gì em viết vẫn còn đây: hãy đợi vài phút rồi bấm Gửi lại. " + Unavailable111), filesChosen, StatusCodes.Status429TooManyRequests);
        }

        if (!await s.Antiforgery.IsRequestValidAsync(http))
        {
            WebFormLog.Refused(s.Logger, "antiforgery");
            return Form(http, s, input, Empty, ReuseOrIssue(s, form), new Notice("Trang đã mở quá lâu",
                "Phiên của biểu mẫu đã hết hạn nên báo cáo chưa được gửi. Những gì em viết vẫn còn đây: hãy bấm Gửi báo cáo lần nữa."), filesChosen, StatusCodes.Status400BadRequest);
        }

        var now = s.Time.GetUtcNow();
        var token = s.Tokens.Verify(form[Fields.Token]);
        if (token is null || now - token.IssuedAt > s.Options.Value.TokenLifetime || token.IssuedAt - now > TimeSpan.FromMinutes(5))
        {
            WebFormLog.Refused(s.Logger, token is null ? "form token invalid" : "form token expired");
            return Form(http, s, input, Empty, s.Tokens.Issue(), new Notice("Trang đã mở quá lâu",
                "Biểu mẫu này đã cũ nên báo cáo chưa được gửi. Những gì em viết vẫn còn đây: hãy bấm Gửi báo cáo lần nữa."), filesChosen, StatusCodes.Status400BadRequest);
        }

        if (now - token.IssuedAt < s.Options.Value.MinFillTime)
        {
            WebFormLog.Refused(s.Logger, "sent faster than the minimum fill time");
            return Form(http, s, input, Empty, token, new Notice("Em gửi nhanh quá",
                "Báo cáo được gửi ngay khi trang vừa mở nên chưa được nhận. Hãy xem lại những gì em viết rồi bấm Gửi báo cáo lần nữa."), filesChosen, StatusCodes.Status400BadRequest);
        }

        if (form[Fields.Honeypot].ToString().Length > 0)
        {
            WebFormLog.Refused(s.Logger, "honeypot filled");
            return Form(http, s, input, Empty, token, new Notice("Chưa gửi được",
                "Có một ô ẩn đã bị điền (thường do phần mềm tự điền). Hãy bấm Gửi báo cáo lần nữa. " + Unavailable111), filesChosen, StatusCodes.Status400BadRequest);
        }

        var errors = new Dictionary<string, string>(input.Validate(), StringComparer.Ordinal);
        var (screenshots, fileProblem) = Screenshots.CleanAll(files);
        if (fileProblem is not null)
        {
            errors[Fields.Screenshots] = fileProblem;
        }

        if (errors.Count > 0)
        {
            WebFormLog.Refused(s.Logger, "validation: " + string.Join(',', errors.Keys));
            return Form(http, s, input, Ordered(errors), token, null, filesChosen, StatusCodes.Status400BadRequest);
        }

        var submission = WebReport.Submission(input, screenshots, token, instance.Name, instance.Options);
        IntakeResult result;
        try
        {
            result = await s.Intake.AcceptOrSpoolAsync(submission, http.RequestAborted);
        }
        catch (StorageUnavailableException ex)
        {
            WebFormLog.Unavailable(s.Logger, ex.InnerException?.GetType().Name ?? ex.GetType().Name);
            http.Response.Headers.RetryAfter = s.Hub.Value.Intake.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Form(http, s, input, Empty, token, new Notice("Chưa gửi được: hệ thống đang bận",
                "Báo cáo của em CHƯA được nhận vì hệ thống lưu trữ tạm thời không phản hồi. Những gì em viết vẫn còn đây: hãy đợi một lát rồi bấm Gửi báo cáo lần nữa. " + Unavailable111), filesChosen, StatusCodes.Status503ServiceUnavailable);
        }
        catch (EnvelopeTooLargeException)
        {
            WebFormLog.Refused(s.Logger, "envelope too large");
            return Form(http, s, input, Empty, token, new Notice("Báo cáo quá dài",
                "Báo cáo dài hơn mức có thể lưu. Hãy rút gọn phần kể lại hoặc bớt đường link rồi gửi lại."), filesChosen, StatusCodes.Status413PayloadTooLarge);
        }

        WebFormLog.Accepted(s.Logger, result.ReportId, instance.Name, screenshots.Count, result.Duplicate);
        var secret = s.Tokens.StatusSecretFor(result.ReferenceCode);
        var prefix = http.Request.PathBase + (http.Request.Path.StartsWithSegments("/report") ? "/report/status" : "/bao-cao/trang-thai");
        return Page<ReceiptPage>(new() { ["Model"] = new ReceiptModel(result.ReferenceCode, secret, result.Urgency == Urgencies.Immediate, screenshots.Count, prefix) }, StatusCodes.Status200OK);
    }

    // ---- status ----

    private static RazorComponentResult<StatusPage> StatusFormAsync(HttpContext http, [AsParameters] WebFormServices s) =>
        Page<StatusPage>(new() { ["Model"] = new StatusModel(Tokens(http, s, null), string.Empty, null, null) }, StatusCodes.Status200OK);

    private static async Task<IResult> StatusAsync(HttpContext http, [AsParameters] WebFormServices s)
    {
        if (!http.Request.HasFormContentType || http.Request.ContentLength > 16 * 1024)
        {
            return Notice(StatusCodes.Status400BadRequest, "Chưa xem được", "Hãy mở lại trang xem tình trạng và nhập mã.", "Xem tình trạng báo cáo", "/bao-cao/trang-thai");
        }

        IFormCollection form;
        try
        {
            http.Features.Set<IFormFeature>(new FormFeature(http.Request, new FormOptions { ValueCountLimit = 10, ValueLengthLimit = 1024, KeyLengthLimit = 64, MultipartBodyLengthLimit = 16 * 1024 }));
            form = await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException or InvalidOperationException && !http.RequestAborted.IsCancellationRequested)
        {
            return Notice(StatusCodes.Status400BadRequest, "Chưa xem được", "Hãy mở lại trang xem tình trạng và nhập mã.", "Xem tình trạng báo cáo", "/bao-cao/trang-thai");
        }

        var typed = form[Fields.Code].ToString().Trim();
        typed = typed.Length > 20 ? typed[..20] : typed;
        StatusModel Result(string? result, string? problem) => new(Tokens(http, s, null), typed, result, problem);

        if (!s.Limiter.TryLookup(http))
        {
            http.Response.Headers.RetryAfter = ((int)s.Options.Value.StatusWindow.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Page<StatusPage>(new() { ["Model"] = Result(null, "Đã thử nhiều lần liền. Hãy đợi 15 phút rồi thử lại, hoặc gọi 111 và đọc mã báo cáo.") }, StatusCodes.Status429TooManyRequests);
        }

        if (!await s.Antiforgery.IsRequestValidAsync(http))
        {
            return Page<StatusPage>(new() { ["Model"] = Result(null, "Trang đã mở quá lâu. Hãy nhập lại mã bí mật rồi bấm Xem tình trạng.") }, StatusCodes.Status400BadRequest);
        }

        var code = ReferenceCode.Parse(typed);
        if (code is null || !s.Tokens.StatusSecretMatches(code, form[Fields.Secret]))
        {
            // An unknown code and a wrong secret answer alike: the page says nothing about which codes exist.
            return Page<StatusPage>(new() { ["Model"] = Result(null, "Không tìm thấy báo cáo với mã báo cáo và mã bí mật này. Hãy kiểm tra lại từng chữ (chữ O và số 0 được coi là một).") }, StatusCodes.Status404NotFound);
        }

        string text;
        try
        {
            var found = await s.Cases.FindByReferenceCodeAsync(code, http.RequestAborted);
            text = found?.Status switch
            {
                null or CaseStatus.New => "Đã nhận: báo cáo đang chờ người của Tổng đài 111 đọc và xử lý.",
                CaseStatus.Closed => "Đã xử lý xong. Nếu em vẫn cần giúp đỡ, hãy gửi báo cáo mới hoặc gọi 111.",
                _ => "Đang được xử lý: đã có người phụ trách báo cáo của em.",
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            text = "Đã nhận. Hiện chưa xem được chi tiết tình trạng; hãy thử lại sau.";
        }

        return Page<StatusPage>(new() { ["Model"] = Result(text, null) with { Code = code } }, StatusCodes.Status200OK);
    }

    // ---- poster, assets ----

    private static RazorComponentResult<PosterPage> Poster(HttpContext http, [AsParameters] WebFormServices s)
    {
        var url = s.Hub.Value.PublicBaseUrl.TrimEnd('/') + "/bao-cao";
        return Page<PosterPage>(new() { ["Model"] = new PosterModel(url) }, StatusCodes.Status200OK);
    }

    private static IResult Asset(HttpContext context, string file)
    {
        if (!WebAssets.TryGet(file, out var bytes, out var type))
        {
            return Results.NotFound();
        }

        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return Results.Bytes(bytes, type);
    }

    // ---- helpers ----

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    /// <summary>Room for the 10 MB of files and the text fields; the files stay in memory (an unclean image never touches the disk).</summary>
    private static readonly FormOptions FormLimits = new()
    {
        MultipartBodyLengthLimit = Limits.MaxRequestBytes,
        MemoryBufferThreshold = (int)Limits.MaxRequestBytes,
        ValueCountLimit = 64,
        ValueLengthLimit = 64 * 1024,
        KeyLengthLimit = 64,
        MultipartHeadersCountLimit = 8,
        MultipartHeadersLengthLimit = 4 * 1024,
        MultipartBoundaryLengthLimit = 128,
    };

    /// <summary>The chosen screenshots' bytes (an empty part with no file name is a file input left empty).</summary>
    private static async Task<List<byte[]>> ReadFilesAsync(IFormCollection form, CancellationToken ct)
    {
        var files = new List<byte[]>();
        foreach (var file in form.Files)
        {
            if (file.Length == 0 && string.IsNullOrEmpty(file.FileName))
            {
                continue;
            }

            if (!string.Equals(file.Name, Fields.Screenshots, StringComparison.Ordinal) || files.Count > Limits.MaxFiles * 4)
            {
                throw new InvalidDataException("unexpected file part");
            }

            using var stream = file.OpenReadStream();
            using var copy = new MemoryStream((int)Math.Min(file.Length, Limits.MaxTotalBytes));
            await stream.CopyToAsync(copy, ct);
            files.Add(copy.ToArray());
        }

        return files;
    }

    /// <summary>The token the form came with, if still good (so a retry after an outage stays the same report); else a new one.</summary>
    private static FormToken ReuseOrIssue(WebFormServices s, IFormCollection form) =>
        s.Tokens.Verify(form[Fields.Token]) is { } t && s.Time.GetUtcNow() - t.IssuedAt < s.Options.Value.TokenLifetime ? t : s.Tokens.Issue();

    private static Dictionary<string, string> Ordered(Dictionary<string, string> errors)
    {
        string[] order = [Fields.Who, Fields.What, Fields.Details, Fields.Platform, Fields.Links, Fields.Accounts, Fields.Age, Fields.Province, Fields.ContactKind, Fields.Contact, Fields.Consent, Fields.Screenshots];
        var ordered = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in order.Where(errors.ContainsKey))
        {
            ordered[field] = errors[field];
        }

        return ordered;
    }

    private static FormTokens Tokens(HttpContext http, WebFormServices s, FormToken? token)
    {
        var af = s.Antiforgery.GetAndStoreTokens(http);
        return new FormTokens(af.FormFieldName, af.RequestToken ?? string.Empty, token?.Value ?? string.Empty);
    }

    private static RazorComponentResult<ReportForm> Form(HttpContext http, WebFormServices s, FormInput input, IReadOnlyDictionary<string, string> errors, FormToken token, Notice? notice, int files, int status) =>
        Page<ReportForm>(new() { ["Model"] = new FormModel(input, errors, Tokens(http, s, token), notice, errors.Count > 0 || notice is not null ? files : 0) }, status);

    private static RazorComponentResult<NoticePage> NotConfigured() =>
        Notice(StatusCodes.Status503ServiceUnavailable, "Biểu mẫu tạm thời chưa mở", "Biểu mẫu báo cáo trực tuyến chưa được bật ở đây. Hãy gọi 111 (miễn phí, cả ngày lẫn đêm) để kể cho chúng tôi.", "Gọi 111", "tel:111");

    private static RazorComponentResult<NoticePage> Notice(int status, string title, string text, string linkText = "Về biểu mẫu", string linkHref = "/bao-cao") =>
        Page<NoticePage>(new() { ["Model"] = new NoticeModel(title, text, linkText, linkHref) }, status);

    /// <summary>A page (never cached: the headers of every form path say no-store, see <see cref="Headers"/>).</summary>
    private static RazorComponentResult<T> Page<T>(Dictionary<string, object?> parameters, int status)
        where T : IComponent =>
        new(parameters) { StatusCode = status, ContentType = "text/html; charset=utf-8" };
}
